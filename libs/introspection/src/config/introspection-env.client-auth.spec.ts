import { generateKeyPairSync } from 'node:crypto';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { parseIntrospectionEnv } from './introspection-env';

describe('parseIntrospectionEnv: client authentication variables', () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;

  it('leaves jwtSigningProfile out when no INTROSPECTION_SIGNING_* variable is set', () => {
    expect(parseIntrospectionEnv({ INTROSPECTION_CLIENT_ID: 'api' })).toEqual({ clientId: 'api' });
  });

  it('reads the signing profile', () => {
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_SIGNING_ALGORITHM: 'ES256',
        INTROSPECTION_SIGNING_KEY: pem,
        INTROSPECTION_SIGNING_KEY_ID: 'k1',
        INTROSPECTION_SIGNING_TTL: '30s',
        INTROSPECTION_SIGNING_AUDIENCE: 'https://as.example.com/token',
      }).jwtSigningProfile,
    ).toEqual({
      signatureAlgorithm: 'ES256',
      key: pem.trim(),
      keyId: 'k1',
      ttl: '30s',
      audience: 'https://as.example.com/token',
    });
  });

  it('reads INTROSPECTION_SIGNING_KEY_FILE', () => {
    expect(
      parseIntrospectionEnv({ INTROSPECTION_SIGNING_KEY_FILE: '/run/secrets/key.pem' }).jwtSigningProfile,
    ).toEqual({
      keyFile: '/run/secrets/key.pem',
    });
  });

  it('reads a JWK given as JSON', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'x', d: 'd' };
    expect(
      parseIntrospectionEnv({ INTROSPECTION_SIGNING_KEY: JSON.stringify(jwk) }).jwtSigningProfile,
    ).toEqual({
      key: jwk,
    });
  });

  it('reads a PEM written on one line with literal \\n separators', () => {
    const oneLine = pem.trim().replaceAll('\n', '\\n');
    expect(parseIntrospectionEnv({ INTROSPECTION_SIGNING_KEY: oneLine }).jwtSigningProfile?.key).toBe(
      pem.trim(),
    );
  });

  it('refuses a JWK that is not JSON, naming the variable and never quoting it', () => {
    const broken = '{"kty":"EC","d":"very-private"';
    let error: unknown;
    try {
      parseIntrospectionEnv({ INTROSPECTION_SIGNING_KEY: broken });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    expect((error as IntrospectionConfigurationError).option).toBe('INTROSPECTION_SIGNING_KEY');
    expect((error as Error).message).not.toContain('very-private');
  });

  it('reads the bearer variables, taking the token verbatim', () => {
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_ENDPOINT_AUTH_METHOD: 'bearer',
        INTROSPECTION_BEARER_TOKEN: 'abc.def',
        INTROSPECTION_TOKEN_ENDPOINT: 'https://as.example.com/token',
        INTROSPECTION_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt',
        INTROSPECTION_TOKEN_SCOPE: 'introspection',
      }),
    ).toEqual({
      endpointAuthMethod: 'bearer',
      bearerToken: 'abc.def',
      tokenEndpoint: 'https://as.example.com/token',
      tokenEndpointAuthMethod: 'private_key_jwt',
      tokenScope: 'introspection',
    });
  });
});
