import type {
  IntrospectionModuleOptions,
  JwtAccessTokenOptions,
} from '../interfaces/introspection-options.interface';

/**
 * The environment variable that sets each module option, as read by
 * {@link parseIntrospectionEnv}.
 */
export const INTROSPECTION_ENV_VARIABLES = {
  endpoint: 'INTROSPECTION_ENDPOINT',
  issuer: 'INTROSPECTION_ISSUER',
  discoveryRetry: 'INTROSPECTION_DISCOVERY_RETRY',
  discoveryRefreshInterval: 'INTROSPECTION_DISCOVERY_REFRESH_INTERVAL',
  jwksUri: 'INTROSPECTION_JWKS_URI',
  responseFormat: 'INTROSPECTION_RESPONSE_FORMAT',
  responseSigningAlgorithms: 'INTROSPECTION_RESPONSE_SIGNING_ALGORITHMS',
  responseDecryptionKey: 'INTROSPECTION_RESPONSE_DECRYPTION_KEY',
  method: 'INTROSPECTION_METHOD',
  requestParams: 'INTROSPECTION_REQUEST_PARAMS',
  requestHeaders: 'INTROSPECTION_REQUEST_HEADERS',
  'jwt.audience': 'INTROSPECTION_JWT_AUDIENCE',
  'jwt.algorithms': 'INTROSPECTION_JWT_ALGORITHMS',
  'jwt.types': 'INTROSPECTION_JWT_TYPES',
  'jwt.jwksUri': 'INTROSPECTION_JWT_JWKS_URI',
  acceptOpaqueTokens: 'INTROSPECTION_ACCEPT_OPAQUE_TOKENS',
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
} as const satisfies Record<
  | Exclude<keyof IntrospectionModuleOptions, 'cache' | 'jwt' | 'jwtResponseValidator'>
  | `jwt.${Exclude<keyof JwtAccessTokenOptions, 'jwksUri'> | 'jwksUri'}`,
  string
>;
