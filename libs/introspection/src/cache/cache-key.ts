import { createHash } from 'node:crypto';

/** What, besides the token, decides an introspection answer. */
export interface CacheKeyScope {
  readonly endpoint: string;
  readonly clientId: string;
  readonly tokenTypeHint: string;
  /** Name of a named registration: its entries live under their own prefix. */
  readonly namespace?: string;
}

/**
 * The cache key of a token: a SHA-256 digest over the token together with the
 * endpoint, client id and token type hint, so two configurations never share
 * an entry and the store never holds a bearer token. A named registration's
 * keys carry its name, so its entries can be told apart in a shared store.
 */
export function introspectionCacheKey(token: string, scope: CacheKeyScope): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([scope.endpoint, scope.clientId, scope.tokenTypeHint, token]))
    .digest('base64url');
  return scope.namespace === undefined
    ? `introspection:v1:${digest}`
    : `introspection:v1:${encodeURIComponent(scope.namespace)}:${digest}`;
}
