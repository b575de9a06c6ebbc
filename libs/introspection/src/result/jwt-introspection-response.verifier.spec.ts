import { SignJWT, type CryptoKey, type JWK } from 'jose';
import { IntrospectionResponseError } from '../errors/introspection.errors';
import type {
  IntrospectionModuleOptions,
  JwtIntrospectionResponse,
} from '../interfaces/introspection-options.interface';
import { introspectionBooter, rs256SigningKey } from '../../test-support/boot-introspection';
import { FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { rejectionOf } from '../../test-support/rejection-of';

const CLIENT_ID = 'api';
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('JWT introspection responses: allow-list and jwtResponseValidator', () => {
  let as: FakeAuthorizationServer;
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  let answer: string;
  let advertised: string[] | undefined;

  const sign = (claims: Record<string, unknown> = {}) =>
    new SignJWT({
      iss: as.origin,
      aud: CLIENT_ID,
      iat: nowSeconds(),
      token_introspection: { active: true, token_type: 'Bearer', sub: 'user-1' },
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'k' })
      .sign(privateKey);

  const boot = introspectionBooter();
  const introspector = (options: Partial<IntrospectionModuleOptions> = {}) =>
    boot({
      issuer: as.origin,
      clientId: CLIENT_ID,
      clientSecret: 'secret',
      responseFormat: 'jwt',
      ...options,
    });

  beforeAll(async () => {
    ({ privateKey, publicJwk } = await rs256SigningKey('k'));
    as = await FakeAuthorizationServer.start();
  });

  beforeEach(() => {
    advertised = undefined;
    as.answerWith((request, res) => {
      if (request.path === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            issuer: as.origin,
            introspection_endpoint: as.endpoint,
            jwks_uri: `${as.origin}/jwks`,
            introspection_signing_alg_values_supported: advertised,
          }),
        );
      } else if (request.path === '/jwks') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: [publicJwk] }));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/token-introspection+jwt' });
        res.end(answer);
      }
    });
  });

  afterAll(async () => {
    await as?.close();
  });

  it('hands the validator the verified header, claims and JWT, and keeps the result', async () => {
    answer = await sign();
    const seen: JwtIntrospectionResponse[] = [];
    const service = await introspector({ jwtResponseValidator: (response) => void seen.push(response) });
    await expect(service.introspect('t')).resolves.toMatchObject({
      active: true,
      sub: 'user-1',
      jwt: answer,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].jwt).toBe(answer);
    expect(seen[0].header).toMatchObject({ alg: 'RS256', kid: 'k' });
    expect(seen[0].claims).toMatchObject({ iss: as.origin, aud: CLIENT_ID });
  });

  describe('freshness (responseMaxAge)', () => {
    const DAY = 86_400;

    it.each([
      ['a year old', 365 * DAY],
      ['a minute old', 60],
      ['just past the default (timeout 5s + tolerance 5s)', 11],
    ])('refuses an answer signed %s as a replay', async (_label, ageSeconds) => {
      answer = await sign({ iat: nowSeconds() - ageSeconds });
      const error = await rejectionOf((await introspector()).introspect('t'));
      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect((error as IntrospectionResponseError).reason).toBe('malformed_response');
      expect(error.message).toContain('older than responseMaxAge (5000 ms)');
    });

    it('accepts an answer within the default age and clock tolerance', async () => {
      answer = await sign({ iat: nowSeconds() - 8 });
      await expect((await introspector()).introspect('t')).resolves.toMatchObject({ active: true });
    });

    it('takes a configured responseMaxAge', async () => {
      answer = await sign({ iat: nowSeconds() - 60 });
      await expect((await introspector({ responseMaxAge: '2m' })).introspect('t')).resolves.toMatchObject({
        active: true,
      });
    });
  });

  it('refuses the answer when the validator throws (sync or async)', async () => {
    answer = await sign();
    for (const validator of [
      () => {
        throw new Error('no');
      },
      () => Promise.reject(new Error('no')),
    ]) {
      const error = await rejectionOf(
        (await introspector({ jwtResponseValidator: validator })).introspect('t'),
      );
      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect((error as IntrospectionResponseError).reason).toBe('malformed_response');
    }
  });

  it('cannot skip the signature check: a permissive validator is not even called for a bad signature', async () => {
    const [header, payload] = (await sign()).split('.');
    answer = `${header}.${payload}.${'A'.repeat(342)}`;
    const validator = jest.fn();
    const error = await rejectionOf(
      (await introspector({ jwtResponseValidator: validator })).introspect('t'),
    );
    expect(error).toBeInstanceOf(IntrospectionResponseError);
    expect(validator).not.toHaveBeenCalled();
  });

  it("takes the allow-list from the server's introspection_signing_alg_values_supported", async () => {
    advertised = ['ES256'];
    answer = await sign();
    expect(await rejectionOf((await introspector()).introspect('t'))).toBeInstanceOf(
      IntrospectionResponseError,
    );
  });

  it('never takes HMAC or none from the advertised list, falling back to RS256', async () => {
    advertised = ['HS256', 'none'];
    answer = await sign();
    await expect((await introspector()).introspect('t')).resolves.toMatchObject({ active: true });
  });

  it('prefers the configured algorithms over the advertised ones', async () => {
    advertised = ['RS256'];
    answer = await sign();
    const error = await rejectionOf(
      (await introspector({ responseSigningAlgorithms: ['PS256'] })).introspect('t'),
    );
    expect(error).toBeInstanceOf(IntrospectionResponseError);
  });
});
