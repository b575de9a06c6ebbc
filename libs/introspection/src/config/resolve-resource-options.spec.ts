import { thrown } from '../../test-support/thrown';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from './resolve-options';

const ISSUER = 'https://as.example.com';

function resolve(overrides: Record<string, unknown> = {}) {
  return resolveIntrospectionOptions({
    endpoint: `${ISSUER}/introspect`,
    issuer: ISSUER,
    clientId: 'orders-api',
    ...overrides,
  });
}

const configurationError = (fn: () => unknown) => thrown(IntrospectionConfigurationError, fn);

describe('resource options', () => {
  describe('resource (RFC 8707, RFC 9728 §1.2)', () => {
    it.each([
      'https://api.example.com',
      'https://api.example.com/v1',
      'https://api.example.com:8443/tenant/1/mcp',
      'http://127.0.0.1:4000',
      'http://localhost:4000/mcp',
    ])('accepts %s as it is', (resource) => {
      expect(resolve({ resource }).resource).toBe(resource);
    });

    it.each<[string, unknown, RegExp]>([
      ['not a URL', 'api.example.com', /not a valid absolute URL/],
      ['not a string', 42, /must be a string/],
      ['plain http to another host', 'http://api.example.com', /https URL.*loopback/],
      ['another scheme', 'urn:example:api', /https URL/],
      ['with credentials', 'https://user:pw@api.example.com', /credentials/],
      ['with a fragment', 'https://api.example.com/#x', /fragment/],
      ['with a query', 'https://api.example.com/?tenant=1', /query/],
      ['with a lone trailing slash', 'https://api.example.com/', /"https:\/\/api\.example\.com"/],
      ['with an upper-case host', 'https://API.example.com/v1', /"https:\/\/api\.example\.com\/v1"/],
      ['with the default port', 'https://api.example.com:443/v1', /"https:\/\/api\.example\.com\/v1"/],
    ])('refuses one %s, naming the option', (_label, resource, message) => {
      const error = configurationError(() => resolve({ resource }));
      expect(error.option).toBe('resource');
      expect(error.message).toContain('INTROSPECTION_RESOURCE');
      expect(error.message).toMatch(message);
    });
  });

  describe('resourceMetadata (RFC 9728)', () => {
    it('is off by default, and with false', () => {
      expect(resolve({ resource: 'https://api.example.com' }).resourceMetadata).toBeUndefined();
      expect(
        resolve({ resource: 'https://api.example.com', resourceMetadata: false }).resourceMetadata,
      ).toBeUndefined();
    });

    it('is served at the path derived from the resource, with the configured members', () => {
      expect(
        resolve({ resource: 'https://api.example.com/mcp', resourceMetadata: { resource_name: 'MCP' } })
          .resourceMetadata,
      ).toStrictEqual({
        url: 'https://api.example.com/.well-known/oauth-protected-resource/mcp',
        path: '/.well-known/oauth-protected-resource/mcp',
        members: { resource_name: 'MCP' },
      });
    });

    it('needs resource', () => {
      const error = configurationError(() => resolve({ resourceMetadata: true }));
      expect(error.option).toBe('resourceMetadata');
      expect(error.message).toContain('needs resource (INTROSPECTION_RESOURCE)');
    });

    it('needs issuer, for authorization_servers', () => {
      const error = configurationError(() =>
        resolve({ issuer: undefined, resource: 'https://api.example.com', resourceMetadata: true }),
      );
      expect(error.option).toBe('issuer');
      expect(error.message).toContain('authorization_servers');
    });

    it.each<[string, unknown, string, RegExp]>([
      ['an array', ['x'], 'resourceMetadata', /true or an object/],
      ['a string', 'yes', 'resourceMetadata', /true or an object/],
      ['a computed member', { resource: 'https://x' }, 'resourceMetadata.resource', /written by the module/],
      [
        'authorization_servers',
        { authorization_servers: [ISSUER] },
        'resourceMetadata.authorization_servers',
        /written by the module/,
      ],
      [
        'a URL member that is no URL',
        { resource_documentation: 'docs' },
        'resourceMetadata.resource_documentation',
        /URL/,
      ],
      [
        'scopes with a space',
        { scopes_supported: ['a b'] },
        'resourceMetadata.scopes_supported',
        /scope names/,
      ],
      ['a non-string name', { resource_name: 1 }, 'resourceMetadata.resource_name', /string/],
      ['a function', { x_hook: () => 1 }, 'resourceMetadata.x_hook', /JSON value/],
      ['an infinite number', { x_n: Infinity }, 'resourceMetadata.x_n', /JSON value/],
      ['a date', { x_when: new Date(0) }, 'resourceMetadata.x_when', /JSON value/],
    ])('refuses %s, naming the member', (_label, resourceMetadata, option, message) => {
      const error = configurationError(() =>
        resolve({ resource: 'https://api.example.com', resourceMetadata }),
      );
      expect(error.option).toBe(option);
      expect(error.message).toMatch(message);
    });

    it('accepts extension members that are JSON values', () => {
      const members = {
        x_tenants: [{ id: 1, active: true, note: null }],
        resource_tos_uri: 'https://x.example/tos',
      };
      expect(
        resolve({ resource: 'https://api.example.com', resourceMetadata: members }).resourceMetadata?.members,
      ).toStrictEqual(members);
    });
  });

  describe('sendResource', () => {
    it('adds resource to the request parameters, which the cache keys cover', () => {
      expect(
        resolve({ resource: 'https://api.example.com', sendResource: true, requestParams: { a: 'b' } })
          .requestParams,
      ).toStrictEqual({ a: 'b', resource: 'https://api.example.com' });
    });

    it('leaves the request parameters alone when off', () => {
      expect(resolve({ resource: 'https://api.example.com' }).requestParams).toStrictEqual({});
    });

    it('needs resource', () => {
      expect(configurationError(() => resolve({ sendResource: true })).option).toBe('sendResource');
    });

    it('refuses a second resource in requestParams', () => {
      const error = configurationError(() =>
        resolve({
          resource: 'https://api.example.com',
          sendResource: true,
          requestParams: { resource: 'https://other.example.com' },
        }),
      );
      expect(error.option).toBe('requestParams');
    });

    it('must be a boolean', () => {
      expect(
        configurationError(() => resolve({ resource: 'https://api.example.com', sendResource: 'yes' }))
          .option,
      ).toBe('sendResource');
    });
  });

  describe('acrValues and maxAge, the default step-up requirements (RFC 9470)', () => {
    it('are unset by default', () => {
      expect(resolve()).toMatchObject({ acrValues: [], maxAgeMs: undefined });
    });

    it('are read as given, maxAge in milliseconds', () => {
      expect(resolve({ acrValues: ['urn:example:mfa'], maxAge: '5m' })).toMatchObject({
        acrValues: ['urn:example:mfa'],
        maxAgeMs: 300_000,
      });
      expect(resolve({ maxAge: 0 }).maxAgeMs).toBe(0);
    });

    it.each<[string, Record<string, unknown>, string, RegExp]>([
      ['an acr string', { acrValues: 'urn:example:mfa' }, 'acrValues', /non-empty array/],
      ['an empty acr list', { acrValues: [] }, 'acrValues', /non-empty array/],
      ['an acr value with a space', { acrValues: ['a b'] }, 'acrValues', /without spaces/],
      ['a maxAge that is no duration', { maxAge: 'soon' }, 'maxAge', /duration/],
      ['a negative maxAge', { maxAge: '-1m' }, 'maxAge', /at least 0/],
      ['a maxAge of a fraction of a second', { maxAge: '2500ms' }, 'maxAge', /whole number of seconds/],
    ])('refuse %s, naming the option', (_label, options, option, message) => {
      const error = configurationError(() => resolve(options));
      expect(error.option).toBe(option);
      expect(error.message).toMatch(message);
    });
  });
});
