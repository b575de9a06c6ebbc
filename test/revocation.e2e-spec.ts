import { IntrospectionEvents, IntrospectionService } from '@app/introspection';
import { Revocations } from '../libs/introspection/src/revocation/revocations';
import { randomUUID } from 'node:crypto';
import { TestAuthorizationServer } from './support/authorization-server';
import { authorizationServerEnv, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { REDIS_URL, RedisProcess } from './support/redis';
import { waitFor } from '../libs/introspection/test-support/wait-for';
import { DEMO_TRANSMITTER, demoSecurityEvent, pushSecurityEvent } from './support/security-events';

// Revocation that reaches every instance at once: three demo instances
// sharing a real Redis cache answers for 300 s; a revocation made on one of
// them is honoured by all three without waiting for the cache to expire.

const CACHE_SECRET = 'e2e-cache-secret-of-the-revocation-fleet';
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

function fleetEnv(redisUrl = REDIS_URL): Record<string, string> {
  return authorizationServerEnv(as, {
    INTROSPECTION_TTL: '300s',
    INTROSPECTION_CACHE_URL: redisUrl,
    INTROSPECTION_CACHE_SECRET: CACHE_SECRET,
    // A loaded CI machine must not turn a slow read into a miss.
    INTROSPECTION_CACHE_TIMEOUT: '2s',
    // The receiver of pushed security events, the test server as transmitter.
    INTROSPECTION_SET_ISSUER: as.issuer,
    INTROSPECTION_SET_JWKS_URI: `${as.issuer}${DEMO_TRANSMITTER.jwksPath}`,
  });
}

/** A CAEP session-revoked SET about `subject`, signed with the demo transmitter's development key, pushed to `demo`. */
async function pushSessionRevoked(demo: RunningDemo, subject: Record<string, unknown>): Promise<number> {
  return (await pushSecurityEvent(demo.url, await demoSecurityEvent(as.issuer, { sub_id: subject }))).status;
}

jest.setTimeout(60_000);

/** Whether the demo's revocation channel hears the other instances (it starts deaf, until subscribed and loaded). */
const hears = (demo: RunningDemo) => demo.app.get(Revocations).hearing;

/** Resolves once the demo's revocation channel hears. */
function hearing(demo: RunningDemo, expected = true): Promise<void> {
  return waitFor(
    `the revocation channel to ${expected ? 'hear' : 'go deaf'}`,
    () => hears(demo) === expected,
  );
}

/** Starts a demo on `adapter` and waits for its revocation channel to hear. */
async function startInstance(
  adapter: 'express' | 'fastify',
  env: Record<string, string>,
): Promise<RunningDemo> {
  const demo = await startDemo(adapter, env);
  await hearing(demo);
  return demo;
}

async function introspectionsDuring(action: () => Promise<unknown>): Promise<number> {
  const before = await as.introspectionCount();
  await action();
  return (await as.introspectionCount()) - before;
}

/** Every instance answers `token` from its cache: 200 with no introspection. */
async function expectCachedEverywhere(fleet: RunningDemo[], token: string): Promise<void> {
  for (const demo of fleet) {
    await send(`${demo.url}/me`, { headers: bearer(token) });
  }
  const made = await introspectionsDuring(async () => {
    for (const demo of fleet) {
      expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
    }
  });
  expect(made).toBe(0);
}

/** Waits until `demo` refuses `token` (at most about 5 s), with the challenge of an inactive token. */
async function untilRefused(demo: RunningDemo, token: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
    if (answer.status === 401) {
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
      );
      return;
    }
    expect(answer.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the instance kept serving the revoked token');
}

describe('revocation across three instances sharing Redis (ttl 300 s)', () => {
  let fleet: RunningDemo[];

  beforeAll(async () => {
    const env = fleetEnv();
    fleet = [];
    for (const adapter of ['express', 'fastify', 'express'] as const) {
      fleet.push(await startInstance(adapter, env));
    }
  });

  afterAll(async () => {
    await Promise.all(fleet.map((demo) => demo.close()));
  });

  it('invalidate(token) on one instance: refused by all three, each asking the server again', async () => {
    const token = await as.mintToken('read:payments');
    await expectCachedEverywhere(fleet, token);
    await as.revoke(token);
    // Revoked at the server, still served from the caches: the window a revocation closes.
    expect((await send(`${fleet[1].url}/me`, { headers: bearer(token) })).status).toBe(200);

    await fleet[0].app.get(IntrospectionService).invalidate(token);
    await Promise.all(fleet.map((demo) => untilRefused(demo, token)));
  });

  it("invalidateWhere({ sub }) on one instance: that subject's tokens refused by all, others still served from cache", async () => {
    const sub = `alice-${randomUUID()}`;
    const first = await as.mintUserToken({ sub });
    const second = await as.mintUserToken({ sub });
    const other = await as.mintUserToken({ sub: `bob-${randomUUID()}` });
    for (const token of [first, second, other]) {
      await expectCachedEverywhere(fleet, token);
    }
    await as.revoke(first);
    await as.revoke(second);

    await fleet[1].app.get(IntrospectionService).invalidateWhere({ sub });
    await Promise.all(fleet.flatMap((demo) => [untilRefused(demo, first), untilRefused(demo, second)]));
    expect(
      await introspectionsDuring(async () => {
        for (const demo of fleet) {
          expect((await send(`${demo.url}/me`, { headers: bearer(other) })).status).toBe(200);
        }
      }),
    ).toBe(0);
  });

  it('invalidateWhere({ sid }) on one instance: the tokens of that session refused by all', async () => {
    const sub = `carol-${randomUUID()}`;
    const sid = randomUUID();
    const inSession = await as.mintUserToken({ sub, sid });
    const otherSession = await as.mintUserToken({ sub, sid: randomUUID() });
    await expectCachedEverywhere(fleet, inSession);
    await expectCachedEverywhere(fleet, otherSession);
    await as.revoke(inSession);

    await fleet[2].app.get(IntrospectionService).invalidateWhere({ sid });
    await Promise.all(fleet.map((demo) => untilRefused(demo, inSession)));
    for (const demo of fleet) {
      expect((await send(`${demo.url}/me`, { headers: bearer(otherSession) })).status).toBe(200);
    }
  });

  it('a new login after invalidateWhere({ sub }) is not affected: the cut-off is in the past for it', async () => {
    const sub = `dave-${randomUUID()}`;
    const before = await as.mintUserToken({ sub });
    await expectCachedEverywhere(fleet, before);
    await fleet[0].app.get(IntrospectionService).invalidateWhere({ sub });
    // Introspected again (the marker is older than the new introspection), active at the server, cached again.
    const after = await as.mintUserToken({ sub });
    for (const demo of fleet) {
      expect((await send(`${demo.url}/me`, { headers: bearer(after) })).status).toBe(200);
    }
    await expectCachedEverywhere(fleet, after);
  });

  it.each([
    [
      'its sub',
      (user: { sub: string; sid: string }) => ({ format: 'iss_sub', iss: as.issuer, sub: user.sub }),
    ],
    ['its sid', (user: { sub: string; sid: string }) => ({ session: { format: 'opaque', id: user.sid } })],
  ])('a SET session-revoked for %s pushed to one instance: refused by all three', async (_label, subject) => {
    const user = { sub: `frank-${randomUUID()}`, sid: randomUUID() };
    const token = await as.mintUserToken(user);
    await expectCachedEverywhere(fleet, token);
    await as.revoke(token);

    expect(await pushSessionRevoked(fleet[1], subject(user))).toBe(202);
    await Promise.all(fleet.map((demo) => untilRefused(demo, token)));
  });

  it('an instance started after the marker honours it (markers are kept in Redis)', async () => {
    const sub = `erin-${randomUUID()}`;
    const token = await as.mintUserToken({ sub });
    await expectCachedEverywhere(fleet, token);
    await as.revoke(token);
    await fleet[0].app.get(IntrospectionService).invalidateWhere({ sub });
    const late = await startInstance('fastify', fleetEnv());
    try {
      // The entry is still in Redis; the late instance reads it and refuses it for the marker it loaded.
      await untilRefused(late, token);
    } finally {
      await late.close();
    }
  });
});

describe('revocation while the channel is deaf', () => {
  it('serves nothing from memory once Redis is gone, and introspects instead', async () => {
    const redis = await RedisProcess.start();
    const demo = await startInstance('express', fleetEnv(redis.url));
    const states: boolean[] = [];
    demo.app.get(IntrospectionEvents).on('revocation.channel', ({ hearing }) => states.push(hearing));
    try {
      const token = await as.mintToken('read:payments');
      expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
      expect(await introspectionsDuring(() => send(`${demo.url}/me`, { headers: bearer(token) }))).toBe(0);

      await redis.stop();
      await hearing(demo, false);
      expect(states.at(-1)).toBe(false);
      await as.revoke(token);
      // Deaf: a revocation elsewhere could be missed, so memory is not used; the server says revoked.
      const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(401);
    } finally {
      await demo.close();
      await redis.stop();
    }
  });
});
