import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';

/**
 * The environment variable that sets each module option, as read by
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
  wsAuthPayloadField: 'INTROSPECTION_WS_AUTH_PAYLOAD_FIELD',
} as const satisfies Record<
  Exclude<keyof IntrospectionModuleOptions, 'cache' | 'rpcAuthorizationExtractor'>,
  string
>;
