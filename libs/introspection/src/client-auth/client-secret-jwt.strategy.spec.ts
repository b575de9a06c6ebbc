import { decodeProtectedHeader, jwtVerify } from 'jose';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  IntrospectionModuleOptions,
  JwtSigningAlgorithm,
  JwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import type { ClientAuthRequest } from './client-auth-strategy.interface';
import { ClientSecretJwtStrategy } from './client-secret-jwt.strategy';

const ISSUER = 'https://as.example.com';
// 64 bytes in UTF-8 (the "é"s take two each): long enough for HS512.
const SECRET = 'é'.repeat(8) + 'x'.repeat(48);

function options(extra: Partial<IntrospectionModuleOptions> = {}) {
  return resolveIntrospectionOptions({
    endpoint: `${ISSUER}/token/introspection`,
    issuer: ISSUER,
    clientId: 'orders-api',
    clientSecret: SECRET,
    endpointAuthMethod: 'client_secret_jwt',
    ...extra,
  });
}

async function sign(extra: Partial<IntrospectionModuleOptions> = {}): Promise<ClientAuthRequest> {
  const strategy = new ClientSecretJwtStrategy();
  await strategy.init(options(extra));
  const request: ClientAuthRequest = { endpoint: ISSUER, headers: {}, body: new URLSearchParams() };
  await strategy.authenticate(request);
  return request;
}

async function initError(
  extra: Partial<IntrospectionModuleOptions>,
): Promise<IntrospectionConfigurationError> {
  const error = await new ClientSecretJwtStrategy().init(options(extra)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntrospectionConfigurationError);
  return error as IntrospectionConfigurationError;
}

describe('ClientSecretJwtStrategy', () => {
  it('signs with HS256 by default, keyed with the UTF-8 bytes of the secret', async () => {
    const request = await sign();
    const assertion = request.body.get('client_assertion')!;
    const { payload, protectedHeader } = await jwtVerify(assertion, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      issuer: 'orders-api',
      subject: 'orders-api',
      audience: ISSUER,
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'client-authentication+jwt' });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(request.body.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    // The secret never travels.
    expect(request.body.toString()).not.toContain(encodeURIComponent(SECRET));
    expect(request.headers).toEqual({});
  });

  it.each<JwtSigningAlgorithm>(['HS384', 'HS512'])('signs with %s', async (alg) => {
    const request = await sign({
      jwtSigningProfile: { signatureAlgorithm: alg, keyId: 'secret-1', ttl: 30 },
    });
    const assertion = request.body.get('client_assertion')!;
    const { payload } = await jwtVerify(assertion, new TextEncoder().encode(SECRET), { algorithms: [alg] });
    expect(payload.exp! - payload.iat!).toBe(30);
    expect(decodeProtectedHeader(assertion).kid).toBe('secret-1');
  });

  it('uses jwtSigningProfile.audience instead of the issuer', async () => {
    const request = await sign({ jwtSigningProfile: { audience: `${ISSUER}/token` } });
    const { payload } = await jwtVerify(
      request.body.get('client_assertion')!,
      new TextEncoder().encode(SECRET),
    );
    expect(payload.aud).toBe(`${ISSUER}/token`);
  });

  it('uses the audience alone when no issuer is configured', async () => {
    const request = await sign({
      issuer: undefined,
      jwtSigningProfile: { audience: 'https://as.example.com/' },
    });
    expect(request.body.get('client_assertion')).toBeTruthy();
  });

  describe('refuses at boot', () => {
    it.each<[JwtSigningAlgorithm, number]>([
      ['HS256', 32],
      ['HS384', 48],
      ['HS512', 64],
    ])('a secret shorter than the %s hash output (%i bytes, RFC 7518 §3.2)', async (alg, bytes) => {
      const short = 's'.repeat(bytes - 1);
      const error = await initError({ clientSecret: short, jwtSigningProfile: { signatureAlgorithm: alg } });
      expect(error.option).toBe('clientSecret');
      expect(error.message).toContain(`shorter than the ${bytes} bytes ${alg} requires`);
      expect(error.message).not.toContain(short);
    });

    it('accepts a secret of exactly the hash output', async () => {
      await expect(
        new ClientSecretJwtStrategy().init(options({ clientSecret: 's'.repeat(32) })),
      ).resolves.toBeUndefined();
    });

    it.each<JwtSigningAlgorithm>(['RS256', 'PS256', 'ES256', 'EdDSA'])(
      'an asymmetric algorithm (%s)',
      async (alg) => {
        const error = await initError({ jwtSigningProfile: { signatureAlgorithm: alg } });
        expect(error.option).toBe('jwtSigningProfile.signatureAlgorithm');
        expect(error.message).toMatch(/client_secret_jwt signs with clientSecret: use HS256, HS384 or HS512/);
      },
    );

    it.each<[string, JwtSigningProfile]>([
      ['jwtSigningProfile.key', { key: '-----BEGIN PRIVATE KEY-----' }],
      ['jwtSigningProfile.keyFile', { keyFile: '/etc/key.pem' }],
    ])('a private key (%s)', async (option, profile) => {
      const error = await initError({ jwtSigningProfile: profile });
      expect(error.option).toBe(option);
      expect(error.message).toMatch(/is not used by client_secret_jwt/);
    });

    it('a missing client secret', async () => {
      const error = await initError({ clientSecret: undefined });
      expect(error.option).toBe('clientSecret');
      expect(error.message).toMatch(/is required by the "client_secret_jwt" client authentication method/);
    });

    it('an unknown audience: neither issuer nor jwtSigningProfile.audience', async () => {
      const error = await initError({ issuer: undefined });
      expect(error.option).toBe('issuer');
      expect(error.message).toMatch(/Set issuer, or jwtSigningProfile.audience/);
    });
  });
});
