import type { IntrospectionResult } from '../interfaces/introspection-result.interface';

/** The cache settings that bound how long an answer is kept. */
export interface CacheLifetimePolicy {
  /** Couper's `ttl`, in milliseconds; 0 disables the cache. */
  readonly ttlMs: number;
  /** Lifetime of inactive answers, in milliseconds. */
  readonly negativeTtlMs: number;
}

/**
 * How long an answer may be kept, in milliseconds; 0 means "do not cache".
 *
 * - Active: `min(ttl, exp - now)`, never past the token's `exp`; an answer
 *   whose `exp` has passed is not kept.
 * - Inactive: `min(ttl, negativeTtl)`, and no longer than until an `nbf` in the
 *   future (the token may become active then).
 */
export function cacheLifetimeMs(
  result: IntrospectionResult,
  policy: CacheLifetimePolicy,
  nowMs: number,
): number {
  if (policy.ttlMs <= 0) {
    return 0;
  }
  let lifetime: number;
  if (result.active) {
    lifetime = result.exp === undefined ? policy.ttlMs : Math.min(policy.ttlMs, result.exp * 1000 - nowMs);
  } else {
    lifetime = Math.min(policy.ttlMs, policy.negativeTtlMs);
    // Inactive answers are not validated beyond `active`: read nbf defensively.
    const nbf = result.claims.nbf;
    if (typeof nbf === 'number' && Number.isFinite(nbf) && nbf * 1000 > nowMs) {
      lifetime = Math.min(lifetime, nbf * 1000 - nowMs);
    }
  }
  return lifetime > 0 ? Math.floor(lifetime) : 0;
}
