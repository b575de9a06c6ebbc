import { generateKeyPair, SignJWT } from 'jose';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, ManualClock, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';

// Couper's model against oidc-provider issuing JWT access tokens (RFC 9068)
// for the resource clients.jwtAudience: verified locally, then introspected.
// Introspection requests are counted at the server.

const clients = demoClients();
const apiClient = clients.introspectionClients.client_secret_basic as {
  clientId: string;
  clientSecret: string;
};
const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token is not active."';

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

const jwtEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  INTROSPECTION_ISSUER: as.issuer,
  INTROSPECTION_CLIENT_ID: apiClient.clientId,
  INTROSPECTION_CLIENT_SECRET: apiClient.clientSecret,
  INTROSPECTION_JWT_AUDIENCE: clients.jwtAudience,
  ...extra,
});

const decode = (jwt: string, part: 0 | 1) =>
  JSON.parse(Buffer.from(jwt.split('.')[part], 'base64url').toString('utf8')) as Record<string, unknown>;

describe.each(ADAPTERS)('JWT access tokens verified locally, then introspected, on %s', (adapter) => {
  let demo: RunningDemo;
  const clock = new ManualClock();

  beforeAll(async () => {
    demo = await startDemo(adapter, jwtEnv(), { clock });
  });

  afterAll(async () => {
    await demo?.close();
  });

  /** Calls /me and returns the answer with the number of introspection requests it caused. */
  async function callMe(token: string) {
    const before = await as.introspectionCount();
    const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
    return { answer, introspections: (await as.introspectionCount()) - before };
  }

  it('grants a valid JWT after one introspection, handing both the answer and the JWT claims to the handler', async () => {
    const token = await as.mintToken('read:payments', clients.jwtAudience);
    expect(decode(token, 0).typ).toBe('at+jwt');
    const { answer, introspections } = await callMe(token);
    expect(answer.status).toBe(200);
    expect(introspections).toBe(1);
    expect(answer.json()).toMatchObject({
      active: true,
      aud: [clients.jwtAudience],
      accessTokenClaims: { iss: as.issuer, aud: clients.jwtAudience, scope: 'read:payments' },
    });
  });

  it('refuses a revoked JWT through introspection', async () => {
    const token = await as.mintToken('read:payments', clients.jwtAudience);
    await as.revoke(token);
    const { answer, introspections } = await callMe(token);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(INVALID_TOKEN);
    expect(introspections).toBe(1);
  });

  it('refuses a forged JWT (signed with another key under the server kid) with no introspection', async () => {
    const genuine = await as.mintToken('read:payments', clients.jwtAudience);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(decode(genuine, 1))
      .setProtectedHeader(decode(genuine, 0) as { alg: string })
      .sign(privateKey);
    const { answer, introspections } = await callMe(forged);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(INVALID_TOKEN);
    expect(introspections).toBe(0);
  });

  it('refuses a tampered JWT (scope widened) with no introspection', async () => {
    const [header, payload, signature] = (await as.mintToken('read:payments', clients.jwtAudience)).split(
      '.',
    );
    const claims = {
      ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object),
      scope: 'admin',
    };
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const { answer, introspections } = await callMe(tampered);
    expect(answer.status).toBe(401);
    expect(introspections).toBe(0);
  });

  it('refuses a JWT for another audience with no introspection', async () => {
    // A genuine JWT, shown to an API whose audience it does not name.
    const genuine = await as.mintToken('read:payments', clients.jwtAudience);
    const other = await startDemo(adapter, jwtEnv({ INTROSPECTION_JWT_AUDIENCE: 'urn:another-api' }));
    try {
      const before = await as.introspectionCount();
      const answer = await send(`${other.url}/me`, { headers: bearer(genuine) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(INVALID_TOKEN);
      expect((await as.introspectionCount()) - before).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('refuses an expired JWT with no introspection', async () => {
    const token = await as.mintToken('read:payments', clients.jwtAudience);
    const exp = decode(token, 1).exp as number;
    clock.advance(exp * 1000 - Date.now() + 60_000);
    try {
      const { answer, introspections } = await callMe(token);
      expect(answer.status).toBe(401);
      expect(introspections).toBe(0);
    } finally {
      clock.advance(-(exp * 1000 - Date.now() + 60_000));
    }
  });

  it('refuses a flood of garbage JWTs with no introspection at all', async () => {
    const before = await as.introspectionCount();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(`${demo.url}/me`, { headers: bearer(`eyJhbGciOiJSUzI1NiJ9.eyJpIjo${i}fQ.c2ln`) }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(401));
    expect((await as.introspectionCount()) - before).toBe(0);
  });

  it('introspects an opaque token (acceptOpaqueTokens defaults to true)', async () => {
    const { answer, introspections } = await callMe(await as.mintToken());
    expect(answer.status).toBe(200);
    expect(introspections).toBe(1);
    expect(answer.json()).not.toHaveProperty('accessTokenClaims');
  });

  it('refuses opaque tokens without introspection when acceptOpaqueTokens is false', async () => {
    const strict = await startDemo(adapter, jwtEnv({ INTROSPECTION_ACCEPT_OPAQUE_TOKENS: 'false' }));
    try {
      const before = await as.introspectionCount();
      const answer = await send(`${strict.url}/me`, { headers: bearer(await as.mintToken()) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(INVALID_TOKEN);
      expect((await as.introspectionCount()) - before).toBe(0);
    } finally {
      await strict.close();
    }
  });
});
