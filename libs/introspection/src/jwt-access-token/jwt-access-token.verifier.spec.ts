import { SignJWT, type CryptoKey, type JWK } from 'jose';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { Clock } from '../interfaces/clock.interface';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { introspectionBooter, rs256SigningKey } from '../../test-support/boot-introspection';
import { closedPort, FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { rejectionOf } from '../../test-support/rejection-of';

const AUDIENCE = 'https://api.example.com';
const NOW_MS = 1_800_000_000_000;
const nowS = NOW_MS / 1000;

describe('local JWT validation before introspection', () => {
  let as: FakeAuthorizationServer;
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  const clock: Clock = { now: () => NOW_MS };

  const sign = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({ iss: as.origin, aud: AUDIENCE, exp: nowS + 600, iat: nowS, sub: 'user-1', ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k', ...header })
      .sign(privateKey);

  const boot = introspectionBooter();
  const introspector = (options: Partial<IntrospectionModuleOptions> = {}) =>
    boot(
      {
        endpoint: as.endpoint,
        issuer: as.origin,
        jwksUri: `${as.origin}/jwks`,
        clientId: 'api',
        clientSecret: 'secret',
        jwt: { audience: AUDIENCE },
        ...options,
      },
      clock,
    );

  beforeAll(async () => {
    ({ privateKey, publicJwk } = await rs256SigningKey('k'));
    as = await FakeAuthorizationServer.start();
  });

  beforeEach(() => {
    as.answerWith((request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify(
          request.path === '/jwks'
            ? { keys: [publicJwk] }
            : { active: true, token_type: 'Bearer', exp: nowS + 600 },
        ),
      );
    });
  });

  afterAll(async () => {
    await as?.close();
  });

  it('introspects a valid JWT once and attaches its claims', async () => {
    const result = await (await introspector()).introspect(await sign());
    expect(result).toMatchObject({ active: true, accessTokenClaims: { sub: 'user-1', aud: AUDIENCE } });
    expect(as.requestsTo('/introspect')).toHaveLength(1);
  });

  it('hands out the result with its access token claims deeply frozen', async () => {
    const result = await (await introspector()).introspect(await sign());
    expect(() => ((result as { accessTokenClaims?: unknown }).accessTokenClaims = {})).toThrow(TypeError);
    expect(() => ((result.accessTokenClaims as Record<string, unknown>).sub = 'admin')).toThrow(TypeError);
    expect(() => (result.scopes as string[]).push('admin')).toThrow(TypeError);
  });

  it.each([
    ['a typ that is not configured', {}, { typ: 'id_token+jwt' }],
    ['an algorithm not allowed', {}, { alg: 'PS256' }],
    ['a crit header', {}, { crit: ['b64'], b64: true }],
    ['an nbf in the future', { nbf: nowS + 600 }, {}],
    ['an exp in the past (beyond the tolerance)', { exp: nowS - 60 }, {}],
    ['no exp', { exp: undefined }, {}],
    ['another issuer', { iss: 'https://evil.example.com' }, {}],
  ])('refuses %s without an introspection request', async (_label, claims, header) => {
    let token: string;
    try {
      token = await sign(claims, header);
    } catch {
      // jose refuses to sign some of these (crit): build the token by hand, unsigned.
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      token = `${part({ alg: 'RS256', typ: 'at+jwt', ...header })}.${part({ iss: as.origin, aud: AUDIENCE })}.c2ln`;
    }
    const result = await (await introspector()).introspect(token);
    expect(result.active).toBe(false);
    expect(as.requestsTo('/introspect')).toHaveLength(0);
  });

  it('accepts typ JWT and application/at+jwt by default, and only what jwt.types lists when set', async () => {
    const service = await introspector();
    expect((await service.introspect(await sign({}, { typ: 'JWT' }))).active).toBe(true);
    expect((await service.introspect(await sign({}, { typ: 'application/AT+JWT' }))).active).toBe(true);
    const strict = await introspector({ jwt: { audience: AUDIENCE, types: ['at+jwt'] } });
    expect((await strict.introspect(await sign({}, { typ: 'JWT' }))).active).toBe(false);
  });

  it('fails closed with 503 semantics when the key set cannot be fetched', async () => {
    const service = await introspector({
      jwt: { audience: AUDIENCE, jwksUri: `http://127.0.0.1:${await closedPort()}/jwks` },
    });
    expect(await rejectionOf(service.introspect(await sign()))).toBeInstanceOf(IntrospectionUnavailableError);
    expect(as.requestsTo('/introspect')).toHaveLength(0);
  });

  it('introspects opaque tokens by default and refuses them with acceptOpaqueTokens: false', async () => {
    expect((await (await introspector()).introspect('opaque-token')).active).toBe(true);
    expect(as.requestsTo('/introspect')).toHaveLength(1);
    as.reset();
    expect(
      (await (await introspector({ acceptOpaqueTokens: false })).introspect('opaque-token')).active,
    ).toBe(false);
    expect(as.requestsTo('/introspect')).toHaveLength(0);
  });
});
