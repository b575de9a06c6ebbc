import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';

/** HMAC-SHA256 keys shorter than its output weaken it (RFC 2104 §3). */
const MIN_SECRET_BYTES = 32;

/** What decides whether the cache needs a configured secret. */
export interface CacheSecretContext {
  readonly ttlMs: number;
  /** A store other instances (or anyone else) may write to: `cache.url` or `cache.store`. */
  readonly sharedStore: 'cache.url' | 'cache.store' | undefined;
}

/**
 * The cache secrets: `cache.secret` (required with a shared store when the
 * cache is on; random per process for the in-memory default) and
 * `cache.previousSecrets`. Values are never quoted in errors.
 * @internal
 */
export function resolveCacheSecrets(
  secret: unknown,
  previous: unknown,
  { ttlMs, sharedStore }: CacheSecretContext,
): { cacheSecret: KeyObject; cachePreviousSecrets: KeyObject[] } {
  const cachePreviousSecrets = (
    previous === undefined || previous === null || previous === ''
      ? []
      : Array.isArray(previous)
        ? (previous as unknown[])
        : [previous]
  ).map((value) => secretKey(value, 'cache.previousSecrets', 'each secret'));
  if (secret === undefined || secret === null || secret === '') {
    if (ttlMs > 0 && sharedStore !== undefined) {
      throw new IntrospectionConfigurationError(
        'cache.secret',
        `is required with ${sharedStore}: it authenticates the shared cache, so that whoever can write to the store cannot make up answers. Give every instance sharing the store the same value of at least ${MIN_SECRET_BYTES} bytes, e.g. from "openssl rand -base64 32".`,
      );
    }
    // Only this process reads its in-memory store: a secret nobody knows is enough.
    return { cacheSecret: createSecretKey(randomBytes(MIN_SECRET_BYTES)), cachePreviousSecrets };
  }
  return { cacheSecret: secretKey(secret, 'cache.secret', 'it'), cachePreviousSecrets };
}

function secretKey(value: unknown, option: string, subject: string): KeyObject {
  if (typeof value !== 'string') {
    throw new IntrospectionConfigurationError(option, `${subject} must be a string.`);
  }
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new IntrospectionConfigurationError(
      option,
      `${subject} must be at least ${MIN_SECRET_BYTES} bytes long (got ${bytes.length}), e.g. from "openssl rand -base64 32".`,
    );
  }
  return createSecretKey(bytes);
}
