import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';

/**
 * The environment variable that sets each module option (the members of `tls`
 * are in {@link INTROSPECTION_TLS_ENV_VARIABLES}), as read by
 * {@link parseIntrospectionEnv}.
 */
export const INTROSPECTION_ENV_VARIABLES = {
  endpoint: 'INTROSPECTION_ENDPOINT',
  issuer: 'INTROSPECTION_ISSUER',
  clientId: 'INTROSPECTION_CLIENT_ID',
  clientSecret: 'INTROSPECTION_CLIENT_SECRET',
  endpointAuthMethod: 'INTROSPECTION_ENDPOINT_AUTH_METHOD',
  ttl: 'INTROSPECTION_TTL',
  negativeTtl: 'INTROSPECTION_NEGATIVE_TTL',
  cacheMaxEntries: 'INTROSPECTION_CACHE_MAX_ENTRIES',
  cacheUrl: 'INTROSPECTION_CACHE_URL',
  cacheTimeout: 'INTROSPECTION_CACHE_TIMEOUT',
  tokenTypeHint: 'INTROSPECTION_TOKEN_TYPE_HINT',
  timeout: 'INTROSPECTION_TIMEOUT',
  clockTolerance: 'INTROSPECTION_CLOCK_TOLERANCE',
  realm: 'INTROSPECTION_REALM',
  audience: 'INTROSPECTION_AUDIENCE',
  allowMissingTokenType: 'INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE',
  maxTokenLength: 'INTROSPECTION_MAX_TOKEN_LENGTH',
  maxResponseBytes: 'INTROSPECTION_MAX_RESPONSE_BYTES',
  allowInsecureHttp: 'INTROSPECTION_ALLOW_INSECURE_HTTP',
  retries: 'INTROSPECTION_RETRIES',
  retryBackoff: 'INTROSPECTION_RETRY_BACKOFF',
  circuitBreakerThreshold: 'INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD',
  circuitBreakerCooldown: 'INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN',
  staleIfError: 'INTROSPECTION_STALE_IF_ERROR',
} as const satisfies Record<Exclude<keyof IntrospectionModuleOptions, 'cache' | 'tls'>, string>;

/** The environment variables of the `tls` option's members, as read by {@link parseIntrospectionEnv}. */
export const INTROSPECTION_TLS_ENV_VARIABLES = {
  ca: 'INTROSPECTION_TLS_CA',
  cert: 'INTROSPECTION_TLS_CERT',
  key: 'INTROSPECTION_TLS_KEY',
  passphrase: 'INTROSPECTION_TLS_KEY_PASSPHRASE',
} as const;
