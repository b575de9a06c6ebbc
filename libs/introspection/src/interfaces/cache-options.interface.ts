import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import type { Duration } from './introspection-options.interface';

/**
 * How concurrent first requests for one token are coalesced: `'local'`, one
 * introspection per instance (single flight); `'distributed'`, one across the
 * instances sharing `cache.url`, as far as Redis allows.
 */
export type CacheCoalescing = 'local' | 'distributed';

/**
 * The `cache` group of {@link IntrospectionModuleOptions}: how long
 * introspection answers are reused, and where they are kept.
 *
 * @example
 * IntrospectionModule.forRoot({ ..., cache: { ttl: '30s', url: 'redis://cache:6379', secret } })
 */
export interface IntrospectionCacheOptions {
  /**
   * How long an introspection answer may be reused. Absent or non-positive:
   * the endpoint is asked every time a token is validated (Couper's `ttl`).
   * An active answer is never kept past the token's `exp`.
   * Env: `INTROSPECTION_TTL`.
   * @default 0
   */
  ttl?: Duration;

  /**
   * How long an *inactive* answer may be reused, within `ttl`: a flood of
   * garbage tokens then costs one introspection per distinct token. 0 keeps
   * no inactive answers. Env: `INTROSPECTION_NEGATIVE_TTL`.
   * @default '10s'
   */
  negativeTtl?: Duration;

  /**
   * Bound of the default in-memory cache, in entries; the least recently used
   * entry is evicted beyond it. Env: `INTROSPECTION_CACHE_MAX_ENTRIES`.
   * @default 10000
   */
  maxEntries?: number;

  /**
   * How long an answer is also kept in this instance's memory, already
   * validated, in front of the store: a hit then costs a map lookup, not a
   * store round trip or a decoding. Never longer than the entry's own
   * lifetime; `0` turns the in-process tier off. Unset, entries stay as long
   * as in the store with the default memory store and with `url` (deletions
   * by other instances are pushed over Redis pub/sub, and nothing is served
   * from memory while that channel is down), and `1s` in front of a `store`
   * of your own, which bounds how late this instance sees another's
   * `invalidate()`. Env: `INTROSPECTION_CACHE_LOCAL_TTL`.
   * @default the entry's lifetime; '1s' with `store`
   */
  localTtl?: Duration;

  /**
   * Redis URL (`redis://` or `rediss://`) of a cache shared by several
   * instances, through `@keyv/redis`. Env: `INTROSPECTION_CACHE_URL`.
   */
  url?: string;

  /**
   * A cache of your own instead of the in-memory default or `url`: a
   * `cache-manager` instance or a Keyv instance. The module does not close it.
   */
  store?: Cache | Keyv;

  /**
   * Secret that authenticates the cache: keys are HMAC-SHA256 of the token
   * under it, and every entry carries a MAC under it, so that whoever can
   * write to the store cannot make up, alter or move answers. At least 32
   * bytes, the same on every instance sharing the store, e.g. the output of
   * `openssl rand -base64 32`. Required with `url` or `store` when `ttl`
   * is set; for the in-memory default, a random secret is made per process.
   * Never logged. Env: `INTROSPECTION_CACHE_SECRET`.
   * @default a random 32-byte secret (in-memory store only)
   */
  secret?: string;

  /**
   * Former `secret` values, for rotating it without an outage: entries
   * they made are still read (each checked with the secret that made it),
   * new entries are written with `secret` only. Each at least 32 bytes.
   * Env: `INTROSPECTION_CACHE_PREVIOUS_SECRET` (comma-separated).
   * @default []
   */
  previousSecrets?: string | readonly string[];

  /**
   * Deadline of one cache read or write. A store that is slower, or failing,
   * is bypassed (requests are introspected) until it answers again.
   * Env: `INTROSPECTION_CACHE_TIMEOUT`.
   * @default '100ms'
   */
  timeout?: Duration;

  /**
   * Stale-if-error window: when the endpoint cannot answer, a cached
   * *active* answer may be used up to this long past its `ttl`, never past
   * the token's `exp`. Inactive answers and unknown tokens are still refused.
   * Trade-off: a token revoked during an outage may pass for this window.
   * Needs `ttl`. 0 (the default) disables it. Env: `INTROSPECTION_STALE_IF_ERROR`.
   * @default 0
   */
  staleIfError?: Duration;

  /**
   * Coalescing of concurrent first requests for one token. `'local'`: one
   * introspection per instance (single flight). `'distributed'`: one across
   * every instance sharing `url`, through a short Redis lock per token; the
   * other instances wait for its answer (at most the transport's `timeout`)
   * and read it from the cache. Best effort: when Redis fails or the wait is
   * over, each instance introspects on its own, never failing a request.
   * Needs `url` and `ttl`. Env: `INTROSPECTION_CACHE_COALESCING`.
   * @default 'local'
   */
  coalescing?: CacheCoalescing;
}
