import { Logger } from '@nestjs/common';
import { mergeOptions } from '../../test-support/option-at';
import { Keyv } from 'keyv';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { IntrospectionCacheError } from '../errors/introspection.errors';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { parseIntrospectionClaims } from '../result/introspection-response.parser';
import { flakyStore } from '../../test-support/flaky-store';
import { createIntrospectionCache } from './create-introspection-cache';
import { IntrospectionEvents } from '../events/introspection-events';
import { IntrospectionResultCache } from './introspection-result.cache';

const SECRET = 'client-secret-that-must-not-be-stored';
const TOKEN = 'the-bearer-token-that-must-not-be-stored';
const CACHE_SECRET = 'cache-secret-that-must-not-be-stored-0123';
const OLD_CACHE_SECRET = 'old-cache-secret-that-must-not-be-stored-0';

class FakeClock {
  constructor(public time = 1_800_000_000_000) {}
  now = () => this.time;
  advance(ms: number) {
    this.time += ms;
  }
}

function setUp(options: Partial<IntrospectionModuleOptions> = {}, clock = new FakeClock()) {
  // A store of the test's own is shared, so it needs the cache secret.
  const base = { cache: { ttl: '60s', ...(options.cache?.store ? { secret: CACHE_SECRET } : {}) } };
  const resolved = resolveIntrospectionOptions(
    mergeOptions(
      { endpoint: 'https://as.example/introspect', clientId: 'api', clientSecret: SECRET, ...base },
      options,
    ),
  );
  const store = createIntrospectionCache(resolved);
  const events = new IntrospectionEvents();
  const rejections: string[] = [];
  events.on('cache.rejected', ({ reason }) => rejections.push(reason));
  const cache = new IntrospectionResultCache(store, resolved, clock, events);
  return { cache, store, clock, resolved, rejections, events };
}

/** Two instances sharing one store, as through Redis: each with its own options, one clock. */
function peers(
  writer: Partial<IntrospectionModuleOptions>,
  reader: Partial<IntrospectionModuleOptions> = writer,
) {
  const shared = new Keyv();
  const clock = new FakeClock();
  return {
    shared,
    clock,
    writer: setUp(mergeOptions({ cache: { secret: CACHE_SECRET, store: shared } }, writer), clock),
    reader: setUp(mergeOptions({ cache: { secret: CACHE_SECRET, store: shared } }, reader), clock),
  };
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
    const { cache, store } = setUp({ cache: { ttl: 0 } });
    expect(store).toBeNull();
    expect(cache.enabled).toBe(false);
    await cache.write('k', answer({ active: true }));
    expect(await cache.read('k')).toBeUndefined();
  });

  it('warns at boot when a store is configured but ttl is 0', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    setUp({ cache: { ttl: 0, url: 'redis://127.0.0.1:6379' } });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ttl is 0'));
  });

  it('returns a written active answer until ttl has passed, by its clock', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const { cache, clock } = setUp({ cache: { ttl: '60s' } });
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
    const { cache, clock } = setUp({ cache: { ttl: '60s' } });
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
    const { cache, clock } = setUp({ cache: { ttl: '60s', negativeTtl: '2s' } });
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
    const { cache, store, clock, rejections } = setUp();
    const garbage = typeof value === 'object' && value !== null ? { ...value, storedAt: clock.now() } : value;
    await store!.set('k', garbage, 60_000);
    expect(await cache.read('k')).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    // Garbage in the shape of an entry has no valid MAC: it is refused before being parsed.
    const reason = typeof value === 'object' && 'claims' in value! ? 'unauthenticated' : 'unreadable';
    expect(rejections).toEqual([reason]);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining(reason === 'unreadable' ? 'unreadable entry' : 'authentication check'),
    );
  });

  it("bounds an entry by this instance's ttl, whatever expiry its writer set", async () => {
    const { writer, reader, clock } = peers({ cache: { ttl: '1h' } }, { cache: { ttl: '10s' } });
    const key = reader.cache.key(TOKEN, 'access_token');
    await writer.cache.write(key, answer({ active: true }));
    clock.advance(9_999);
    expect(await reader.cache.read(key)).toMatchObject({ active: true });
    clock.advance(1);
    expect(await reader.cache.read(key)).toBeUndefined();
    expect(await writer.cache.read(key)).toMatchObject({ active: true });
  });

  it('evicts the least recently used entry beyond cacheMaxEntries', async () => {
    const { cache } = setUp({ cache: { maxEntries: 3 } });
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
      const { cache, clock } = setUp({ cache: { store: keyv, timeout: '20ms' } });

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
    const { cache, clock, events } = setUp({ cache: { store: new Keyv({ store, throwOnErrors: true }) } });
    const seen: unknown[] = [];
    events.on('cache.store_bypassed', (payload) => seen.push(payload));
    events.on('cache.store_restored', () => seen.push('restored'));
    expect(await cache.read('k')).toBeUndefined();
    expect(seen).toEqual([{ reason: 'error', retryInMs: 5_000 }]);
    failing = false;
    clock.advance(5_000);
    await cache.write('k', answer({ active: true }));
    expect(await cache.read('k')).toMatchObject({ active: true });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('answers again'));
    expect(seen).toEqual([{ reason: 'error', retryInMs: 5_000 }, 'restored']);
  });
});

describe('IntrospectionResultCache in a store others can write to', () => {
  const entryOf = async (store: Keyv, key: string) => (await store.get(key)) as Record<string, unknown>;

  it('refuses an entry made up without the cache secret, under the key it would have', async () => {
    const { reader, shared, clock } = peers({});
    const key = reader.cache.key(TOKEN, 'access_token');
    const forged = {
      claims: '{"active":true,"scope":"admin","token_type":"Bearer"}',
      storedAt: clock.now(),
      expiresAt: clock.now() + 60_000,
    };
    for (const mac of [undefined, '', 'A'.repeat(43), 42]) {
      await shared.set(key, { ...forged, ...(mac === undefined ? {} : { mac }) });
      expect(await reader.cache.read(key, TOKEN)).toBeUndefined();
    }
    expect(reader.rejections).toEqual(Array(4).fill('unauthenticated'));
  });

  it.each<[string, (entry: Record<string, unknown>, now: number) => Record<string, unknown>]>([
    ['other claims', (entry) => ({ ...entry, claims: '{"active":true,"scope":"admin"}' })],
    ['a later expiry', (entry) => ({ ...entry, expiresAt: (entry.expiresAt as number) + 3_600_000 })],
    ['a later storedAt', (entry, now) => ({ ...entry, storedAt: now + 3_600_000 })],
    ['a stale window added', (entry) => ({ ...entry, staleUntil: (entry.expiresAt as number) + 3_600_000 })],
    ['a signed answer added', (entry) => ({ ...entry, jwt: 'header.payload.signature' })],
  ])('refuses a genuine entry altered to have %s, as a miss and an event', async (_case, alter) => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { writer, reader, shared, clock } = peers({});
    const key = writer.cache.key(TOKEN, 'access_token');
    await writer.cache.write(key, answer({ active: true, scope: 'read' }));
    expect(await reader.cache.read(key, TOKEN)).toMatchObject({ scopes: ['read'] });
    await shared.set(key, alter(await entryOf(shared, key), clock.now()));
    expect(await reader.cache.read(key, TOKEN)).toBeUndefined();
    expect(reader.rejections).toEqual(['unauthenticated']);
    // Neither the key nor the entry is logged.
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).not.toContain(key);
  });

  it("refuses a genuine entry copied to another token's key", async () => {
    const { writer, reader, shared } = peers({});
    const admin = writer.cache.key('admin-token', 'access_token');
    await writer.cache.write(admin, answer({ active: true, scope: 'admin' }));
    const mine = reader.cache.key(TOKEN, 'access_token');
    await shared.set(mine, await entryOf(shared, admin));
    expect(await reader.cache.read(mine, TOKEN)).toBeUndefined();
    expect(reader.rejections).toEqual(['unauthenticated']);
  });

  it('never gives an instance that requires signed answers the unsigned answers of a JSON peer', async () => {
    // The same server, client and secret: only the response format differs.
    const json = { issuer: 'https://as.example', jwksUri: 'https://as.example/jwks' };
    const { writer, reader, shared } = peers(json, { ...json, responseFormat: 'jwt' });
    const jsonKey = writer.cache.key(TOKEN, 'access_token');
    await writer.cache.write(jsonKey, answer({ active: true, scope: 'admin' }));
    const jwtKey = reader.cache.key(TOKEN, 'access_token');
    expect(jwtKey).not.toBe(jsonKey);
    expect(await reader.cache.read(jwtKey, TOKEN)).toBeUndefined();
    // Not even when the entry is copied under the key the JWT instance reads.
    await shared.set(jwtKey, await entryOf(shared, jsonKey));
    expect(await reader.cache.read(jwtKey, TOKEN)).toBeUndefined();
    expect(reader.rejections).toEqual(['unauthenticated']);
  });

  it('reads entries of a previous secret during a rotation, and writes with the current one only', async () => {
    const rotated = { cache: { secret: CACHE_SECRET, previousSecrets: [OLD_CACHE_SECRET] } };
    const { writer, reader, shared } = peers({ cache: { secret: OLD_CACHE_SECRET } }, rotated);
    const oldKey = writer.cache.key(TOKEN, 'access_token');
    await writer.cache.write(oldKey, answer({ active: true, scope: 'read' }));

    const key = reader.cache.key(TOKEN, 'access_token');
    expect(key).not.toBe(oldKey);
    expect(await reader.cache.read(key, TOKEN)).toMatchObject({ scopes: ['read'] });
    expect(reader.rejections).toEqual([]);

    await reader.cache.write(key, answer({ active: true, scope: 'write' }));
    expect(await entryOf(shared, key)).toBeDefined();
    expect(await reader.cache.read(key, TOKEN)).toMatchObject({ scopes: ['write'] });
    // The not yet rotated peer does not know the new secret: it never reads the new entry.
    await shared.delete(oldKey);
    expect(await writer.cache.read(oldKey, TOKEN)).toBeUndefined();
  });

  it('misses the entries of a former secret that is no longer listed', async () => {
    const { writer, reader } = peers(
      { cache: { secret: OLD_CACHE_SECRET } },
      { cache: { secret: CACHE_SECRET } },
    );
    await writer.cache.write(writer.cache.key(TOKEN, 'access_token'), answer({ active: true }));
    expect(await reader.cache.read(reader.cache.key(TOKEN, 'access_token'), TOKEN)).toBeUndefined();
  });

  it("checks an old key's entry with the old secret only", async () => {
    const rotated = { cache: { secret: CACHE_SECRET, previousSecrets: [OLD_CACHE_SECRET] } };
    const { writer, reader, shared } = peers({ cache: { secret: CACHE_SECRET } }, rotated);
    // An entry made with the current secret, planted under the old key: not what the old secret made.
    const key = writer.cache.key(TOKEN, 'access_token');
    await writer.cache.write(key, answer({ active: true }));
    const oldKey = setUp({ cache: { secret: OLD_CACHE_SECRET, store: shared } }).cache.key(
      TOKEN,
      'access_token',
    );
    await shared.set(oldKey, await entryOf(shared, key));
    await shared.delete(key);
    expect(await reader.cache.read(key, TOKEN)).toBeUndefined();
    expect(reader.rejections).toEqual(['unauthenticated']);
  });

  it('deletes the entries under every secret', async () => {
    const rotated = { cache: { secret: CACHE_SECRET, previousSecrets: [OLD_CACHE_SECRET] } };
    const { writer, reader } = peers({ cache: { secret: OLD_CACHE_SECRET } }, rotated);
    await writer.cache.write(writer.cache.key(TOKEN, 'access_token'), answer({ active: true }));
    const key = reader.cache.key(TOKEN, 'access_token');
    await reader.cache.write(key, answer({ active: true }));
    await reader.cache.delete(key, TOKEN);
    expect(await reader.cache.read(key, TOKEN)).toBeUndefined();
    expect(await writer.cache.read(writer.cache.key(TOKEN, 'access_token'), TOKEN)).toBeUndefined();
  });
});

describe('IntrospectionResultCache.delete when the store fails', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  it('still deletes right after a store failure, within the window the store is bypassed for reads', async () => {
    const { keyv, state } = flakyStore();
    const { cache, clock } = setUp({ cache: { store: keyv } });
    const key = cache.key(TOKEN, 'access_token');
    await cache.write(key, answer({ active: true }));
    state.failing = true;
    expect(await cache.read('another-key')).toBeUndefined();
    state.failing = false;

    await expect(cache.delete(key, TOKEN)).resolves.toBeUndefined();
    expect(state.deletes).toBe(1);
    clock.advance(5_000);
    expect(await cache.read(key, TOKEN)).toBeUndefined();
  });

  it('rejects, naming no token, and stops this instance from reading the entry for as long as it could be used', async () => {
    const { keyv, state } = flakyStore();
    const { cache, clock } = setUp({ cache: { store: keyv, ttl: '60s' }, clockTolerance: '5s' });
    const key = cache.key(TOKEN, 'access_token');
    await cache.write(key, answer({ active: true }));
    state.failing = true;
    const error = await cache.delete(key, TOKEN).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(IntrospectionCacheError);
    expect((error as Error).message).toMatch(/did not confirm deleting/);
    for (const secret of [TOKEN, key, CACHE_SECRET, SECRET]) {
      expect((error as Error).message).not.toContain(secret);
    }
    state.failing = false;
    clock.advance(5_000);
    // The entry is still in the store, and fresh: this instance does not use it.
    expect(await keyv.get(key)).toBeDefined();
    expect(await cache.read(key, TOKEN)).toBeUndefined();
    // Nor a fresh answer written under that key meanwhile, until the tombstone ends.
    await cache.write(key, answer({ active: true }));
    clock.advance(60_000 - 5_000 + 5_000 - 1);
    expect(await cache.read(key, TOKEN)).toBeUndefined();
    clock.advance(1);
    await cache.write(key, answer({ active: true }));
    expect(await cache.read(key, TOKEN)).toMatchObject({ active: true });
  });

  it('rejects when the store does not answer within cacheTimeout', async () => {
    const hanging = new Keyv({
      store: {
        get: () => new Promise(() => undefined),
        set: () => Promise.resolve(),
        delete: () => new Promise(() => undefined),
        clear: () => Promise.resolve(),
      },
      throwOnErrors: true,
    });
    const { cache } = setUp({ cache: { store: hanging, timeout: '20ms' } });
    await expect(cache.delete(cache.key(TOKEN, 'access_token'), TOKEN)).rejects.toBeInstanceOf(
      IntrospectionCacheError,
    );
  });

  it('keeps at most cacheMaxEntries tombstones, dropping the oldest first', async () => {
    const { keyv, state } = flakyStore();
    const { cache } = setUp({ cache: { store: keyv, maxEntries: 2 } });
    const keys = ['t1', 't2', 't3'].map((token) => cache.key(token, 'access_token'));
    for (const key of keys) {
      state.failing = false;
      await cache.write(key, answer({ active: true }));
    }
    state.failing = true;
    for (const key of keys) {
      await expect(cache.delete(key)).rejects.toBeInstanceOf(IntrospectionCacheError);
    }
    state.failing = false;
    const tombstones = (cache as unknown as { tombstones: Map<string, number> }).tombstones;
    expect([...tombstones.keys()]).toEqual([keys[1], keys[2]]);
  });
});
