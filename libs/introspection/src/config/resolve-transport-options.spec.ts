import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { thrown } from '../../test-support/thrown';
import { resolveTransportOptions } from './resolve-transport-options';

describe('resolveTransportOptions: transport.client', () => {
  it('is undici by default', () => {
    expect(resolveTransportOptions(undefined).transportClient).toBe('undici');
    expect(resolveTransportOptions({ client: '' }).transportClient).toBe('undici');
  });

  it.each(['undici', 'axios'] as const)('takes %s', (client) => {
    expect(resolveTransportOptions({ client }).transportClient).toBe(client);
  });

  it.each(['fetch', 'Axios', 1, true])('refuses %p at boot, naming the option and its variable', (client) => {
    const error = thrown(IntrospectionConfigurationError, () => resolveTransportOptions({ client }));
    expect(error.option).toBe('transport.client');
    expect(error.message).toContain('INTROSPECTION_TRANSPORT');
    expect(error.message).toContain('must be "undici" or "axios"');
  });
});
