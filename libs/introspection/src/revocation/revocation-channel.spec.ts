import { createClient } from '@redis/client';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { REDIS_URL, RedisProcess } from '../../../../test/support/redis';
import { rejectionOf } from '../../test-support/rejection-of';
import { TcpProxy } from '../../test-support/tcp-proxy';
import { waitFor } from '../../test-support/wait-for';
import { IntrospectionCacheError } from '../errors/introspection.errors';
import {
  type RevocationChannelOptions,
  RevocationChannel,
  type RevocationCutoff,
  type RevocationEviction,
} from './revocation-channel';

const SECRET_TEXT = 'a-cache-secret-of-at-least-32-bytes!!';
const secret = createSecretKey(Buffer.from(SECRET_TEXT));
const HOUR = 3_600_000;

/** What a channel delivered, in order. */
interface Heard {
  readonly evictions: RevocationEviction[];
  readonly cutoffs: RevocationCutoff[];
  readonly hearing: boolean[];
  /** Everything in delivery order, to check that markers load before hearing. */
  readonly log: string[];
  readonly warnings: string[];
}

describe('RevocationChannel', () => {
  const channels: RevocationChannel[] = [];
  let namespace: string;

  beforeEach(() => {
    // A registration of its own per test, on the shared Redis.
    namespace = `spec-${randomUUID()}`;
  });

  afterEach(async () => {
    await Promise.all(channels.splice(0).map((channel) => channel.close()));
  });

  function open(options: Partial<RevocationChannelOptions> = {}): {
    channel: RevocationChannel;
    heard: Heard;
  } {
    const heard: Heard = { evictions: [], cutoffs: [], hearing: [], log: [], warnings: [] };
    const channel = new RevocationChannel({
      url: REDIS_URL,
      secrets: [secret],
      namespace,
      timeoutMs: 2_000,
      livenessIntervalMs: 50,
      reconnectDelayMs: 20,
      maxReconnectDelayMs: 100,
      logger: { warn: (message: string) => heard.warnings.push(message), log: () => undefined },
      ...options,
    });
    channel.onEvict((eviction) => {
      heard.evictions.push(eviction);
      heard.log.push(`evict ${eviction.key}`);
    });
    channel.onCutoff((cutoff) => {
      heard.cutoffs.push(cutoff);
      heard.log.push(`cutoff ${cutoff.origin}`);
    });
    channel.onHearingChange((hearing) => {
      heard.hearing.push(hearing);
      heard.log.push(`hearing ${hearing}`);
    });
    channels.push(channel);
    return { channel, heard };
  }

  async function started(options: Partial<RevocationChannelOptions> = {}) {
    const opened = open(options);
    await opened.channel.start();
    // On a busy machine the first attempt may time out: the channel then tries again on its own.
    await waitFor('the channel to hear', () => opened.channel.hearing);
    return opened;
  }

  async function rawClient(url = REDIS_URL) {
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  it('delivers an eviction to every instance, and tells the sender it is its own', async () => {
    const a = await started();
    const b = await started();
    await a.channel.publishEvict('introspection:v2:key-1');
    await waitFor('B to hear the eviction', () => b.heard.evictions.length === 1);
    await waitFor('A to hear its own eviction', () => a.heard.evictions.length === 1);
    expect(b.heard.evictions).toEqual([{ key: 'introspection:v2:key-1', origin: 'peer' }]);
    expect(a.heard.evictions).toEqual([{ key: 'introspection:v2:key-1', origin: 'self' }]);
    expect(a.channel.instance).not.toBe(b.channel.instance);
  });

  it('persists a cut-off, delivers it, and an instance started later loads it before it hears', async () => {
    const a = await started();
    const b = await started();
    const before = Date.now();
    await a.channel.publishCutoff({ sub: 'alice', clientId: 'web' }, before, Date.now() + HOUR);
    await waitFor('B to hear the cut-off', () => b.heard.cutoffs.length === 1);
    expect(b.heard.cutoffs[0]).toMatchObject({
      filter: { sub: 'alice', clientId: 'web' },
      before,
      origin: 'peer',
    });

    const c = await started();
    expect(c.heard.log).toEqual(['cutoff store', 'hearing true']);
    expect(c.heard.cutoffs[0]).toMatchObject({
      filter: { sub: 'alice', clientId: 'web' },
      before,
      origin: 'store',
    });
    expect(await c.channel.load()).toEqual([
      { filter: { sub: 'alice', clientId: 'web' }, before, keepUntil: b.heard.cutoffs[0].keepUntil },
    ]);
  });

  it('does not load expired markers, and the store drops them on the next write', async () => {
    const a = await started();
    const now = Date.now();
    await a.channel.publishCutoff({ sid: 's1' }, now, now + 50);
    await waitFor('the marker to expire', () => Date.now() > now + 50);
    expect(await a.channel.load()).toEqual([]);
    await a.channel.publishCutoff({ sid: 's2' }, now, Date.now() + HOUR);
    const raw = await rawClient();
    try {
      const key = `introspection:revocation:v1:${encodeURIComponent(namespace)}:cutoffs`;
      expect(await raw.zCard(key)).toBe(1);
      expect(await raw.pTTL(key)).toBeGreaterThan(0);
    } finally {
      raw.destroy();
    }
  });

  it('keeps registrations apart', async () => {
    const a = await started();
    const other = await started({ namespace: `${namespace}-other` });
    const unnamed = await started({ namespace: undefined });
    await a.channel.publishEvict('k');
    await waitFor('A to hear itself', () => a.heard.evictions.length === 1);
    // A message published after A's reached A, so the others had the time to hear it, had they subscribed.
    await other.channel.publishEvict('k2');
    await waitFor('the other registration to hear itself', () => other.heard.evictions.length === 1);
    expect(other.heard.evictions).toEqual([{ key: 'k2', origin: 'self' }]);
    expect(unnamed.heard.evictions).toEqual([]);
    expect(unnamed.channel.channel).toBe('introspection:revocation:v1:@:messages');
  });

  it('drops forged and garbage messages, counts them, and warns without quoting them', async () => {
    const b = await started();
    const dropped: string[] = [];
    b.channel.onDropped((reason) => dropped.push(reason));
    const forger = new RevocationChannel({
      url: REDIS_URL,
      secrets: [createSecretKey(randomBytes(32))],
      namespace,
      logger: { warn: () => undefined, log: () => undefined },
    });
    channels.push(forger);
    await forger.start();
    await forger.publishEvict('forged-key');
    const raw = await rawClient();
    try {
      await raw.publish(b.channel.channel, 'garbage-payload');
    } finally {
      raw.destroy();
    }
    await waitFor('B to drop both', () => b.channel.dropped === 2);
    expect(dropped).toEqual(['unauthenticated', 'malformed']);
    expect(b.heard.evictions).toEqual([]);
    // One warning per interval, naming the fix and none of the content.
    expect(b.heard.warnings).toHaveLength(1);
    expect(b.heard.warnings[0]).toContain('cache.secret');
    expect(b.heard.warnings.join()).not.toMatch(/forged-key|garbage-payload/);
  });

  it('accepts messages sealed under a previous secret during a rotation', async () => {
    const newSecret = createSecretKey(randomBytes(32));
    const rotated = await started({ secrets: [newSecret, secret] });
    const old = await started();
    await old.channel.publishEvict('k');
    await waitFor('the rotated instance to hear the old one', () => rotated.heard.evictions.length === 1);
    expect(rotated.channel.dropped).toBe(0);
    await rotated.channel.publishEvict('k-new');
    await waitFor('the old instance to drop the new secret', () => old.channel.dropped === 1);
  });

  it('claims an id once across instances', async () => {
    const a = await started();
    const b = await started();
    expect(await a.channel.claimOnce('set-jti-1', 60_000)).toBe(true);
    expect(await b.channel.claimOnce('set-jti-1', 60_000)).toBe(false);
    expect(await a.channel.claimOnce('set-jti-1', 60_000)).toBe(false);
    expect(await b.channel.claimOnce('set-jti-2', 60_000)).toBe(true);
  });

  it('refuses a filter without members before touching Redis, and ignores a marker already past', async () => {
    const a = await started();
    await expect(a.channel.publishCutoff({}, 1, 2)).rejects.toThrow('sub, sid, clientId, jti');
    await a.channel.publishCutoff({ sub: 'alice' }, Date.now(), Date.now() + HOUR);
    await a.channel.publishCutoff({ sub: 'bob' }, Date.now(), Date.now() - 1);
    await a.channel.publishEvict('after');
    await waitFor('A to hear its eviction', () => a.heard.evictions.length === 1);
    expect(a.heard.cutoffs.map((cutoff) => cutoff.filter)).toEqual([{ sub: 'alice' }]);
    expect((await a.channel.load()).map((marker) => marker.filter)).toEqual([{ sub: 'alice' }]);
  });

  describe('when Redis dies', () => {
    let redis: RedisProcess;

    beforeEach(async () => {
      redis = await RedisProcess.start();
    });

    afterEach(async () => {
      await redis.stop();
    });

    it('goes deaf on every instance, and publishing fails naming no secret', async () => {
      const a = await started({ url: redis.url });
      const b = await started({ url: redis.url });
      await redis.stop();
      await waitFor('A and B to go deaf', () => !a.channel.hearing && !b.channel.hearing);
      expect(a.heard.hearing).toEqual([true, false]);
      expect(b.heard.hearing).toEqual([true, false]);
      expect(a.heard.warnings.join()).toContain('not heard until it is back');
      for (const publish of [
        a.channel.publishEvict('k'),
        a.channel.publishCutoff({ sub: 'alice' }, Date.now(), Date.now() + HOUR),
        a.channel.claimOnce('id', 1_000),
        a.channel.load(),
      ]) {
        const error = await rejectionOf(publish);
        expect(error).toBeInstanceOf(IntrospectionCacheError);
        expect(error.message).toContain('cache.url');
        expect(error.message).not.toContain(SECRET_TEXT);
        expect(error.message).not.toContain(redis.url);
      }
    });

    it('stays hearing while Redis answers its liveness PINGs', async () => {
      const a = await started({ url: redis.url });
      const raw = await rawClient(redis.url);
      try {
        const pings = async () =>
          Number(/cmdstat_ping:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
        let seen = 0;
        while (seen < 5) {
          seen = await pings();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        raw.destroy();
      }
      expect(a.channel.hearing).toBe(true);
      expect(a.heard.hearing).toEqual([true]);
    });

    it('never logs the URL, which may hold a password', async () => {
      // This Redis has no password: AUTH fails, and the channel stays deaf.
      const url = redis.url.replace('redis://', 'redis://:hunter2-password@');
      const { channel, heard } = open({ url });
      await channel.start();
      expect(channel.hearing).toBe(false);
      expect(heard.warnings).toHaveLength(1);
      expect(heard.warnings[0]).not.toContain('hunter2');
      expect(heard.warnings[0]).not.toContain(redis.url.replace('redis://', ''));
      const error = await rejectionOf(channel.publishEvict('k'));
      expect(error.message).not.toContain('hunter2');
    });

    it('starts deaf when Redis is not there, without failing', async () => {
      await redis.stop();
      const { channel, heard } = open({ url: redis.url });
      await channel.start();
      expect(channel.hearing).toBe(false);
      expect(heard.hearing).toEqual([]);
      expect(heard.warnings.join()).toContain('Reconnecting');
    });
  });

  it('keeps delivering when a listener throws, and warns once', async () => {
    const a = await started();
    a.channel.onEvict(() => {
      throw new Error('listener bug');
    });
    await a.channel.publishEvict('k1');
    await a.channel.publishEvict('k2');
    await waitFor('A to hear both', () => a.heard.evictions.length === 2);
    expect(a.channel.hearing).toBe(true);
    expect(a.heard.warnings).toEqual(['A revocation channel listener threw: Error.']);
  });

  describe('behind a connection that breaks', () => {
    let proxy: TcpProxy;

    beforeEach(async () => {
      proxy = await TcpProxy.start(REDIS_URL);
    });

    afterEach(async () => {
      await proxy.close();
    });

    it('goes deaf when the connection dies silently, and hears again only after reloading the markers', async () => {
      const b = await started({ url: `redis://127.0.0.1:${proxy.port}` });
      proxy.blackhole();
      // Nothing closes: only the liveness PING can tell.
      await waitFor('B to go deaf', () => !b.channel.hearing);
      // Published while B is deaf: B never hears the message, it must load the marker.
      const c = await started();
      const before = Date.now();
      await c.channel.publishCutoff({ sub: 'bob' }, before, Date.now() + HOUR);
      await c.channel.publishEvict('lost-while-deaf');
      proxy.restore();
      await waitFor('B to hear again', () => b.channel.hearing);
      expect(b.heard.log).toEqual(['hearing true', 'hearing false', 'cutoff store', 'hearing true']);
      expect(b.heard.cutoffs.at(-1)).toMatchObject({ filter: { sub: 'bob' }, before, origin: 'store' });
      expect(b.heard.evictions).toEqual([]);
      // And it hears again.
      await c.channel.publishEvict('after');
      await waitFor('B to hear the eviction', () => b.heard.evictions.length === 1);
    });

    it('goes deaf when the connection is cut, and comes back', async () => {
      const b = await started({ url: `redis://127.0.0.1:${proxy.port}` });
      proxy.cut();
      await waitFor('B to go deaf', () => !b.channel.hearing);
      proxy.restore();
      await waitFor('B to hear again', () => b.channel.hearing);
      expect(b.heard.hearing).toEqual([true, false, true]);
    });
  });
});
