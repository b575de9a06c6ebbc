import { TestAuthorizationServer } from './support/authorization-server';
import { authorizationServerEnv, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { REDIS_URL, RedisProcess } from './support/redis';

// cache.coalescing 'distributed': three demo instances sharing Redis make one
// introspection request for a token that thousands of concurrent first
// requests present to all of them at once; and with Redis killed mid-run,
// every request still succeeds (per-instance single flight).

/** The secret every instance sharing the Redis is given; made up for the tests. */
const CACHE_SECRET = 'e2e-cache-secret-shared-by-the-instances';
const PER_INSTANCE = 1_000;
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

/** Runs `action` and returns how many introspection requests the server received meanwhile. */
async function introspectionsDuring(action: () => Promise<unknown>): Promise<number> {
  const before = await as.introspectionCount();
  await action();
  return (await as.introspectionCount()) - before;
}

/** Three demo instances on `redisUrl`, coalescing across the fleet. */
async function fleet(redisUrl: string): Promise<RunningDemo[]> {
  const env = authorizationServerEnv(as, {
    INTROSPECTION_TTL: '60s',
    INTROSPECTION_CACHE_URL: redisUrl,
    INTROSPECTION_CACHE_SECRET: CACHE_SECRET,
    INTROSPECTION_CACHE_TIMEOUT: '2s',
    INTROSPECTION_CACHE_COALESCING: 'distributed',
  });
  return Promise.all([startDemo('express', env), startDemo('fastify', env), startDemo('express', env)]);
}

/** `PER_INSTANCE` concurrent requests with `token` to each instance at once; their statuses. */
async function firstRequests(instances: RunningDemo[], token: string): Promise<number[]> {
  const answers = await Promise.all(
    instances.flatMap((demo) =>
      Array.from({ length: PER_INSTANCE }, () => send(`${demo.url}/payments`, { headers: bearer(token) })),
    ),
  );
  return answers.map((answer) => answer.status);
}

describe('one introspection per token across the fleet (cache.coalescing distributed)', () => {
  it(`makes one introspection request for 3 × ${PER_INSTANCE} concurrent first requests with one fresh token`, async () => {
    const instances = await fleet(REDIS_URL);
    try {
      const token = await as.mintToken('read:payments');
      let statuses: number[] = [];
      const made = await introspectionsDuring(async () => (statuses = await firstRequests(instances, token)));
      expect(made).toBe(1);
      expect(statuses).toStrictEqual(Array.from({ length: 3 * PER_INSTANCE }, () => 200));
    } finally {
      await Promise.all(instances.map((demo) => demo.close()));
    }
  }, 60_000);

  it('answers every request when Redis is killed mid-run, with at most one introspection per instance', async () => {
    const redis = await RedisProcess.start();
    const instances = await fleet(redis.url);
    try {
      const token = await as.mintToken('read:payments');
      let statuses: number[] = [];
      const made = await introspectionsDuring(async () => {
        const running = firstRequests(instances, token);
        await redis.stop();
        statuses = await running;
      });
      expect(statuses).toStrictEqual(Array.from({ length: 3 * PER_INSTANCE }, () => 200));
      // Per-instance single flight still holds without Redis.
      expect(made).toBeGreaterThanOrEqual(1);
      expect(made).toBeLessThanOrEqual(3);
    } finally {
      await Promise.all(instances.map((demo) => demo.close()));
      await redis.stop();
    }
  }, 60_000);
});
