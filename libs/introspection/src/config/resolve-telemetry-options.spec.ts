import { thrown } from '../../test-support/thrown';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from './resolve-options';

const base = { endpoint: 'https://as.example.com/introspect', clientId: 'api' };

const resolveTelemetry = (telemetry: unknown) =>
  resolveIntrospectionOptions({ ...base, telemetry }).telemetry;

describe('telemetry option', () => {
  it.each([undefined, null, {}])('records no subject by default (%p)', (telemetry) => {
    expect(resolveTelemetry(telemetry)).toStrictEqual({ recordSubject: false });
  });

  it('records the subject when the application opts in', () => {
    expect(resolveTelemetry({ recordSubject: true })).toStrictEqual({ recordSubject: true });
  });

  it.each(['true', 1])('refuses the non-boolean recordSubject %p, naming it', (recordSubject) => {
    const error = thrown(IntrospectionConfigurationError, () => resolveTelemetry({ recordSubject }));
    expect(error.option).toBe('telemetry.recordSubject');
    expect(error.message).toContain('must be true or false');
  });

  it.each([true, 'on', ['recordSubject']])('refuses a telemetry that is not an object (%p)', (telemetry) => {
    expect(thrown(IntrospectionConfigurationError, () => resolveTelemetry(telemetry)).option).toBe(
      'telemetry',
    );
  });
});
