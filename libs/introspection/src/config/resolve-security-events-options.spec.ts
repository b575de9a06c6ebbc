import { thrown } from '../../test-support/thrown';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from './resolve-options';

const base = { endpoint: 'https://as.example.com/introspect', clientId: 'orders-api' };
const TRANSMITTER = { issuer: 'https://as.example.com', jwksUri: 'https://as.example.com/jwks' };

const resolve = (securityEvents: unknown, options: Record<string, unknown> = {}) =>
  resolveIntrospectionOptions({ ...base, ...options, securityEvents }).securityEvents;

describe('securityEvents option', () => {
  it.each([undefined, null])('mounts no receiver when unset (%p): the key is left out', (value) => {
    expect(resolve(value)).toBeUndefined();
    expect('securityEvents' in resolveIntrospectionOptions({ ...base, securityEvents: value })).toBe(false);
  });

  it('applies the defaults: path /security-events, audience the clientId, maxAge 5 minutes', () => {
    expect(resolve(TRANSMITTER)).toStrictEqual({
      path: '/security-events',
      issuer: 'https://as.example.com',
      jwksUri: 'https://as.example.com/jwks',
      audience: ['orders-api'],
      maxAgeMs: 300_000,
      requireToken: false,
    });
  });

  it('keeps what is set', () => {
    expect(
      resolve({ ...TRANSMITTER, path: '/hooks/set', audience: 'urn:orders', maxAge: '90s' }),
    ).toMatchObject({ path: '/hooks/set', audience: ['urn:orders'], maxAgeMs: 90_000 });
    expect(resolve({ ...TRANSMITTER, audience: ['a', 'b'] })?.audience).toStrictEqual(['a', 'b']);
    expect(resolve({ ...TRANSMITTER, requireToken: true })?.requireToken).toBe(true);
  });

  it.each([
    ['securityEvents.issuer', { jwksUri: TRANSMITTER.jwksUri }, /INTROSPECTION_SET_ISSUER.*is required/],
    ['securityEvents.jwksUri', { issuer: TRANSMITTER.issuer }, /INTROSPECTION_SET_JWKS_URI.*is required/],
    ['securityEvents.issuer', { path: '/events' }, /is required/],
    ['securityEvents.issuer', {}, /is required/],
  ])('requires issuer and jwksUri together: %s', (option, value, message) => {
    const error = thrown(IntrospectionConfigurationError, () => resolve(value));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('refuses a plain-http jwksUri off loopback, unless transport.allowInsecureHttp', () => {
    const insecure = { ...TRANSMITTER, jwksUri: 'http://as.example.com/jwks' };
    const error = thrown(IntrospectionConfigurationError, () => resolve(insecure));
    expect(error.option).toBe('securityEvents.jwksUri');
    expect(error.message).toMatch(/must be an https URL/);
    expect(resolve(insecure, { transport: { allowInsecureHttp: true } })?.jwksUri).toBe(insecure.jwksUri);
    expect(resolve({ ...TRANSMITTER, jwksUri: 'http://127.0.0.1:4001/jwks' })?.jwksUri).toBe(
      'http://127.0.0.1:4001/jwks',
    );
  });

  it.each([
    ['securityEvents', 'yes'],
    ['securityEvents', { ...TRANSMITTER, secret: 'x' }],
    ['securityEvents.path', { ...TRANSMITTER, path: 'events' }],
    ['securityEvents.path', { ...TRANSMITTER, path: '/events/:id' }],
    ['securityEvents.path', { ...TRANSMITTER, path: '/events?x=1' }],
    ['securityEvents.audience', { ...TRANSMITTER, audience: [] }],
    ['securityEvents.audience', { ...TRANSMITTER, audience: [1] }],
    ['securityEvents.maxAge', { ...TRANSMITTER, maxAge: 'soon' }],
    ['securityEvents.maxAge', { ...TRANSMITTER, maxAge: '500ms' }],
    ['securityEvents.maxAge', { ...TRANSMITTER, maxAge: '25h' }],
    ['securityEvents.jwksUri', { ...TRANSMITTER, jwksUri: 'not a url' }],
    ['securityEvents.issuer', { ...TRANSMITTER, issuer: 42 }],
    ['securityEvents.requireToken', { ...TRANSMITTER, requireToken: 'yes' }],
  ])('stops the boot naming %s for %p', (option, value) => {
    expect(thrown(IntrospectionConfigurationError, () => resolve(value)).option).toBe(option);
  });
});
