import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { BEARER_CLIENT_SECRET, TestAuthorizationServer } from './support/authorization-server';
import { BearerProtectedIntrospectionServer } from './support/bearer-protected-server';
import { ADAPTERS, RecordingLogger, RunningDemo, startDemo } from './support/demo-app';
import { useFakeDate } from './support/fake-date';
import { bearer, send } from './support/http';

// The bearer method against an introspection endpoint that wants a bearer
// token (a small front end to oidc-provider, which cannot be set up so),
// with the token obtained from oidc-provider's token endpoint.

const clients = demoClients();
const BEARER_CLIENT = { clientId: 'bearer-api', clientSecret: BEARER_CLIENT_SECRET };
/** oidc-provider's lifetime of the bearer-api client's tokens (see oidc-test-server.mjs). */
const BEARER_TOKEN_TTL_MS = 60_000;

let as: TestAuthorizationServer;
let front: BearerProtectedIntrospectionServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
  front = await BearerProtectedIntrospectionServer.start(
    {
      endpoint: as.introspectionEndpoint,
      clientId: clients.introspectionClients.client_secret_basic.clientId,
      clientSecret: clients.introspectionClients.client_secret_basic.clientSecret!,
    },
    BEARER_CLIENT.clientId,
  );
});

afterAll(async () => {
  await front?.close();
  await as?.stop();
});

const bearerEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  INTROSPECTION_ENDPOINT: front.url,
  INTROSPECTION_ISSUER: as.issuer,
  INTROSPECTION_AUDIENCE: clients.audience,
  INTROSPECTION_REALM: 'demo',
  INTROSPECTION_ENDPOINT_AUTH_METHOD: 'bearer',
  INTROSPECTION_CLIENT_ID: BEARER_CLIENT.clientId,
  INTROSPECTION_CLIENT_SECRET: BEARER_CLIENT.clientSecret,
  INTROSPECTION_TOKEN_ENDPOINT: as.tokenEndpoint,
  ...extra,
});

/** Token requests `clientId` made at oidc-provider from the `from`-th recorded request on. */
async function tokenRequestsBy(clientId: string, from: number): Promise<number> {
  return (await as.requests())
    .slice(from)
    .filter((request) => request.path === '/token' && request.clientId === clientId).length;
}

describe.each(ADAPTERS)('bearer method, demo API on %s', (adapter) => {
  let demo: RunningDemo | undefined;
  let from: number;
  let callersFrom: number;
  let userToken: string;

  beforeEach(async () => {
    userToken = await as.mintToken('read:payments');
    from = (await as.requests()).length;
    callersFrom = front.callerTokens.length;
  });

  afterEach(async () => {
    jest.useRealTimers();
    await demo?.close();
    demo = undefined;
  });

  const me = (token = userToken) => send(`${demo!.url}/me`, { headers: bearer(token) });
  const statuses = async (count: number) =>
    (await Promise.all(Array.from({ length: count }, () => me()))).map((a) => a.status);
  const callerTokens = () => front.callerTokens.slice(callersFrom);

  it('serves many introspections, concurrent or not, with one token request', async () => {
    demo = await startDemo(adapter, bearerEnv());
    expect(await statuses(8)).toEqual(Array(8).fill(200));
    for (let i = 0; i < 4; i++) {
      expect((await me()).status).toBe(200);
    }
    expect(await tokenRequestsBy(BEARER_CLIENT.clientId, from)).toBe(1);
    expect(callerTokens()).toHaveLength(12);
    expect(new Set(callerTokens()).size).toBe(1);
  });

  it('applies the route requirements to the answers as with any other method', async () => {
    demo = await startDemo(adapter, bearerEnv());
    const post = await send(`${demo.url}/payments`, { method: 'POST', headers: bearer(userToken) });
    expect(post.status).toBe(403);
    expect(post.headers['www-authenticate']).toBe(
      'Bearer realm="demo", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments"',
    );
    await as.revoke(userToken);
    const revoked = await me();
    expect(revoked.status).toBe(401);
    expect(revoked.headers['www-authenticate']).toBe(
      'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
    );
  });

  it('renews the token once when it expires (fake clock)', async () => {
    useFakeDate();
    demo = await startDemo(adapter, bearerEnv());
    expect((await me()).status).toBe(200);
    jest.setSystemTime(Date.now() + BEARER_TOKEN_TTL_MS);
    expect(await statuses(5)).toEqual(Array(5).fill(200));
    expect((await me()).status).toBe(200);
    expect(await tokenRequestsBy(BEARER_CLIENT.clientId, from)).toBe(2);
    const [first, ...after] = callerTokens();
    expect(new Set(after).size).toBe(1);
    expect(after[0]).not.toBe(first);
  });

  it('renews the token once when the endpoint answers 401, and retries the introspection', async () => {
    demo = await startDemo(adapter, bearerEnv());
    expect((await me()).status).toBe(200);
    const [stale] = callerTokens();
    // The server revokes our token: the next requests meet 401 and renew it.
    await as.revoke(stale, BEARER_CLIENT);
    expect(await statuses(5)).toEqual(Array(5).fill(200));
    expect(await tokenRequestsBy(BEARER_CLIENT.clientId, from)).toBe(2);
    const renewed = callerTokens().filter((token) => token !== stale);
    expect(renewed.length).toBeGreaterThanOrEqual(5);
    expect(new Set(renewed).size).toBe(1);
  });

  it('answers 502 when the endpoint refuses fresh tokens too, without a token request per introspection', async () => {
    // The demo's token client may use client_credentials, but the front end
    // only takes tokens of bearer-api.
    const logger = new RecordingLogger();
    demo = await startDemo(
      adapter,
      bearerEnv({
        INTROSPECTION_CLIENT_ID: clients.tokenClient.clientId,
        INTROSPECTION_CLIENT_SECRET: clients.tokenClient.clientSecret,
      }),
      { logger },
    );
    for (let i = 0; i < 3; i++) {
      const answer = await me();
      expect(answer.status).toBe(502);
      expect(answer.headers['www-authenticate']).toBeUndefined();
    }
    // One token, then one renewal after the first 401; no more.
    expect(await tokenRequestsBy(clients.tokenClient.clientId, from)).toBe(2);
    const logged = logger.messages.filter((message) => message.includes('answering 502'));
    expect(logged[0]).toMatch(
      /Method: bearer; the introspection endpoint refused a fresh access token of client "demo-client"/,
    );
    for (const token of callerTokens()) {
      expect(logger.messages.join('\n')).not.toContain(token);
    }
  });

  it('answers 502 when the token endpoint rejects the client, logging why without the secret', async () => {
    const logger = new RecordingLogger();
    demo = await startDemo(adapter, bearerEnv({ INTROSPECTION_CLIENT_SECRET: 'not-the-bearer-secret' }), {
      logger,
    });
    const answer = await me();
    expect(answer.status).toBe(502);
    const logged = logger.messages.filter((message) => message.includes('answering 502'));
    expect(logged).toEqual([
      expect.stringMatching(
        /The token endpoint rejected this API's client authentication \(HTTP 401, error "invalid_client"\); check clientId and the credentials of tokenEndpointAuthMethod client_secret_basic\. Method: client_secret_basic\./,
      ),
    ]);
    expect(logger.messages.join('\n')).not.toContain('not-the-bearer-secret');
  });

  it('sends a fixed INTROSPECTION_BEARER_TOKEN, with no token request', async () => {
    const fixed = await as.mintToken('', undefined, BEARER_CLIENT);
    demo = await startDemo(
      adapter,
      bearerEnv({
        INTROSPECTION_BEARER_TOKEN: fixed,
        INTROSPECTION_TOKEN_ENDPOINT: '',
        INTROSPECTION_CLIENT_SECRET: '',
      }),
    );
    const before = await tokenRequestsBy(BEARER_CLIENT.clientId, 0);
    expect((await me()).status).toBe(200);
    expect(callerTokens()).toEqual([fixed]);
    expect(await tokenRequestsBy(BEARER_CLIENT.clientId, 0)).toBe(before);
  });
});
