import { createServer, type Server, type Socket } from 'node:net';
import { rejectionOf } from '../../test-support/rejection-of';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import { DpopNonces } from './dpop-nonces';
import { DpopReplayCache } from './dpop-replay-cache';
import { createSecretKey, randomBytes } from 'node:crypto';

describe('DpopReplayCache', () => {
  let now = 1_700_000_000_000;
  const clock = { now: () => now };

  it('refuses a jti seen within its window, per key, and forgets it after', async () => {
    const cache = new DpopReplayCache(clock, undefined, 100);
    expect(await cache.claim('key-a', 'j1', 60_000)).toBe(true);
    expect(await cache.claim('key-a', 'j1', 60_000)).toBe(false);
    expect(await cache.claim('key-b', 'j1', 60_000)).toBe(true);
    now += 60_001;
    expect(await cache.claim('key-a', 'j1', 60_000)).toBe(true);
  });

  describe('with a Redis that does not answer', () => {
    let silent: Server;
    let url: string;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      // Accepts connections and never answers: the store's deadline must hold.
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      url = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
    });

    afterAll(async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    });

    it('fails closed (503) within its timeout, and says which option', async () => {
      const cache = new DpopReplayCache(clock, url, 50);
      const error = await rejectionOf(cache.claim('key', 'j', 60_000));
      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expect(error.message).toContain('cache.url');
      await cache.close();
    });
  });
});

describe('DpopNonces', () => {
  it('hands out one nonce per window and accepts the current and the previous one', () => {
    let now = 1_700_000_000_000;
    const secret = createSecretKey(randomBytes(32));
    const nonces = new DpopNonces(secret, 60_000, { now: () => now });
    const first = nonces.current();
    expect(nonces.accepts(first)).toBe(true);
    expect(nonces.accepts(undefined)).toBe(false);
    expect(nonces.accepts(`${first}x`)).toBe(false);
    now += 60_000;
    expect(nonces.current()).not.toBe(first);
    expect(nonces.accepts(first)).toBe(true);
    now += 60_000;
    expect(nonces.accepts(first)).toBe(false);
    // Instances sharing the secret agree; another secret does not.
    expect(new DpopNonces(secret, 60_000, { now: () => now }).current()).toBe(nonces.current());
    expect(
      new DpopNonces(createSecretKey(randomBytes(32)), 60_000, { now: () => now }).accepts(nonces.current()),
    ).toBe(false);
  });
});
