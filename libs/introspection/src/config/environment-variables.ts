import type { DpopOptions } from '../interfaces/dpop-options.interface';
import type { MtlsOptions } from '../interfaces/mtls-options.interface';
import type { IntrospectionBreakerOptions } from '../interfaces/breaker-options.interface';
import type { IntrospectionCacheOptions } from '../interfaces/cache-options.interface';
import type { IntrospectionTransportOptions } from '../interfaces/transport-options.interface';
import type {
  IntrospectionModuleOptions,
  JwtAccessTokenOptions,
  JwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import type { IntrospectionTelemetryOptions } from '../interfaces/telemetry-options.interface';
import type { SecurityEventsOptions } from '../interfaces/security-events-options.interface';

/** Signing profile settings that have an environment variable (claims and headers do not). */
type EnvSigningSetting = keyof Pick<
  JwtSigningProfile,
  'signatureAlgorithm' | 'key' | 'keyFile' | 'keyId' | 'ttl' | 'audience'
>;

/** Options set by one environment variable each, nested ones by their dotted path. */
type EnvOption =
  | Exclude<
      keyof IntrospectionModuleOptions,
      | 'jwtSigningProfile'
      | 'jwt'
      | 'jwtResponseValidator'
      | 'cache'
      | 'transport'
      | 'breaker'
      | 'dpop'
      | 'mtls'
      | 'telemetry'
      | 'securityEvents'
    >
  | `jwtSigningProfile.${EnvSigningSetting}`
  | `jwt.${keyof JwtAccessTokenOptions}`
  | `cache.${Exclude<keyof IntrospectionCacheOptions, 'store'>}`
  | `transport.${Exclude<keyof IntrospectionTransportOptions, 'tls'>}`
  | `breaker.${keyof IntrospectionBreakerOptions}`
  | `dpop.${keyof DpopOptions}`
  | `mtls.${keyof MtlsOptions}`
  | `telemetry.${keyof IntrospectionTelemetryOptions}`
  | `securityEvents.${keyof SecurityEventsOptions}`;

/**
 * The environment variable that sets each module option, as read by
 * {@link parseIntrospectionEnv}; signing profile settings under their dotted
 * path (`'jwtSigningProfile.key'`, `'cache.ttl'`), the members of `transport.tls` in
 * {@link INTROSPECTION_TLS_ENV_VARIABLES}.
 */
export const INTROSPECTION_ENV_VARIABLES = {
  endpoint: 'INTROSPECTION_ENDPOINT',
  issuer: 'INTROSPECTION_ISSUER',
  discoveryRetry: 'INTROSPECTION_DISCOVERY_RETRY',
  discoveryRefreshInterval: 'INTROSPECTION_DISCOVERY_REFRESH_INTERVAL',
  jwksUri: 'INTROSPECTION_JWKS_URI',
  responseFormat: 'INTROSPECTION_RESPONSE_FORMAT',
  responseSigningAlgorithms: 'INTROSPECTION_RESPONSE_SIGNING_ALGORITHMS',
  responseMaxAge: 'INTROSPECTION_RESPONSE_MAX_AGE',
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
  'jwtSigningProfile.signatureAlgorithm': 'INTROSPECTION_SIGNING_ALGORITHM',
  'jwtSigningProfile.key': 'INTROSPECTION_SIGNING_KEY',
  'jwtSigningProfile.keyFile': 'INTROSPECTION_SIGNING_KEY_FILE',
  'jwtSigningProfile.keyId': 'INTROSPECTION_SIGNING_KEY_ID',
  'jwtSigningProfile.ttl': 'INTROSPECTION_SIGNING_TTL',
  'jwtSigningProfile.audience': 'INTROSPECTION_SIGNING_AUDIENCE',
  bearerToken: 'INTROSPECTION_BEARER_TOKEN',
  tokenEndpoint: 'INTROSPECTION_TOKEN_ENDPOINT',
  tokenEndpointAuthMethod: 'INTROSPECTION_TOKEN_ENDPOINT_AUTH_METHOD',
  tokenScope: 'INTROSPECTION_TOKEN_SCOPE',
  'cache.ttl': 'INTROSPECTION_TTL',
  'cache.negativeTtl': 'INTROSPECTION_NEGATIVE_TTL',
  'cache.maxEntries': 'INTROSPECTION_CACHE_MAX_ENTRIES',
  'cache.localTtl': 'INTROSPECTION_CACHE_LOCAL_TTL',
  'cache.url': 'INTROSPECTION_CACHE_URL',
  'cache.secret': 'INTROSPECTION_CACHE_SECRET',
  'cache.previousSecrets': 'INTROSPECTION_CACHE_PREVIOUS_SECRET',
  'cache.timeout': 'INTROSPECTION_CACHE_TIMEOUT',
  'cache.coalescing': 'INTROSPECTION_CACHE_COALESCING',
  tokenTypeHint: 'INTROSPECTION_TOKEN_TYPE_HINT',
  'transport.timeout': 'INTROSPECTION_TIMEOUT',
  'transport.client': 'INTROSPECTION_TRANSPORT',
  clockTolerance: 'INTROSPECTION_CLOCK_TOLERANCE',
  realm: 'INTROSPECTION_REALM',
  audience: 'INTROSPECTION_AUDIENCE',
  allowMissingTokenType: 'INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE',
  maxTokenLength: 'INTROSPECTION_MAX_TOKEN_LENGTH',
  'transport.maxResponseBytes': 'INTROSPECTION_MAX_RESPONSE_BYTES',
  wsAuthPayloadField: 'INTROSPECTION_WS_AUTH_PAYLOAD_FIELD',
  'transport.allowInsecureHttp': 'INTROSPECTION_ALLOW_INSECURE_HTTP',
  'transport.retries': 'INTROSPECTION_RETRIES',
  'transport.retryBackoff': 'INTROSPECTION_RETRY_BACKOFF',
  'breaker.threshold': 'INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD',
  'breaker.cooldown': 'INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN',
  'cache.staleIfError': 'INTROSPECTION_STALE_IF_ERROR',
  resource: 'INTROSPECTION_RESOURCE',
  resourceMetadata: 'INTROSPECTION_RESOURCE_METADATA',
  sendResource: 'INTROSPECTION_SEND_RESOURCE',
  acrValues: 'INTROSPECTION_ACR_VALUES',
  maxAge: 'INTROSPECTION_MAX_AGE',
  'dpop.mode': 'INTROSPECTION_DPOP',
  'dpop.nonce': 'INTROSPECTION_DPOP_NONCE',
  'dpop.nonceLifetime': 'INTROSPECTION_DPOP_NONCE_LIFETIME',
  'dpop.algorithms': 'INTROSPECTION_DPOP_ALGORITHMS',
  'dpop.proofMaxAge': 'INTROSPECTION_DPOP_PROOF_MAX_AGE',
  'mtls.certificateHeader': 'INTROSPECTION_MTLS_CERTIFICATE_HEADER',
  'mtls.certificateHeaderFormat': 'INTROSPECTION_MTLS_CERTIFICATE_HEADER_FORMAT',
  publicUrl: 'INTROSPECTION_PUBLIC_URL',
  trustProxy: 'INTROSPECTION_TRUST_PROXY',
  'telemetry.recordSubject': 'INTROSPECTION_TELEMETRY_RECORD_SUBJECT',
  'securityEvents.path': 'INTROSPECTION_SET_PATH',
  'securityEvents.issuer': 'INTROSPECTION_SET_ISSUER',
  'securityEvents.jwksUri': 'INTROSPECTION_SET_JWKS_URI',
  'securityEvents.audience': 'INTROSPECTION_SET_AUDIENCE',
  'securityEvents.maxAge': 'INTROSPECTION_SET_MAX_AGE',
  'securityEvents.requireToken': 'INTROSPECTION_SET_REQUIRE_TOKEN',
} as const satisfies Record<Exclude<EnvOption, 'rpcAuthorizationExtractor'>, string>;

/** The environment variables of the `transport.tls` option's members, as read by {@link parseIntrospectionEnv}. */
export const INTROSPECTION_TLS_ENV_VARIABLES = {
  ca: 'INTROSPECTION_TLS_CA',
  cert: 'INTROSPECTION_TLS_CERT',
  key: 'INTROSPECTION_TLS_KEY',
  passphrase: 'INTROSPECTION_TLS_KEY_PASSPHRASE',
} as const;
