import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, authorizationServerEnv, ManualClock, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { REDIS_URL, RedisProcess } from './support/redis';

// The response cache against oidc-provider: what is reused, for how long,
// and that requirements are still applied to every request.

/** The secret every instance sharing the test Redis is given; made up for the tests. */
const CACHE_SECRET = 'e2e-cache-secret-shared-by-the-instances';
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

function env(extra: Record<string, string>): Record<string, string> {
  return authorizationServerEnv(as, extra);
}

/** Runs `action` and returns how many introspection requests the server received meanwhile. */
async function introspectionsDuring(action: () => Promise<unknown>): Promise<number> {
  const before = await as.introspectionCount();
  await action();
  return (await as.introspectionCount()) - before;
}

describe.each(ADAPTERS)('response cache on %s', (adapter) => {
  describe('with ttl 60s', () => {
    const clock = new ManualClock();
    let demo: RunningDemo;

    beforeAll(async () => {
      demo = await startDemo(adapter, env({ INTROSPECTION_TTL: '60s', INTROSPECTION_NEGATIVE_TTL: '10s' }), {
        clock,
      });
    });

    afterAll(async () => {
      await demo?.close();
    });

    it('keeps serving a revoked token from the cache until ttl has passed, then rejects it', async () => {
      const token = await as.mintToken('read:payments');
      expect(await introspectionsDuring(() => send(`${demo.url}/me`, { headers: bearer(token) }))).toBe(1);
      await as.revoke(token);

      let answer = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(200);

      clock.advance(59_000);
      expect(
        await introspectionsDuring(
          async () => (answer = await send(`${demo.url}/me`, { headers: bearer(token) })),
        ),
      ).toBe(0);
      expect(answer.status).toBe(200);

      clock.advance(1_000);
      expect(
        await introspectionsDuring(
          async () => (answer = await send(`${demo.url}/me`, { headers: bearer(token) })),
        ),
      ).toBe(1);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
      );
    });

    it('makes exactly one introspection request for 200 concurrent requests with one fresh token', async () => {
      const token = await as.mintToken('read:payments');
      let statuses: number[] = [];
      const made = await introspectionsDuring(async () => {
        const answers = await Promise.all(
          Array.from({ length: 200 }, () => send(`${demo.url}/payments`, { headers: bearer(token) })),
        );
        statuses = answers.map((a) => a.status);
      });
      expect(made).toBe(1);
      expect(new Set(statuses)).toEqual(new Set([200]));
    });

    it('still refuses a cached token on a route that needs a scope it lacks', async () => {
      const token = await as.mintToken('read:payments');
      expect((await send(`${demo.url}/payments`, { headers: bearer(token) })).status).toBe(200);
      let answer = await send(`${demo.url}/payments`);
      const made = await introspectionsDuring(async () => {
        answer = await send(`${demo.url}/payments`, { method: 'POST', headers: bearer(token) });
      });
      expect(made).toBe(0);
      expect(answer.status).toBe(403);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments"',
      );
    });

    it('asks once per distinct unknown token within negativeTtl, then again', async () => {
      const garbage = `unknown-${Math.random().toString(36).slice(2)}`;
      const call = () => send(`${demo.url}/me`, { headers: bearer(garbage) });
      expect(await introspectionsDuring(async () => expect((await call()).status).toBe(401))).toBe(1);
      expect(await introspectionsDuring(async () => expect((await call()).status).toBe(401))).toBe(0);
      clock.advance(10_000);
      expect(await introspectionsDuring(async () => expect((await call()).status).toBe(401))).toBe(1);
    });
  });

  it('asks the server every time with ttl 0, so a revoked token is rejected at once', async () => {
    const demo = await startDemo(adapter, env({ INTROSPECTION_TTL: '0' }));
    try {
      const token = await as.mintToken('read:payments');
      expect(await introspectionsDuring(() => send(`${demo.url}/me`, { headers: bearer(token) }))).toBe(1);
      expect(await introspectionsDuring(() => send(`${demo.url}/me`, { headers: bearer(token) }))).toBe(1);
      await as.revoke(token);
      expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(401);
    } finally {
      await demo.close();
    }
  });

  it('shares answers between two instances through Redis', async () => {
    // A generous store deadline: a loaded CI machine must not turn a slow read into a miss.
    const shared = env({
      INTROSPECTION_TTL: '60s',
      INTROSPECTION_CACHE_URL: REDIS_URL,
      INTROSPECTION_CACHE_SECRET: CACHE_SECRET,
      INTROSPECTION_CACHE_TIMEOUT: '2s',
    });
    const first = await startDemo(adapter, shared);
    const second = await startDemo(adapter, shared);
    try {
      const token = await as.mintToken('read:payments');
      expect(
        await introspectionsDuring(async () =>
          expect((await send(`${first.url}/me`, { headers: bearer(token) })).status).toBe(200),
        ),
      ).toBe(1);
      expect(
        await introspectionsDuring(async () =>
          expect((await send(`${second.url}/me`, { headers: bearer(token) })).status).toBe(200),
        ),
      ).toBe(0);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('answers correctly, by introspection, when Redis stops mid-test', async () => {
    const redis = await RedisProcess.start();
    const clock = new ManualClock();
    const demo = await startDemo(
      adapter,
      env({
        INTROSPECTION_TTL: '60s',
        INTROSPECTION_CACHE_URL: redis.url,
        INTROSPECTION_CACHE_SECRET: CACHE_SECRET,
        INTROSPECTION_CACHE_LOCAL_TTL: '1s',
      }),
      { clock },
    );
    try {
      const token = await as.mintToken('read:payments');
      const revoked = await as.mintToken('read:payments');
      expect(await introspectionsDuring(() => send(`${demo.url}/me`, { headers: bearer(token) }))).toBe(1);
      expect(await introspectionsDuring(() => send(`${demo.url}/me`, { headers: bearer(token) }))).toBe(0);

      await redis.stop();
      await as.revoke(revoked);

      // Answered from memory until this instance notices Redis is gone (its
      // revocation channel goes deaf and memory is cleared) or cache.localTtl passes…
      let answer = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(200);
      // …past both, and with Redis gone, the server is asked.
      clock.advance(1_000);
      expect(
        await introspectionsDuring(
          async () => (answer = await send(`${demo.url}/me`, { headers: bearer(token) })),
        ),
      ).toBe(1);
      expect(answer.status).toBe(200);
      answer = await send(`${demo.url}/me`, { headers: bearer(revoked) });
      expect(answer.status).toBe(401);
    } finally {
      await demo.close();
      await redis.stop();
    }
  });
});
