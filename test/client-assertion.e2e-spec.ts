import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import {
  RecordedRequest,
  TEST_SIGNING_KEYS,
  TestAuthorizationServer,
  WRONG_SIGNING_KEY,
} from './support/authorization-server';
import { ADAPTERS, RecordingLogger, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';

// JWT client assertions on the wire, against oidc-provider: what is sent,
// that it is never sent twice, which audiences the server accepts, and what
// happens when the server rejects the assertion.

const clients = demoClients();
const PRIVATE_KEY_JWT_CLIENT = clients.introspectionClients.private_key_jwt.clientId;
const CLIENT_SECRET_JWT_CLIENT = clients.introspectionClients.client_secret_jwt.clientId;
const CLIENT_SECRET_JWT_SECRET = clients.introspectionClients.client_secret_jwt.clientSecret!;

const privateKeyJwt = (key = TEST_SIGNING_KEYS.ec): Record<string, string> => ({
  INTROSPECTION_ENDPOINT_AUTH_METHOD: 'private_key_jwt',
  INTROSPECTION_CLIENT_ID: PRIVATE_KEY_JWT_CLIENT,
  INTROSPECTION_SIGNING_ALGORITHM: 'ES256',
  INTROSPECTION_SIGNING_KEY: key.pem,
  INTROSPECTION_SIGNING_KEY_ID: key.kid,
});

const clientSecretJwt = (secret = CLIENT_SECRET_JWT_SECRET): Record<string, string> => ({
  INTROSPECTION_ENDPOINT_AUTH_METHOD: 'client_secret_jwt',
  INTROSPECTION_CLIENT_ID: CLIENT_SECRET_JWT_CLIENT,
  INTROSPECTION_CLIENT_SECRET: secret,
});

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

const demoEnv = (auth: Record<string, string>, extra: Record<string, string> = {}) => ({
  INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
  INTROSPECTION_ISSUER: as.issuer,
  INTROSPECTION_AUDIENCE: clients.audience,
  ...auth,
  ...extra,
});

/** The introspection requests `clientId` sent from the `from`-th recorded request on. */
async function introspectionsBy(clientId: string, from: number): Promise<RecordedRequest[]> {
  return (await as.requests())
    .slice(from)
    .filter((request) => request.path === '/token/introspection' && request.clientId === clientId);
}

describe.each(ADAPTERS)('JWT client assertions, demo API on %s', (adapter) => {
  describe.each([
    ['private_key_jwt (ES256)', privateKeyJwt(), PRIVATE_KEY_JWT_CLIENT, 'ES256'],
    ['client_secret_jwt (HS256)', clientSecretJwt(), CLIENT_SECRET_JWT_CLIENT, 'HS256'],
  ])('%s', (_label, auth, clientId, alg) => {
    it('sends a new assertion with every introspection: fresh jti, aud = issuer, exp - iat = ttl', async () => {
      const demo = await startDemo(adapter, demoEnv(auth, { INTROSPECTION_SIGNING_TTL: '45s' }));
      try {
        const from = (await as.requests()).length;
        const token = await as.mintToken('read:payments');
        for (let i = 0; i < 2; i++) {
          expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
        }
        const wire = await introspectionsBy(clientId, from);
        expect(wire).toHaveLength(2);
        const assertions = wire.map((request) => {
          const body = new URLSearchParams(request.body);
          // Credentials travel one way only: in the body, no Authorization header.
          expect(request.authorization).toBeUndefined();
          expect(body.has('client_secret')).toBe(false);
          expect(body.get('client_assertion_type')).toBe(
            'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          );
          expect(request.status).toBe(200);
          const assertion = body.get('client_assertion')!;
          return { header: decodeProtectedHeader(assertion), claims: decodeJwt(assertion) };
        });
        for (const { header, claims } of assertions) {
          expect(header).toMatchObject({ alg, typ: 'client-authentication+jwt' });
          expect(claims).toMatchObject({ iss: clientId, sub: clientId, aud: as.issuer });
          expect(claims.exp! - claims.iat!).toBe(45);
        }
        expect(assertions[0].claims.jti).not.toBe(assertions[1].claims.jti);
      } finally {
        await demo.close();
      }
    });

    it('would be refused if an assertion were sent twice: oidc-provider rejects a replayed jti', async () => {
      const demo = await startDemo(adapter, demoEnv(auth));
      try {
        const from = (await as.requests()).length;
        const token = await as.mintToken('read:payments');
        expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
        const [captured] = await introspectionsBy(clientId, from);
        const replay = await send(as.introspectionEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: captured.body,
        });
        expect(replay.status).toBe(401);
        expect(replay.json()).toMatchObject({ error: 'invalid_client' });
      } finally {
        await demo.close();
      }
    });
  });

  describe('aud accepted by oidc-provider (INTROSPECTION_SIGNING_AUDIENCE)', () => {
    it.each<[string, () => string, number]>([
      ['the token endpoint URL', () => as.tokenEndpoint, 200],
      ['the introspection endpoint URL', () => as.introspectionEndpoint, 200],
      ['another URL (answers 502)', () => 'https://elsewhere.example/', 502],
    ])('%s', async (_case, audience, status) => {
      const demo = await startDemo(
        adapter,
        demoEnv(privateKeyJwt(), { INTROSPECTION_SIGNING_AUDIENCE: audience() }),
      );
      try {
        const token = await as.mintToken('read:payments');
        expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(status);
      } finally {
        await demo.close();
      }
    });
  });

  describe('when oidc-provider rejects the assertion', () => {
    it.each([
      [
        'private_key_jwt signed with a key it does not hold',
        privateKeyJwt(WRONG_SIGNING_KEY),
        WRONG_SIGNING_KEY.pem,
        /Method: private_key_jwt; check that the server holds the public key of jwtSigningProfile.key \(kid "ec-p256"\) for client "demo-api-private-key-jwt" and allows ES256/,
      ],
      [
        'client_secret_jwt signed with a wrong secret',
        clientSecretJwt('w'.repeat(64)),
        'w'.repeat(64),
        /Method: client_secret_jwt; check that the server holds the same client secret for client "demo-api-jwt" and allows HS256/,
      ],
    ])(
      '%s: answers 502, never 200 or 401, and logs an actionable reason without the key',
      async (_case, auth, secret, reason) => {
        const logger = new RecordingLogger();
        const demo = await startDemo(adapter, demoEnv(auth), { logger });
        try {
          const token = await as.mintToken('read:payments');
          const from = (await as.requests()).length;
          const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
          expect(answer.status).toBe(502);
          expect(answer.headers['www-authenticate']).toBeUndefined();
          // Sent once: a rejected assertion is not retried.
          const wire = await introspectionsBy(auth.INTROSPECTION_CLIENT_ID, from);
          expect(wire.map((request) => request.status)).toEqual([401]);
          const logged = logger.messages.filter((message) => message.includes('answering 502'));
          expect(logged).toHaveLength(1);
          expect(logged[0]).toMatch(
            /rejected this API's client authentication \(HTTP 401, error "invalid_client"\)/,
          );
          expect(logged[0]).toMatch(reason);
          expect(logged[0]).toContain(`aud "${as.issuer}"`);
          const everything = logger.messages.join('\n') + answer.body;
          for (const line of secret.split('\n').filter((part) => part.length > 20)) {
            expect(everything).not.toContain(line);
          }
          expect(everything).not.toContain(token);
        } finally {
          await demo.close();
        }
      },
    );
  });

  it('refuses to boot with a public key in INTROSPECTION_SIGNING_KEY, naming the variable and not the key', async () => {
    const publicPem = createPublicKey(TEST_SIGNING_KEYS.ec.privateKey).export({
      format: 'pem',
      type: 'spki',
    }) as string;
    const boot = startDemo(adapter, demoEnv({ ...privateKeyJwt(), INTROSPECTION_SIGNING_KEY: publicPem }));
    await expect(boot).rejects.toThrow(
      'Invalid introspection configuration, option "jwtSigningProfile.key" (env INTROSPECTION_SIGNING_KEY): is a public key',
    );
    await expect(boot).rejects.not.toThrow(publicPem.split('\n')[1]);
  });
});
