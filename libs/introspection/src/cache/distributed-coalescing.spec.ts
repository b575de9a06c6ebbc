import { Logger } from '@nestjs/common';
import { createClient } from '@redis/client';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { RedisProcess } from '../../../../test/support/redis';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { IntrospectionEventMap, IntrospectionEvents } from '../events/introspection-events';
import { DistributedCoalescing, type DistributedCoalescingSettings } from './distributed-coalescing';

type Outcome = IntrospectionEventMap['coalescing.waited']['outcome'];

/** A promise and the function that resolves it: a lookup held open until the test lets it go. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves once `condition` holds, looking every few milliseconds (never a duration asserted). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('DistributedCoalescing', () => {
  const instances: DistributedCoalescing[] = [];
  const outcomes: Outcome[] = [];
  const degraded: IntrospectionEventMap['coalescing.degraded'][] = [];
  let restored = 0;
  let events: IntrospectionEvents;
  let now = 1_700_000_000_000;
  const clock = { now: () => now };

  /** One "instance": its own connections to `url`. */
  function instance(
    url: string,
    settings: Partial<DistributedCoalescingSettings> = {},
  ): DistributedCoalescing {
    const made = new DistributedCoalescing(
      { url, commandTimeoutMs: 500, lockTtlMs: 10_000, pollIntervalMs: 20, clock, ...settings },
      events,
    );
    instances.push(made);
    return made;
  }

  /** Opens the connections of every instance made so far, as the module does at boot. */
  const connectAll = () => Promise.all(instances.map((made) => made.connect()));

  beforeEach(() => {
    events = new IntrospectionEvents()
      .on('coalescing.waited', ({ outcome }) => outcomes.push(outcome))
      .on('coalescing.degraded', (payload) => degraded.push(payload))
      .on('coalescing.restored', () => restored++);
    outcomes.length = 0;
    degraded.length = 0;
    restored = 0;
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((made) => made.close()));
    jest.restoreAllMocks();
  });

  describe('on a shared Redis', () => {
    // A server of these tests' own: its command statistics tell when a call is waiting.
    let server: RedisProcess;
    let url: string;
    let redis: ReturnType<typeof createClient>;
    // A fresh cache key per test, the way the cache's HMAC keys are per token.
    let key: string;
    let answerKey: string;

    beforeAll(async () => {
      server = await RedisProcess.start();
      url = server.url;
      redis = createClient({ url });
      await redis.connect();
    });
    afterAll(async () => {
      await redis.close();
      await server.stop();
    });
    beforeEach(async () => {
      await redis.configResetStat();
      key = `introspection:test:${randomUUID()}`;
      answerKey = `test:coalescing:answer:${key}`;
    });

    /** The lookup: "introspects" (counted), then writes the shared cache, as the service's lookup does. */
    function lookup(counter: { calls: number }, answer: string, held?: Promise<void>) {
      return async (): Promise<string> => {
        counter.calls++;
        await (held ?? new Promise((resolve) => setTimeout(resolve, 20)));
        await redis.set(answerKey, answer, { expiration: { type: 'PX', value: 60_000 } });
        return answer;
      };
    }
    const readShared = async (): Promise<string | undefined> => (await redis.get(answerKey)) ?? undefined;

    /**
     * Resolves once the server has handled `count` lock attempts (`SET`s): a
     * call whose attempt failed listens for the release from before it.
     */
    async function lockAttempts(count: number): Promise<void> {
      await until(async () => {
        const calls = /cmdstat_set:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1];
        return Number(calls ?? 0) >= count;
      });
    }

    it('runs one lookup for many concurrent calls on three instances; the others read its answer', async () => {
      const fleet = [instance(url), instance(url), instance(url)];
      await Promise.all(fleet.map((made) => made.connect()));
      const counter = { calls: 0 };
      const results = await Promise.all(
        fleet.flatMap((made) =>
          Array.from({ length: 50 }, () => made.run(key, 10_000, lookup(counter, 'active'), readShared)),
        ),
      );
      expect(counter.calls).toBe(1);
      expect(results).toStrictEqual(Array.from({ length: 150 }, () => 'active'));
      expect(outcomes.length).toBeGreaterThan(0);
      expect(outcomes.every((outcome) => outcome === 'shared')).toBe(true);
      // Released by its owner once answered.
      expect(await redis.exists(`introspection:coalescing:lock:${key}`)).toBe(0);
    });

    /**
     * Starts a call on `made` that takes the lock and holds it until
     * `release()`, then answers `answer` (or throws it) without writing the
     * shared cache.
     */
    async function holding(made: DistributedCoalescing, answer: string | Error) {
      const held = gate();
      const started = gate();
      let settled = false;
      const done = made
        .run(
          key,
          10_000,
          async () => {
            started.open();
            await held.opened;
            if (answer instanceof Error) {
              throw answer;
            }
            return answer;
          },
          readShared,
        )
        .finally(() => (settled = true));
      await started.opened;
      return { done, release: held.open, settled: () => settled };
    }

    it('takes its settings from the resolved options: the lock outlives one lookup', async () => {
      const resolved = resolveIntrospectionOptions({
        endpoint: 'https://as.example.com/introspect',
        clientId: 'api',
        cache: { ttl: '30s', url, secret: 'c'.repeat(32), timeout: '100ms', coalescing: 'distributed' },
        transport: { timeout: '1s' },
      });
      expect(DistributedCoalescing.fromOptions({ ...resolved, cacheCoalescing: 'local' })).toBeUndefined();
      const made = DistributedCoalescing.fromOptions(resolved, events, 'orders')!;
      instances.push(made);
      await connectAll();
      const call = await holding(made, 'active');
      // The transport's deadline, plus a cache read and a write.
      const ttl = await redis.pTTL(`introspection:coalescing:orders:lock:${key}`);
      expect(ttl).toBeGreaterThan(1_000);
      expect(ttl).toBeLessThanOrEqual(1_200);
      call.release();
      await expect(call.done).resolves.toBe('active');
    });

    it('keeps the lock under the registration namespace, named by the cache key', async () => {
      const named = instance(url, { namespace: 'orders' });
      await connectAll();
      const call = await holding(named, 'active');
      expect(await redis.exists(`introspection:coalescing:orders:lock:${key}`)).toBe(1);
      expect(await redis.exists(`introspection:coalescing:lock:${key}`)).toBe(0);
      call.release();
      await expect(call.done).resolves.toBe('active');
    });

    it('wakes the waiting instances by notification, without waiting for a poll', async () => {
      // Polling only every hour: only the notification can end the wait within the test's timeout.
      const leader = instance(url, { pollIntervalMs: 3_600_000 });
      const follower = instance(url, { pollIntervalMs: 3_600_000 });
      await connectAll();
      const counter = { calls: 0 };
      const held = gate();
      const led = leader.run(key, 3_600_000, lookup(counter, 'active', held.opened), readShared);
      await until(() => counter.calls === 1);
      const followed = follower.run(key, 3_600_000, lookup(counter, 'other'), readShared);
      await lockAttempts(2);
      held.open();
      await expect(Promise.all([led, followed])).resolves.toStrictEqual(['active', 'active']);
      expect(counter.calls).toBe(1);
      expect(outcomes).toStrictEqual(['shared']);
    });

    it('lets a waiting instance look up itself when the lookup holding the lock fails', async () => {
      const [leader, second, third] = [instance(url), instance(url), instance(url)];
      await connectAll();
      const failing = await holding(leader, new Error('endpoint unavailable'));
      const counter = { calls: 0 };
      const waiting = [
        second.run(key, 10_000, lookup(counter, 'active'), readShared),
        third.run(key, 10_000, lookup(counter, 'active'), readShared),
      ];
      await lockAttempts(3);
      failing.release();
      await expect(failing.done).rejects.toThrow('endpoint unavailable');
      await expect(Promise.all(waiting)).resolves.toStrictEqual(['active', 'active']);
      // Each waiting instance either looked up or read the other's answer.
      expect(counter.calls).toBeGreaterThanOrEqual(1);
      expect(counter.calls).toBeLessThanOrEqual(2);
      expect(outcomes).toContain('unanswered');
    });

    it('lets a waiting instance look up itself when the answer is not cached (not shared)', async () => {
      const [leader, follower] = [instance(url), instance(url)];
      await connectAll();
      const uncached = await holding(leader, 'inactive, not cached');
      const counter = { calls: 0 };
      const followed = follower.run(key, 10_000, lookup(counter, 'inactive'), readShared);
      await lockAttempts(2);
      uncached.release();
      await expect(uncached.done).resolves.toBe('inactive, not cached');
      await expect(followed).resolves.toBe('inactive');
      expect(counter.calls).toBe(1);
      expect(outcomes).toStrictEqual(['unanswered']);
    });

    it('never waits past the deadline: the waiting instances look up themselves', async () => {
      const [leader, second, third] = [instance(url), instance(url), instance(url)];
      await connectAll();
      const slow = await holding(leader, 'leader');
      const own = { calls: 0 };
      const waiting = await Promise.all([
        second.run(key, 50, () => Promise.resolve((own.calls++, 'own')), readShared),
        third.run(key, 50, () => Promise.resolve((own.calls++, 'own')), readShared),
      ]);
      expect(waiting).toStrictEqual(['own', 'own']);
      expect(own.calls).toBe(2);
      expect(outcomes).toStrictEqual(['deadline', 'deadline']);
      expect(slow.settled()).toBe(false);
      slow.release();
      await expect(slow.done).resolves.toBe('leader');
    });

    it('releases only its own lock: one that expired and was taken by another instance stays', async () => {
      const [first, second] = [instance(url, { lockTtlMs: 50 }), instance(url, { lockTtlMs: 60_000 })];
      await connectAll();
      const lock = `introspection:coalescing:lock:${key}`;
      const firstCall = await holding(first, 'first');
      // The first holder is too slow: its lock expires, and the second instance takes it.
      await until(async () => (await redis.exists(lock)) === 0);
      const secondCall = await holding(second, 'second');
      firstCall.release();
      await expect(firstCall.done).resolves.toBe('first');
      expect(await redis.exists(lock)).toBe(1);
      secondCall.release();
      await expect(secondCall.done).resolves.toBe('second');
      expect(await redis.exists(lock)).toBe(0);
    });

    it('reads the shared answer once more after taking the lock, and does not look up when it is there', async () => {
      const made = instance(url);
      await connectAll();
      await redis.set(answerKey, 'already answered', { expiration: { type: 'PX', value: 60_000 } });
      const counter = { calls: 0 };
      await expect(made.run(key, 10_000, lookup(counter, 'active'), readShared)).resolves.toBe(
        'already answered',
      );
      expect(counter.calls).toBe(0);
    });

    it('rethrows the error of its own lookup and releases the lock', async () => {
      const made = instance(url);
      await connectAll();
      await expect(
        made.run(key, 10_000, () => Promise.reject(new Error('malformed answer')), readShared),
      ).rejects.toThrow('malformed answer');
      expect(await redis.exists(`introspection:coalescing:lock:${key}`)).toBe(0);
    });

    it('connects at module init and closes at module destroy, then runs lookups without a lock', async () => {
      const made = instance(url);
      await made.onModuleInit();
      const locked = await holding(made, 'active');
      expect(await redis.exists(`introspection:coalescing:lock:${key}`)).toBe(1);
      locked.release();
      await locked.done;
      await made.onModuleDestroy();
      const unlocked = await holding(made, 'active');
      expect(await redis.exists(`introspection:coalescing:lock:${key}`)).toBe(0);
      unlocked.release();
      await expect(unlocked.done).resolves.toBe('active');
    });

    it('runs the lookup directly once closed', async () => {
      const made = instance(url);
      await made.close();
      const counter = { calls: 0 };
      await expect(made.run(key, 10_000, lookup(counter, 'active'), readShared)).resolves.toBe('active');
      expect(await redis.exists(`introspection:coalescing:lock:${key}`)).toBe(0);
    });
  });

  describe('when Redis fails', () => {
    // The shared cache of these instances lives in the process: Redis is the one that fails.
    const shared = new Map<string, string>();
    const readShared = (key: string) => () => Promise.resolve(shared.get(key));
    function lookup(counter: { calls: number }, key: string, answer: string, held?: Promise<void>) {
      return async (): Promise<string> => {
        counter.calls++;
        await held;
        shared.set(key, answer);
        return answer;
      };
    }

    it('resolves every call with its own lookup when Redis is killed while they wait', async () => {
      const server = await RedisProcess.start();
      try {
        const fleet = [instance(server.url), instance(server.url), instance(server.url)];
        await Promise.all(fleet.map((made) => made.connect()));
        const key = randomUUID();
        const counter = { calls: 0 };
        const held = gate();
        const led = fleet[0].run(key, 60_000, lookup(counter, key, 'active', held.opened), readShared(key));
        await until(() => counter.calls === 1);
        const waiting = fleet
          .slice(1)
          .flatMap((made) =>
            Array.from({ length: 10 }, () =>
              made.run(key, 60_000, lookup(counter, key, 'active'), readShared(key)),
            ),
          );
        await new Promise((resolve) => setTimeout(resolve, 20));
        await server.stop();
        await expect(Promise.all(waiting)).resolves.toStrictEqual(Array.from({ length: 20 }, () => 'active'));
        held.open();
        await expect(led).resolves.toBe('active');
        expect(degraded.length).toBeGreaterThanOrEqual(2);
        expect(degraded.every(({ retryInMs }) => retryInMs === 5_000)).toBe(true);
        // Bypassed meanwhile: the next call looks up at once.
        const later = { calls: 0 };
        await expect(fleet[1].run(key, 60_000, lookup(later, key, 'again'), readShared(key))).resolves.toBe(
          'again',
        );
        expect(later.calls).toBe(1);
      } finally {
        await server.stop();
      }
    });

    it('resolves every call with its own lookup when Redis is down from the start, reported once per interval without keys', async () => {
      const server = await RedisProcess.start();
      await server.stop();
      const fleet = [instance(server.url), instance(server.url), instance(server.url)];
      const key = `introspection:secret-looking-key-${randomUUID()}`;
      const counter = { calls: 0 };
      const results = await Promise.all(
        fleet.flatMap((made) =>
          Array.from({ length: 5 }, () =>
            made.run(key, 60_000, lookup(counter, key, 'active'), readShared(key)),
          ),
        ),
      );
      expect(results).toStrictEqual(Array.from({ length: 15 }, () => 'active'));
      // No coalescing without Redis: each call looked up (the service's single flight still applies per instance).
      expect(counter.calls).toBe(15);
      expect(degraded).toStrictEqual(
        Array.from({ length: 3 }, () => ({ reason: 'error', retryInMs: 5_000 })),
      );
      const warn = jest.mocked(Logger.prototype.warn);
      expect(warn).toHaveBeenCalledTimes(3);
      for (const [message] of warn.mock.calls) {
        expect(String(message)).toContain('cache.coalescing');
        expect(String(message)).not.toContain(key);
      }
    });

    it('leaves Redis alone for the retry interval, then coalesces again once it answers', async () => {
      const down = await RedisProcess.start();
      await down.stop();
      const fleet = [instance(down.url), instance(down.url)];
      const key = randomUUID();
      const first = { calls: 0 };
      await Promise.all(fleet.map((made) => made.run(key, 60_000, lookup(first, key, 'a'), readShared(key))));
      expect(degraded).toHaveLength(2);
      const server = await RedisProcess.start(down.port);
      try {
        // Within the retry interval: Redis is up again but not used, each instance looks up.
        const bypassed = { calls: 0 };
        const held = gate();
        const calls = fleet.map((made) =>
          made.run(key, 60_000, lookup(bypassed, key, 'b', held.opened), readShared(key)),
        );
        await until(() => bypassed.calls === 2);
        held.open();
        await Promise.all(calls);
        // Past it: one lookup for both instances again.
        now += 5_000;
        await Promise.all(fleet.map((made) => made.connect()));
        shared.delete(key);
        const coalesced = { calls: 0 };
        const again = gate();
        const leading = fleet[0].run(key, 60_000, lookup(coalesced, key, 'c', again.opened), readShared(key));
        await until(() => coalesced.calls === 1);
        const following = fleet[1].run(key, 60_000, lookup(coalesced, key, 'c'), readShared(key));
        again.open();
        await expect(Promise.all([leading, following])).resolves.toStrictEqual(['c', 'c']);
        expect(coalesced.calls).toBe(1);
        expect(restored).toBe(2);
      } finally {
        await server.stop();
      }
    });

    it('does not let a late failure on connections torn down before close the new ones', async () => {
      const first = await RedisProcess.start();
      const made = instance(first.url);
      await made.connect();
      const key = randomUUID();
      const old = { calls: 0 };
      const held = gate();
      // A lookup that holds its lock across the outage: its release fails on the old connection.
      const stale = made.run(key, 60_000, lookup(old, key, 'old', held.opened), readShared(key));
      await until(() => old.calls === 1);
      await first.stop();
      await until(() => degraded.length === 1);
      const second = await RedisProcess.start(first.port);
      try {
        now += 5_000;
        await made.connect();
        held.open();
        await expect(stale).resolves.toBe('old');
        // Still connected: the next lookup takes its lock in Redis, and nothing more was reported.
        const probe = createClient({ url: second.url });
        await probe.connect();
        const next = randomUUID();
        const counter = { calls: 0 };
        const locked = gate();
        const call = made.run(next, 60_000, lookup(counter, next, 'new', locked.opened), readShared(next));
        await until(() => counter.calls === 1);
        expect(await probe.exists(`introspection:coalescing:lock:${next}`)).toBe(1);
        locked.open();
        await expect(call).resolves.toBe('new');
        await probe.close();
        expect(degraded).toHaveLength(1);
      } finally {
        await second.stop();
      }
    });

    it('resolves every call with its own lookup when Redis accepts connections but never answers, reported as a timeout', async () => {
      // Accepts connections and never answers: the connection's own deadline must hold.
      const sockets: Socket[] = [];
      const silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const made = instance(`redis://127.0.0.1:${(silent.address() as AddressInfo).port}`, {
          commandTimeoutMs: 20,
          connectTimeoutMs: 50,
        });
        const key = randomUUID();
        const counter = { calls: 0 };
        await made.connect();
        expect(degraded).toStrictEqual([{ reason: 'timeout', retryInMs: 5_000 }]);
        const results = await Promise.all(
          Array.from({ length: 5 }, () =>
            made.run(key, 60_000, lookup(counter, key, 'active'), readShared(key)),
          ),
        );
        expect(results).toStrictEqual(Array.from({ length: 5 }, () => 'active'));
        expect(counter.calls).toBe(5);
      } finally {
        sockets.forEach((socket) => socket.destroy());
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('runs the lookup itself when a command is slower than its deadline, reported as a timeout', async () => {
      const server = await RedisProcess.start();
      try {
        const made = instance(server.url, { commandTimeoutMs: 50 });
        await made.connect();
        const admin = createClient({ url: server.url });
        await admin.connect();
        // Redis stops answering every client for a while: the lock's SET times out.
        await admin.sendCommand(['CLIENT', 'PAUSE', '2000', 'ALL']);
        const key = randomUUID();
        const counter = { calls: 0 };
        await expect(made.run(key, 60_000, lookup(counter, key, 'active'), readShared(key))).resolves.toBe(
          'active',
        );
        expect(counter.calls).toBe(1);
        expect(degraded).toStrictEqual([{ reason: 'timeout', retryInMs: 5_000 }]);
        admin.destroy();
      } finally {
        await server.stop();
      }
    });
  });
});
