import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from './resolve-options';

const base = { endpoint: 'https://as.example.com/introspect', clientId: 'api' };

function resolveProfile(jwtSigningProfile: unknown) {
  return resolveIntrospectionOptions({ ...base, jwtSigningProfile }).jwtSigningProfile;
}

function refusal(jwtSigningProfile: unknown): IntrospectionConfigurationError {
  try {
    resolveProfile(jwtSigningProfile);
  } catch (error) {
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    return error as IntrospectionConfigurationError;
  }
  throw new Error('expected a configuration error');
}

describe('jwtSigningProfile option', () => {
  it('is undefined when not configured', () => {
    expect(resolveProfile(undefined)).toBeUndefined();
  });

  it('applies the defaults: 60 s, typ client-authentication+jwt, no claims or headers', () => {
    expect(resolveProfile({})).toEqual({
      signatureAlgorithm: undefined,
      key: undefined,
      keyFile: undefined,
      keyId: undefined,
      ttlSeconds: 60,
      audience: undefined,
      claims: {},
      headers: {},
      typ: 'client-authentication+jwt',
    });
  });

  it('reads every setting', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'x', d: 'd' };
    expect(
      resolveProfile({
        signatureAlgorithm: 'EdDSA',
        key: jwk,
        keyId: 'k1',
        ttl: '1m30s',
        audience: 'https://as.example.com/token',
        claims: { tenant: 'a' },
        headers: { x5t: 'abc' },
        typ: null,
      }),
    ).toEqual({
      signatureAlgorithm: 'EdDSA',
      key: jwk,
      keyFile: undefined,
      keyId: 'k1',
      ttlSeconds: 90,
      audience: 'https://as.example.com/token',
      claims: { tenant: 'a' },
      headers: { x5t: 'abc' },
      typ: undefined,
    });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['not an object', 'RS256', 'jwtSigningProfile', /must be an object/],
    [
      'alg none',
      { signatureAlgorithm: 'none' },
      'jwtSigningProfile.signatureAlgorithm',
      /"none" is never used/,
    ],
    [
      'alg NONE',
      { signatureAlgorithm: 'NONE' },
      'jwtSigningProfile.signatureAlgorithm',
      /"none" is never used/,
    ],
    [
      'an unsupported algorithm',
      { signatureAlgorithm: 'ES256K' },
      'jwtSigningProfile.signatureAlgorithm',
      /"ES256K" is not supported; use one of HS256, .*EdDSA/,
    ],
    [
      'a key that is neither string nor object',
      { key: 42 },
      'jwtSigningProfile.key',
      /must be a PEM string or a JWK object/,
    ],
    [
      'key and keyFile',
      { key: 'pem', keyFile: '/k.pem' },
      'jwtSigningProfile.key',
      /either key or keyFile, not both/,
    ],
    [
      'a keyFile that is not a string',
      { keyFile: ['/k.pem'] },
      'jwtSigningProfile.keyFile',
      /must be a string/,
    ],
    ['a ttl that is no duration', { ttl: 'soon' }, 'jwtSigningProfile.ttl', /"soon" is not a duration/],
    ['a zero ttl', { ttl: 0 }, 'jwtSigningProfile.ttl', /positive whole number of seconds/],
    ['a fractional ttl', { ttl: '1500ms' }, 'jwtSigningProfile.ttl', /positive whole number of seconds/],
    ['claims that are not an object', { claims: ['a'] }, 'jwtSigningProfile.claims', /must be an object/],
    [
      'an aud claim',
      { claims: { aud: 'x' } },
      'jwtSigningProfile.claims',
      /cannot set "aud": set jwtSigningProfile.audience instead/,
    ],
    ['an iss claim', { claims: { iss: 'x' } }, 'jwtSigningProfile.claims', /cannot set "iss"/],
    ['a sub claim', { claims: { sub: 'x' } }, 'jwtSigningProfile.claims', /cannot set "sub"/],
    ['a jti claim', { claims: { jti: 'x' } }, 'jwtSigningProfile.claims', /cannot set "jti"/],
    ['an iat claim', { claims: { iat: 1 } }, 'jwtSigningProfile.claims', /cannot set "iat"/],
    [
      'an exp claim',
      { claims: { exp: 1 } },
      'jwtSigningProfile.claims',
      /cannot set "exp": set jwtSigningProfile.ttl instead/,
    ],
    ['an alg header', { headers: { alg: 'none' } }, 'jwtSigningProfile.headers', /cannot set "alg"/],
    [
      'a typ header',
      { headers: { typ: 'JWT' } },
      'jwtSigningProfile.headers',
      /cannot set "typ": set jwtSigningProfile.typ instead/,
    ],
    [
      'a kid header',
      { headers: { kid: 'k' } },
      'jwtSigningProfile.headers',
      /cannot set "kid": set jwtSigningProfile.keyId instead/,
    ],
    ['an empty typ', { typ: '' }, 'jwtSigningProfile.typ', /or null to leave the header out/],
  ])('refuses %s, naming the setting', (_case, profile, option, message) => {
    const error = refusal(profile);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('names the environment variable of settings that have one', () => {
    expect(refusal({ signatureAlgorithm: 'none' }).message).toContain(
      '(env INTROSPECTION_SIGNING_ALGORITHM)',
    );
  });

  it('never quotes a key it refuses', () => {
    const key = { kty: 'EC', d: 'very-private' };
    const error = refusal({ key, keyFile: '/k.pem' });
    expect(error.message).not.toContain('very-private');
  });
});

describe('bearer options', () => {
  it('default tokenEndpointAuthMethod to client_secret_basic', () => {
    expect(resolveIntrospectionOptions(base).tokenEndpointAuthMethod).toBe('client_secret_basic');
  });

  it('read bearerToken, tokenEndpoint, tokenEndpointAuthMethod and tokenScope', () => {
    expect(
      resolveIntrospectionOptions({
        ...base,
        endpointAuthMethod: 'bearer',
        tokenEndpoint: 'https://as.example.com/token',
        tokenEndpointAuthMethod: 'private_key_jwt',
        tokenScope: 'introspection',
      }),
    ).toMatchObject({
      tokenEndpoint: 'https://as.example.com/token',
      tokenEndpointAuthMethod: 'private_key_jwt',
      tokenScope: 'introspection',
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'a tokenEndpoint that is not http(s)',
      { tokenEndpoint: 'ftp://as/token' },
      'tokenEndpoint',
      /http\(s\) URL/,
    ],
    [
      'a tokenEndpoint with credentials',
      { tokenEndpoint: 'https://a:b@as/token' },
      'tokenEndpoint',
      /must not contain credentials/,
    ],
    ['a bearerToken that is not a string', { bearerToken: 42 }, 'bearerToken', /^.*must be a string\.$/],
  ])('refuse %s', (_case, extra, option, message) => {
    let error: unknown;
    try {
      resolveIntrospectionOptions({ ...base, ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    expect((error as IntrospectionConfigurationError).option).toBe(option);
    expect((error as Error).message).toMatch(message);
  });
});
