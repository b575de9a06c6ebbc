import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { validateMetadata } from './fetch-authorization-server-metadata';

const ISSUER = 'https://as.example.com';
const URL_OF_DOCUMENT = `${ISSUER}/.well-known/oauth-authorization-server`;
const document = (members: Record<string, unknown>) => JSON.stringify({ issuer: ISSUER, ...members });

describe('validateMetadata: https for discovered endpoints', () => {
  it.each(['introspection_endpoint', 'jwks_uri', 'token_endpoint'])(
    'refuses a plain-http %s on another machine, naming the issuer option',
    (member) => {
      let error: unknown;
      try {
        validateMetadata(document({ [member]: 'http://elsewhere.example.com/x' }), ISSUER, URL_OF_DOCUMENT);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe('issuer');
      expect((error as Error).message).toContain(`gives "${member}"`);
      expect((error as Error).message).toContain('must be an https URL');
    },
  );

  it('accepts https, loopback http, and any http with allowInsecureHttp', () => {
    expect(
      validateMetadata(document({ introspection_endpoint: `${ISSUER}/introspect` }), ISSUER, URL_OF_DOCUMENT)
        .introspectionEndpoint,
    ).toBe(`${ISSUER}/introspect`);
    expect(
      validateMetadata(document({ jwks_uri: 'http://127.0.0.1:4000/jwks' }), ISSUER, URL_OF_DOCUMENT).jwksUri,
    ).toBe('http://127.0.0.1:4000/jwks');
    expect(
      validateMetadata(
        document({ token_endpoint: 'http://elsewhere.example.com/token' }),
        ISSUER,
        URL_OF_DOCUMENT,
        true,
      ).tokenEndpoint,
    ).toBe('http://elsewhere.example.com/token');
  });
});
