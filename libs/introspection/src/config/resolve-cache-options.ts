import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import { DEFAULT_CACHE_MAX_ENTRIES } from '../introspection.constants';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { CacheCoalescing, IntrospectionCacheOptions } from '../interfaces/cache-options.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { duration, given, optionalString, optionGroup, parseUrl, positiveInteger } from './option-values';
import { resolveCacheSecrets } from './resolve-cache-secrets';
import { MAX_TIMER_MS } from './resolve-transport-options';

const DEFAULT_NEGATIVE_TTL = '10s';
const DEFAULT_CACHE_TIMEOUT = '100ms';
/**
 * The memory store's bound: @cacheable/memory turns a larger `lruSize`
 * into 0, which removes the bound altogether.
 */
export const MAX_CACHE_MAX_ENTRIES = 16_777_216;

/** The resolved settings of the `cache` group. */
export type ResolvedCacheSettings = Pick<
  ResolvedIntrospectionOptions,
  | 'ttlMs'
  | 'negativeTtlMs'
  | 'cacheMaxEntries'
  | 'cacheLocalTtlMs'
  | 'cacheUrl'
  | 'cache'
  | 'cacheSecret'
  | 'cachePreviousSecrets'
  | 'cacheTimeoutMs'
  | 'staleIfErrorMs'
  | 'cacheCoalescing'
>;

/**
 * Validates the `cache` group and applies its defaults.
 * @throws IntrospectionConfigurationError naming the first bad setting (`cache.ttl`, ...)
 * @internal
 */
export function resolveCacheOptions(value: unknown): ResolvedCacheSettings {
  const c = optionGroup(value, 'cache', "{ ttl: '30s' }") as IntrospectionCacheOptions;
  const cacheTimeoutMs = duration(given(c.timeout) ?? DEFAULT_CACHE_TIMEOUT, 'cache.timeout');
  if (cacheTimeoutMs <= 0 || cacheTimeoutMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError('cache.timeout', 'must be a positive duration, e.g. "100ms".');
  }
  // Couper's semantics: absent or non-positive means "do not cache".
  const ttlMs = Math.max(0, duration(given(c.ttl) ?? 0, 'cache.ttl'));
  const staleIfErrorMs = duration(given(c.staleIfError) ?? 0, 'cache.staleIfError');
  if (staleIfErrorMs < 0 || staleIfErrorMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError(
      'cache.staleIfError',
      'must be a duration of at least 0, e.g. "5m".',
    );
  }
  if (staleIfErrorMs > 0 && ttlMs === 0) {
    throw new IntrospectionConfigurationError(
      'cache.staleIfError',
      'needs the cache: set cache.ttl too (stale answers are cached answers kept past ttl).',
    );
  }
  const localTtl = given(c.localTtl);
  const cacheLocalTtlMs = localTtl === undefined ? undefined : duration(localTtl, 'cache.localTtl');
  if (cacheLocalTtlMs !== undefined && (cacheLocalTtlMs < 0 || cacheLocalTtlMs > MAX_TIMER_MS)) {
    throw new IntrospectionConfigurationError(
      'cache.localTtl',
      'must be a duration of at least 0, e.g. "1s" (0 keeps nothing in memory in front of a shared store).',
    );
  }
  const cacheUrl = redisUrl(c.url);
  const cache = userCache(c.store);
  const { cacheSecret, cachePreviousSecrets } = resolveCacheSecrets(c.secret, c.previousSecrets, {
    ttlMs,
    // The module cannot tell whether a cache of the user's own is shared: it is treated as such.
    sharedStore: cache ? 'cache.store' : cacheUrl ? 'cache.url' : undefined,
  });
  return {
    ttlMs,
    negativeTtlMs: Math.min(
      ttlMs,
      Math.max(0, duration(given(c.negativeTtl) ?? DEFAULT_NEGATIVE_TTL, 'cache.negativeTtl')),
    ),
    cacheMaxEntries: cacheMaxEntries(c.maxEntries),
    cacheLocalTtlMs,
    cacheUrl,
    cache,
    cacheSecret,
    cachePreviousSecrets,
    cacheTimeoutMs,
    staleIfErrorMs,
    cacheCoalescing: cacheCoalescing(c.coalescing, { ttlMs, cacheUrl }),
  };
}

const COALESCING_MODES: readonly CacheCoalescing[] = ['local', 'distributed'];

function cacheCoalescing(value: unknown, cache: { ttlMs: number; cacheUrl?: string }): CacheCoalescing {
  const mode = given(value) ?? 'local';
  if (typeof mode !== 'string' || !COALESCING_MODES.includes(mode as CacheCoalescing)) {
    throw new IntrospectionConfigurationError('cache.coalescing', 'must be "local" or "distributed".');
  }
  if (mode === 'distributed' && cache.cacheUrl === undefined) {
    throw new IntrospectionConfigurationError(
      'cache.coalescing',
      '"distributed" needs the Redis the instances share: set cache.url (a cache.store of your own is not enough; the lock lives at cache.url).',
    );
  }
  if (mode === 'distributed' && cache.ttlMs === 0) {
    throw new IntrospectionConfigurationError(
      'cache.coalescing',
      '"distributed" needs the cache: set cache.ttl too (the other instances read the answer from it).',
    );
  }
  return mode as CacheCoalescing;
}

function redisUrl(value: unknown): string | undefined {
  const text = optionalString(value, 'cache.url');
  if (text === undefined) {
    return undefined;
  }
  const url = parseUrl(text, 'cache.url', 'is not a valid URL; use e.g. "redis://127.0.0.1:6379".');
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new IntrospectionConfigurationError('cache.url', 'must be a redis:// or rediss:// URL.');
  }
  if (!url.hostname) {
    throw new IntrospectionConfigurationError(
      'cache.url',
      'must name the Redis host, e.g. "redis://127.0.0.1:6379".',
    );
  }
  return text;
}

function userCache(value: unknown): Cache | Keyv | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const candidate = value as Partial<Record<'get' | 'set' | 'delete' | 'del', unknown>>;
  const isCacheManager =
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.del === 'function';
  const isKeyv =
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.delete === 'function';
  if (!isCacheManager && !isKeyv) {
    throw new IntrospectionConfigurationError(
      'cache.store',
      'must be a cache-manager Cache (createCache()) or a Keyv instance.',
    );
  }
  return value as Cache | Keyv;
}

function cacheMaxEntries(value: unknown): number {
  const entries = positiveInteger(value, 'cache.maxEntries', DEFAULT_CACHE_MAX_ENTRIES);
  if (entries > MAX_CACHE_MAX_ENTRIES) {
    throw new IntrospectionConfigurationError(
      'cache.maxEntries',
      `must be at most ${MAX_CACHE_MAX_ENTRIES}: the memory store cannot bound more entries.`,
    );
  }
  return entries;
}
