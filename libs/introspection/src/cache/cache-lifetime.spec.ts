import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { cacheLifetimeMs } from './cache-lifetime';

const NOW = 1_800_000_000_000; // ms
const NOW_S = NOW / 1000;

const active = (claims: Partial<IntrospectionResult> = {}): IntrospectionResult => ({
  active: true,
  scopes: [],
  aud: [],
  claims: { active: true },
  ...claims,
});
const inactive = (claims: Record<string, unknown> = {}): IntrospectionResult => ({
  active: false,
  scopes: [],
  aud: [],
  claims: { active: false, ...claims },
});

describe('cacheLifetimeMs', () => {
  const policy = { ttlMs: 60_000, negativeTtlMs: 10_000 };

  it('keeps nothing when ttl is 0, active or not', () => {
    expect(cacheLifetimeMs(active(), { ttlMs: 0, negativeTtlMs: 10_000 }, NOW)).toBe(0);
    expect(cacheLifetimeMs(inactive(), { ttlMs: 0, negativeTtlMs: 10_000 }, NOW)).toBe(0);
  });

  it('keeps an active answer without exp for ttl', () => {
    expect(cacheLifetimeMs(active(), policy, NOW)).toBe(60_000);
  });

  it('keeps an active answer for ttl when exp is further away', () => {
    expect(cacheLifetimeMs(active({ exp: NOW_S + 3600 }), policy, NOW)).toBe(60_000);
  });

  it('never keeps an active answer past exp', () => {
    expect(cacheLifetimeMs(active({ exp: NOW_S + 20 }), policy, NOW)).toBe(20_000);
  });

  it.each([0, -1, -3600])('does not keep an active answer whose exp is %is away', (offset) => {
    expect(cacheLifetimeMs(active({ exp: NOW_S + offset }), policy, NOW)).toBe(0);
  });

  it('keeps an inactive answer for negativeTtl when it is shorter than ttl', () => {
    expect(cacheLifetimeMs(inactive(), policy, NOW)).toBe(10_000);
  });

  it('keeps an inactive answer for ttl when ttl is shorter than negativeTtl', () => {
    expect(cacheLifetimeMs(inactive(), { ttlMs: 2_000, negativeTtlMs: 10_000 }, NOW)).toBe(2_000);
  });

  it('keeps no inactive answer when negativeTtl is 0', () => {
    expect(cacheLifetimeMs(inactive(), { ttlMs: 60_000, negativeTtlMs: 0 }, NOW)).toBe(0);
  });

  it('keeps an inactive answer no longer than until an nbf in the future', () => {
    expect(cacheLifetimeMs(inactive({ nbf: NOW_S + 3 }), policy, NOW)).toBe(3_000);
  });

  it('ignores an nbf in the past, or one that is not a number', () => {
    expect(cacheLifetimeMs(inactive({ nbf: NOW_S - 100 }), policy, NOW)).toBe(10_000);
    expect(cacheLifetimeMs(inactive({ nbf: 'soon' }), policy, NOW)).toBe(10_000);
  });
});
