import { IntrospectionConfigurationError } from '../errors/introspection.errors';

/** Options that moved into a group, by their former flat name. */
const MOVED_OPTIONS: Readonly<Record<string, string>> = {
  ttl: 'cache.ttl',
  negativeTtl: 'cache.negativeTtl',
  cacheMaxEntries: 'cache.maxEntries',
  cacheUrl: 'cache.url',
  cacheSecret: 'cache.secret',
  cachePreviousSecrets: 'cache.previousSecrets',
  cacheTimeout: 'cache.timeout',
  staleIfError: 'cache.staleIfError',
  timeout: 'transport.timeout',
  retries: 'transport.retries',
  retryBackoff: 'transport.retryBackoff',
  tls: 'transport.tls',
  maxResponseBytes: 'transport.maxResponseBytes',
  allowInsecureHttp: 'transport.allowInsecureHttp',
  circuitBreakerThreshold: 'breaker.threshold',
  circuitBreakerCooldown: 'breaker.cooldown',
};

/**
 * Refuses the flat names options had before they were grouped by concern,
 * and a store given as `cache` (now `cache.store`): ignored silently, a
 * former `ttl` would turn the cache off and a former `timeout` fall back to
 * the default, with nothing to say why.
 * @throws IntrospectionConfigurationError naming the former option and its new place
 * @internal
 */
export function assertNoMovedOptions(options: object): void {
  for (const [former, current] of Object.entries(MOVED_OPTIONS)) {
    if ((options as Record<string, unknown>)[former] !== undefined) {
      const [group, member] = current.split('.');
      throw new IntrospectionConfigurationError(
        former,
        `has moved to ${current}: write { ${group}: { ${member}: ... } } (the environment variable is unchanged).`,
      );
    }
  }
  const cache = (options as { cache?: unknown }).cache;
  if (typeof cache === 'object' && cache !== null && typeof (cache as { get?: unknown }).get === 'function') {
    throw new IntrospectionConfigurationError(
      'cache',
      'is the cache options group; pass a store of your own as cache.store: { cache: { store, ttl, secret } }.',
    );
  }
}
