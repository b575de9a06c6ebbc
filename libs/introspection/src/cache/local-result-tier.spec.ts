import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { LocalResultTier } from './local-result-tier';

const answer = (sub: string): IntrospectionResult =>
  Object.freeze({ active: true, sub, scopes: [], aud: [], claims: { active: true, sub } });

describe('LocalResultTier', () => {
  it('serves an entry until the earlier of its freshness and its max age', () => {
    const tier = new LocalResultTier(10, 1_000);
    tier.set('a', 'store:a', answer('alice'), { now: 0, freshUntil: 5_000, requestedAt: 0 });
    tier.set('b', 'store:b', answer('bob'), { now: 0, freshUntil: 400, requestedAt: 0 });
    expect(tier.get('a', 999)?.result.sub).toBe('alice');
    expect(tier.get('a', 1_000)).toBeUndefined();
    expect(tier.get('b', 399)?.result.sub).toBe('bob');
    expect(tier.get('b', 400)).toBeUndefined();
    // Expired entries are dropped, not kept around.
    expect(tier.size).toBe(0);
  });

  it('keeps entries for their whole freshness with an unbounded max age (the memory store)', () => {
    const tier = new LocalResultTier(10, Number.POSITIVE_INFINITY);
    tier.set('a', 'store:a', answer('alice'), { now: 0, freshUntil: 60_000, requestedAt: 0 });
    expect(tier.get('a', 59_999)?.result.sub).toBe('alice');
    expect(tier.get('a', 60_000)).toBeUndefined();
  });

  it('holds nothing when its max age or its bound is 0', () => {
    for (const tier of [new LocalResultTier(10, 0), new LocalResultTier(0, 1_000)]) {
      tier.set('a', 'store:a', answer('alice'), { now: 0, freshUntil: 5_000, requestedAt: 0 });
      expect(tier.enabled).toBe(false);
      expect(tier.get('a', 1)).toBeUndefined();
    }
  });

  it('drops the oldest entries first beyond its bound', () => {
    const tier = new LocalResultTier(3, 10_000);
    for (const name of ['a', 'b', 'c', 'd']) {
      tier.set(name, `store:${name}`, answer(name), { now: 0, freshUntil: 5_000, requestedAt: 0 });
    }
    expect(tier.size).toBe(3);
    expect(tier.get('a', 1)).toBeUndefined();
    expect(['b', 'c', 'd'].map((name) => tier.get(name, 1)?.result.sub)).toEqual(['b', 'c', 'd']);
  });

  it('evicts by local key and by store key', () => {
    const tier = new LocalResultTier(10, 10_000);
    for (const name of ['a', 'b', 'c', 'd']) {
      tier.set(name, `store:${name}`, answer(name), { now: 0, freshUntil: 5_000, requestedAt: 0 });
    }
    tier.evict('a');
    tier.evictStoreKey('store:b');
    expect(['a', 'b', 'c', 'd'].map((name) => tier.get(name, 1)?.result.sub)).toEqual([
      undefined,
      undefined,
      'c',
      'd',
    ]);
    // An unknown store key evicts nothing.
    tier.set('e', 'store:e', answer('e'), { now: 0, freshUntil: 5_000, requestedAt: 0 });
    tier.evictStoreKey('store:zzz');
    expect(tier.get('e', 1)?.result.sub).toBe('e');
  });

  it('replaces an entry set again, and forgets the old store key', () => {
    const tier = new LocalResultTier(10, 10_000);
    tier.set('a', 'store:old', answer('first'), { now: 0, freshUntil: 5_000, requestedAt: 0 });
    tier.set('a', 'store:new', answer('second'), { now: 0, freshUntil: 5_000, requestedAt: 0 });
    tier.evictStoreKey('store:old');
    expect(tier.get('a', 1)?.result.sub).toBe('second');
    tier.evictStoreKey('store:new');
    expect(tier.get('a', 1)).toBeUndefined();
  });
});
