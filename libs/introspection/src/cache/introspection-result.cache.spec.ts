import { Logger } from '@nestjs/common';
import { Keyv } from 'keyv';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { parseIntrospectionClaims } from '../result/introspection-response.parser';
import { createIntrospectionCache } from './create-introspection-cache';
import { IntrospectionResultCache } from './introspection-result.cache';

const SECRET = 'client-secret-that-must-not-be-stored';
const TOKEN = 'the-bearer-token-that-must-not-be-stored';

class FakeClock {
  constructor(public time = 1_800_000_000_000) {}
  now = () => this.time;
  advance(ms: number) {
    this.time += ms;
  }
}

function setUp(options: Partial<IntrospectionModuleOptions> = {}, clock = new FakeClock()) {
  const resolved = resolveIntrospectionOptions({
    endpoint: 'https://as.example/introspect',
    clientId: 'api',
    clientSecret: SECRET,
    ttl: '60s',
    ...options,
  });
  const store = createIntrospectionCache(resolved);
  return { cache: new IntrospectionResultCache(store, resolved, clock), store, clock, resolved };
}

const answer = (claims: Record<string, unknown>): IntrospectionResult => parseIntrospectionClaims(claims);

/** A Keyv store that fails every operation, or never answers. */
function brokenStore(mode: 'throw' | 'hang') {
  const calls = { count: 0 };
  const act = () => {
    calls.count++;
    return mode === 'throw' ? Promise.reject(new Error('store down')) : new Promise<never>(() => undefined);
  };
  const store = { get: act, set: act, delete: act, clear: act, has: act };
  return { keyv: new Keyv({ store, throwOnErrors: true }), calls };
}

afterEach(() => jest.restoreAllMocks());

describe('IntrospectionResultCache', () => {
  it('is off, creating no store, when ttl is 0', async () => {
    const { cache, store } = setUp({ ttl: 0 });
    expect(store).toBeNull();
    expect(cache.enabled).toBe(false);
    await cache.write('k', answer({ active: true }));
    expect(await cache.read('k')).toBeUndefined();
  });

  it('warns at boot when a store is configured but ttl is 0', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    setUp({ ttl: 0, cacheUrl: 'redis://127.0.0.1:6379' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ttl is 0'));
  });

  it('returns a written active answer until ttl has passed, by its clock', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const { cache, clock } = setUp({ ttl: '60s' });
    const key = cache.key(TOKEN, 'access_token');
    await cache.write(key, answer({ active: true, scope: 'a b', sub: 'u1' }));
    clock.advance(59_999);
    expect(await cache.read(key)).toMatchObject({ active: true, scopes: ['a', 'b'], sub: 'u1' });
    clock.advance(1);
    expect(await cache.read(key)).toBeUndefined();
    // An entry expiring is routine, not a store fault.
    expect(warn).not.toHaveBeenCalled();
  });

  it("never returns an active answer at or after the token's exp", async () => {
    const { cache, clock } = setUp({ ttl: '60s' });
    const exp = clock.now() / 1000 + 10;
    await cache.write('k', answer({ active: true, exp }));
    clock.advance(9_999);
    expect((await cache.read('k'))?.active).toBe(true);
    clock.advance(1);
    expect(await cache.read('k')).toBeUndefined();
  });

  it('keeps the signed answer (RFC 9701) of a cached result, for audit on cache hits', async () => {
    const { cache } = setUp();
    await cache.write('k', { ...answer({ active: true }), jwt: 'header.payload.signature' });
    expect(await cache.read('k')).toMatchObject({ active: true, jwt: 'header.payload.signature' });
    await cache.write('plain', answer({ active: true }));
    expect(await cache.read('plain')).not.toHaveProperty('jwt');
  });

  it('keeps the cnf of a sender-constrained answer, so that the guard still refuses it on cache hits', async () => {
    const { cache } = setUp();
    const cnf = { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' };
    await cache.write('k', answer({ active: true, token_type: 'Bearer', cnf }));
    expect((await cache.read('k'))?.cnf).toStrictEqual(cnf);
  });

  it('keeps inactive answers for negativeTtl only', async () => {
    const { cache, clock } = setUp({ ttl: '60s', negativeTtl: '2s' });
    await cache.write('k', answer({ active: false }));
    clock.advance(1_999);
    expect(await cache.read('k')).toMatchObject({ active: false });
    clock.advance(1);
    expect(await cache.read('k')).toBeUndefined();
  });

  it('stores neither the token nor the client secret', async () => {
    const { cache, store } = setUp();
    const key = cache.key(TOKEN, 'access_token');
    await cache.write(key, answer({ active: true, scope: 'read' }));
    const raw = JSON.stringify([key, await store!.get(key)]);
    expect(raw).toContain('read');
    expect(raw).not.toContain(TOKEN);
    expect(raw).not.toContain(SECRET);
  });

  it.each<[string, unknown]>([
    ['a string', 'garbage'],
    ['an entry without claims', { storedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER }],
    ['claims that are not JSON', { claims: '{"active":', storedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER }],
    [
      'claims with "active":"true"',
      { claims: '{"active":"true"}', storedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER },
    ],
  ])('treats %s in the store as a miss and says so', async (_case, value) => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { cache, store, clock } = setUp();
    const garbage = typeof value === 'object' && value !== null ? { ...value, storedAt: clock.now() } : value;
    await store!.set('k', garbage, 60_000);
    expect(await cache.read('k')).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('unreadable entry'));
  });

  it("bounds an entry by this instance's ttl, whatever expiry its writer set", async () => {
    const { cache, store, clock } = setUp({ ttl: '10s' });
    await store!.set(
      'k',
      { claims: '{"active":true}', storedAt: clock.now(), expiresAt: clock.now() + 3_600_000 },
      3_600_000,
    );
    clock.advance(9_999);
    expect(await cache.read('k')).toMatchObject({ active: true });
    clock.advance(1);
    expect(await cache.read('k')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond cacheMaxEntries', async () => {
    const { cache } = setUp({ cacheMaxEntries: 3 });
    for (const key of ['a', 'b', 'c']) {
      await cache.write(key, answer({ active: true }));
    }
    expect(await cache.read('a')).toBeDefined(); // "a" is now the most recently used
    await cache.write('d', answer({ active: true }));
    expect(await cache.read('b')).toBeUndefined();
    for (const key of ['a', 'c', 'd']) {
      expect(await cache.read(key)).toBeDefined();
    }
  });

  it('deletes an entry', async () => {
    const { cache } = setUp();
    await cache.write('k', answer({ active: true }));
    await cache.delete('k');
    expect(await cache.read('k')).toBeUndefined();
  });

  it.each(['throw', 'hang'] as const)(
    'bypasses a store that fails (%s) for the retry interval, logging once, then tries it again',
    async (mode) => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
      const { keyv, calls } = brokenStore(mode);
      const { cache, clock } = setUp({ cache: keyv, cacheTimeout: '20ms' });

      expect(await cache.read('k')).toBeUndefined();
      await expect(cache.write('k', answer({ active: true }))).resolves.toBeUndefined();
      const callsDuringOutage = calls.count;
      expect(callsDuringOutage).toBe(1); // the write was not even tried
      expect(warn).toHaveBeenCalledTimes(1);

      clock.advance(4_999);
      expect(await cache.read('k')).toBeUndefined();
      expect(calls.count).toBe(callsDuringOutage);

      clock.advance(1);
      expect(await cache.read('k')).toBeUndefined();
      expect(calls.count).toBe(callsDuringOutage + 1);
      expect(warn).toHaveBeenCalledTimes(2);
      expect(log).not.toHaveBeenCalled();
      for (const [message] of warn.mock.calls) {
        expect(String(message)).not.toContain(SECRET);
      }
    },
  );

  it('says when a failed store answers again', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    let failing = true;
    const map = new Map<string, unknown>();
    const down = () => Promise.reject(new Error('down'));
    const store = {
      get: (key: string) => (failing ? down() : Promise.resolve(map.get(key))),
      set: (key: string, value: unknown) => (failing ? down() : Promise.resolve(map.set(key, value))),
      delete: (key: string) => Promise.resolve(map.delete(key)),
      clear: () => Promise.resolve(map.clear()),
    };
    const { cache, clock } = setUp({ cache: new Keyv({ store, throwOnErrors: true }) });
    expect(await cache.read('k')).toBeUndefined();
    failing = false;
    clock.advance(5_000);
    await cache.write('k', answer({ active: true }));
    expect(await cache.read('k')).toMatchObject({ active: true });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('answers again'));
  });
});
