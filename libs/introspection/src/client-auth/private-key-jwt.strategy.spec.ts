import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  IntrospectionModuleOptions,
  JwtSigningAlgorithm,
  JwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import type { ClientAuthRequest } from './client-auth-strategy.interface';
import { PrivateKeyJwtStrategy } from './private-key-jwt.strategy';

const ISSUER = 'https://as.example.com';

type KeyPair = { privateKey: KeyObject; publicKey: KeyObject };

const keys = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  rsa1024: generateKeyPairSync('rsa', { modulusLength: 1024 }),
  p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  p521: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  ed25519: generateKeyPairSync('ed25519'),
} satisfies Record<string, KeyPair>;

const pkcs8 = (pair: KeyPair) => pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const privateJwk = (pair: KeyPair) => pair.privateKey.export({ format: 'jwk' });

function options(profile: JwtSigningProfile | undefined, extra: Partial<IntrospectionModuleOptions> = {}) {
  return resolveIntrospectionOptions({
    endpoint: `${ISSUER}/token/introspection`,
    issuer: ISSUER,
    clientId: 'orders-api',
    endpointAuthMethod: 'private_key_jwt',
    jwtSigningProfile: profile,
    ...extra,
  });
}

function newRequest(): ClientAuthRequest {
  return {
    endpoint: `${ISSUER}/token/introspection`,
    headers: {},
    body: new URLSearchParams({ token: 't' }),
  };
}

async function authenticate(profile: JwtSigningProfile, extra: Partial<IntrospectionModuleOptions> = {}) {
  const strategy = new PrivateKeyJwtStrategy();
  const resolved = options(profile, extra);
  await strategy.init(resolved);
  const request = newRequest();
  await strategy.authenticate(request);
  return { strategy, request, assertion: request.body.get('client_assertion')! };
}

/** Expects init() to fail with a configuration error naming `option`, and never quoting `secretText`. */
async function expectRefused(
  profile: JwtSigningProfile | undefined,
  option: string,
  message: RegExp,
  extra: Partial<IntrospectionModuleOptions> = {},
  secretText?: string,
) {
  const error = await new PrivateKeyJwtStrategy().init(options(profile, extra)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntrospectionConfigurationError);
  const configError = error as IntrospectionConfigurationError;
  expect(configError.option).toBe(option);
  expect(configError.message).toMatch(message);
  if (secretText) {
    expect(configError.message).not.toContain(secretText);
  }
}

describe('PrivateKeyJwtStrategy', () => {
  describe.each<[JwtSigningAlgorithm, KeyPair]>([
    ['RS256', keys.rsa],
    ['RS384', keys.rsa],
    ['RS512', keys.rsa],
    ['PS256', keys.rsa],
    ['PS384', keys.rsa],
    ['PS512', keys.rsa],
    ['ES256', keys.p256],
    ['ES384', keys.p384],
    ['ES512', keys.p521],
    ['EdDSA', keys.ed25519],
  ])('%s', (alg, pair) => {
    it('signs an RFC 7523 assertion the public key verifies, in the form body only', async () => {
      const before = Math.floor(Date.now() / 1000);
      const { request, assertion } = await authenticate({ signatureAlgorithm: alg, key: pkcs8(pair) });
      const { payload, protectedHeader } = await jwtVerify(assertion, pair.publicKey, {
        algorithms: [alg],
        issuer: 'orders-api',
        subject: 'orders-api',
        audience: ISSUER,
        typ: 'client-authentication+jwt',
      });
      expect(protectedHeader).toEqual({ alg, typ: 'client-authentication+jwt' });
      expect(payload.aud).toBe(ISSUER); // one string, not an array (RFC 10070)
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload.exp! - payload.iat!).toBe(60);
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(request.body.get('client_assertion_type')).toBe(
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      );
      expect(request.body.get('token')).toBe('t');
      expect(request.body.has('client_secret')).toBe(false);
      expect(request.headers).toEqual({});
    });

    it('accepts the key as a JWK, and sends its kid', async () => {
      const jwk = { ...privateJwk(pair), kid: `${alg}-key` };
      const { assertion } = await authenticate({ signatureAlgorithm: alg, key: jwk });
      expect(decodeProtectedHeader(assertion).kid).toBe(`${alg}-key`);
      await expect(jwtVerify(assertion, pair.publicKey)).resolves.toBeDefined();
    });
  });

  it.each([
    [
      'PKCS #1 PEM',
      () => keys.rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string,
      'RS256',
      keys.rsa,
    ],
    [
      'SEC 1 PEM',
      () => keys.p256.privateKey.export({ format: 'pem', type: 'sec1' }) as string,
      'ES256',
      keys.p256,
    ],
  ] as const)('reads a %s', async (_format, pem, alg, pair) => {
    const { assertion } = await authenticate({ signatureAlgorithm: alg, key: pem() });
    await expect(jwtVerify(assertion, pair.publicKey)).resolves.toBeDefined();
  });

  describe('keyFile', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'introspection-keys-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a PEM file', async () => {
      const file = join(dir, 'key.pem');
      writeFileSync(file, pkcs8(keys.ed25519));
      const { assertion } = await authenticate({ signatureAlgorithm: 'EdDSA', keyFile: file });
      await expect(jwtVerify(assertion, keys.ed25519.publicKey)).resolves.toBeDefined();
    });

    it('reads a JWK JSON file', async () => {
      const file = join(dir, 'key.json');
      writeFileSync(file, JSON.stringify({ ...privateJwk(keys.p256), kid: 'from-file' }));
      const { assertion } = await authenticate({ signatureAlgorithm: 'ES256', keyFile: file });
      expect(decodeProtectedHeader(assertion).kid).toBe('from-file');
    });

    it('refuses a missing file at boot, naming the setting', async () => {
      await expectRefused(
        { signatureAlgorithm: 'ES256', keyFile: join(dir, 'absent.pem') },
        'jwtSigningProfile.keyFile',
        /cannot read ".*absent\.pem" \(ENOENT\)/,
      );
    });

    it('refuses a file that is JSON-like but broken, without quoting it', async () => {
      const file = join(dir, 'broken.json');
      const { d } = privateJwk(keys.p256);
      writeFileSync(file, `{"kty":"EC","d":"${d}"`);
      await expectRefused(
        { signatureAlgorithm: 'ES256', keyFile: file },
        'jwtSigningProfile.keyFile',
        /not valid JSON/,
        {},
        d,
      );
    });
  });

  it('makes every assertion unique (fresh jti) and keeps the configured settings', async () => {
    const strategy = new PrivateKeyJwtStrategy();
    await strategy.init(
      options({
        signatureAlgorithm: 'ES256',
        key: pkcs8(keys.p256),
        keyId: 'k1',
        ttl: '2m',
        audience: `${ISSUER}/token`,
        claims: { tenant: 'acme' },
        headers: { 'x-extra': 1 },
      }),
    );
    const assertions = await Promise.all(
      [1, 2, 3].map(async () => {
        const request = newRequest();
        await strategy.authenticate(request);
        return (await jwtVerify(request.body.get('client_assertion')!, keys.p256.publicKey)).payload;
      }),
    );
    expect(new Set(assertions.map((claims) => claims.jti)).size).toBe(3);
    for (const claims of assertions) {
      expect(claims).toMatchObject({ aud: `${ISSUER}/token`, tenant: 'acme', iss: 'orders-api' });
      expect(claims.exp! - claims.iat!).toBe(120);
    }
    const request = newRequest();
    await strategy.authenticate(request);
    expect(decodeProtectedHeader(request.body.get('client_assertion')!)).toEqual({
      alg: 'ES256',
      typ: 'client-authentication+jwt',
      kid: 'k1',
      'x-extra': 1,
    });
  });

  it('leaves typ out when it is set to null', async () => {
    const { assertion } = await authenticate({
      signatureAlgorithm: 'EdDSA',
      key: pkcs8(keys.ed25519),
      typ: null,
    });
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'EdDSA' });
  });

  it('reads and imports the key at boot only: signing works once the key file is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'introspection-keys-'));
    const file = join(dir, 'key.pem');
    writeFileSync(file, pkcs8(keys.p256));
    const strategy = new PrivateKeyJwtStrategy();
    await strategy.init(options({ signatureAlgorithm: 'ES256', keyFile: file }));
    rmSync(dir, { recursive: true, force: true });
    const request = newRequest();
    await strategy.authenticate(request);
    await expect(
      jwtVerify(request.body.get('client_assertion')!, keys.p256.publicKey),
    ).resolves.toBeDefined();
  });

  describe('refuses at boot', () => {
    const rsaPem = pkcs8(keys.rsa);
    const pemBody = rsaPem.split('\n')[5];

    it.each<[string, JwtSigningProfile | undefined, string, RegExp]>([
      ['no signing profile', undefined, 'jwtSigningProfile', /is required for private_key_jwt/],
      ['no algorithm', { key: rsaPem }, 'jwtSigningProfile.signatureAlgorithm', /is required/],
      [
        'an HMAC algorithm',
        { signatureAlgorithm: 'HS256', key: rsaPem },
        'jwtSigningProfile.signatureAlgorithm',
        /shared secret/,
      ],
      ['no key', { signatureAlgorithm: 'RS256' }, 'jwtSigningProfile.key', /is required for private_key_jwt/],
      [
        'an EC key with RS256',
        { signatureAlgorithm: 'RS256', key: pkcs8(keys.p256) },
        'jwtSigningProfile.key',
        /is an EC key on P-256, but RS256 needs an RSA key/,
      ],
      [
        'an RSA key with ES256',
        { signatureAlgorithm: 'ES256', key: rsaPem },
        'jwtSigningProfile.key',
        /is an RSA key of 2048 bits, but ES256 needs an EC key on P-256/,
      ],
      [
        'a P-384 key with ES256',
        { signatureAlgorithm: 'ES256', key: pkcs8(keys.p384) },
        'jwtSigningProfile.key',
        /EC key on P-384, but ES256 needs an EC key on P-256/,
      ],
      [
        'an Ed25519 key with PS256',
        { signatureAlgorithm: 'PS256', key: pkcs8(keys.ed25519) },
        'jwtSigningProfile.key',
        /type Ed25519, but PS256 needs an RSA key/,
      ],
      [
        'an EC key with EdDSA',
        { signatureAlgorithm: 'EdDSA', key: pkcs8(keys.p256) },
        'jwtSigningProfile.key',
        /but EdDSA needs an Ed25519 key/,
      ],
      [
        'an RSA key under 2048 bits',
        { signatureAlgorithm: 'RS256', key: pkcs8(keys.rsa1024) },
        'jwtSigningProfile.key',
        /RSA key of 1024 bits, too short: RSA keys need at least 2048 bits/,
      ],
      [
        'a public PEM',
        {
          signatureAlgorithm: 'RS256',
          key: keys.rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string,
        },
        'jwtSigningProfile.key',
        /is a public key/,
      ],
      [
        'a public JWK',
        { signatureAlgorithm: 'ES256', key: keys.p256.publicKey.export({ format: 'jwk' }) },
        'jwtSigningProfile.key',
        /is a public JWK/,
      ],
      [
        'a symmetric JWK',
        { signatureAlgorithm: 'ES256', key: { kty: 'oct', k: 'c2VjcmV0' } },
        'jwtSigningProfile.key',
        /symmetric JWK/,
      ],
      [
        'a JWK for another alg',
        { signatureAlgorithm: 'ES256', key: { ...privateJwk(keys.p256), alg: 'ES384' } },
        'jwtSigningProfile.key',
        /"alg" "ES384"/,
      ],
      [
        'a JWK for encryption',
        { signatureAlgorithm: 'ES256', key: { ...privateJwk(keys.p256), use: 'enc' } },
        'jwtSigningProfile.key',
        /"use" is not "sig"/,
      ],
      [
        'a malformed PEM',
        { signatureAlgorithm: 'RS256', key: rsaPem.replace(pemBody, pemBody.slice(10)) },
        'jwtSigningProfile.key',
        /malformed PEM "PRIVATE KEY"/,
      ],
      [
        'something that is no key',
        { signatureAlgorithm: 'RS256', key: 'not a key' },
        'jwtSigningProfile.key',
        /neither a PEM private key nor a JWK/,
      ],
      [
        'an encrypted PEM',
        {
          signatureAlgorithm: 'RS256',
          key: keys.rsa.privateKey.export({
            format: 'pem',
            type: 'pkcs8',
            cipher: 'aes-256-cbc',
            passphrase: 'x',
          }) as string,
        },
        'jwtSigningProfile.key',
        /encrypted private key/,
      ],
    ])('%s', async (_case, profile, option, message) => {
      await expectRefused(profile, option, message, {}, pemBody);
    });

    it('a client secret, as Couper does', async () => {
      await expectRefused(
        { signatureAlgorithm: 'RS256', key: rsaPem },
        'clientSecret',
        /must not be set with private_key_jwt/,
        {
          clientSecret: 'a-secret-value',
        },
        'a-secret-value',
      );
    });

    it('an unknown audience: neither issuer nor jwtSigningProfile.audience', async () => {
      await expectRefused(
        { signatureAlgorithm: 'RS256', key: rsaPem },
        'issuer',
        /"aud" is the authorization server's issuer identifier/,
        {
          issuer: undefined,
        },
      );
    });

    it('header parameters jose refuses', async () => {
      await expectRefused(
        { signatureAlgorithm: 'ES256', key: pkcs8(keys.p256), headers: { crit: ['unknown'] } },
        'jwtSigningProfile',
        /cannot be signed with these settings/,
      );
    });
  });
});
