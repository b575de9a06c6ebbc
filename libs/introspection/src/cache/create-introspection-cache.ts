import { CacheableMemory } from '@cacheable/memory';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';

const NAMESPACE = 'introspection';

/**
 * The cache-manager `Cache` of introspection answers, or `null` when caching
 * is off (`ttl` 0). In order of precedence: the user's `cache`, Redis at
 * `cache.url`, or an in-memory LRU bounded by `cache.maxEntries`.
 */
export function createIntrospectionCache(options: ResolvedIntrospectionOptions): Cache | null {
  if (options.ttlMs <= 0) {
    return null;
  }
  if (options.cache) {
    return isCacheManager(options.cache) ? options.cache : createCache({ stores: [options.cache] });
  }
  if (options.cacheUrl) {
    return createCache({
      stores: [
        createRedisKeyv(options.cacheUrl, {
          namespace: NAMESPACE,
          // Fail fast and loudly so an outage is noticed and bypassed,
          // rather than every call waiting on an offline queue.
          throwOnErrors: true,
          throwOnConnectError: true,
          connectionTimeout: options.cacheTimeoutMs,
        }),
      ],
    });
  }
  // Entries are plain objects holding strings and numbers, never mutated:
  // neither cloning nor Keyv's JSON round trip is needed in memory.
  const memory = new CacheableMemory({ lruSize: options.cacheMaxEntries, useClone: false, storeHashSize: 1 });
  const keyv = new Keyv({ store: memory, namespace: NAMESPACE });
  keyv.serialize = undefined;
  keyv.deserialize = undefined;
  return createCache({ stores: [keyv] });
}

function isCacheManager(cache: Cache | Keyv): cache is Cache {
  return typeof (cache as Cache).del === 'function' && typeof (cache as Cache).wrap === 'function';
}
