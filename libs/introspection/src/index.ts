// First: names the supported Node.js and NestJS versions before any dependency fails to load.
import './runtime/supported-runtime';
export type { ClientAuthRequest, ClientAuthStrategy } from './client-auth/client-auth-strategy.interface';
export { ClientAuthStrategyRegistry } from './client-auth/client-auth-strategy.registry';
export { BearerTokenStrategy } from './client-auth/bearer-token.strategy';
export { ClientSecretBasicStrategy } from './client-auth/client-secret-basic.strategy';
export { ClientSecretJwtStrategy } from './client-auth/client-secret-jwt.strategy';
export { ClientSecretPostStrategy } from './client-auth/client-secret-post.strategy';
export { PrivateKeyJwtStrategy } from './client-auth/private-key-jwt.strategy';
export { parseDuration } from './config/duration';
export { INTROSPECTION_ENV_VARIABLES, INTROSPECTION_TLS_ENV_VARIABLES } from './config/environment-variables';
export { parseIntrospectionEnv, type IntrospectionEnv } from './config/introspection-env';
export { introspectionConfig } from './config/introspection.config';
export { resolveIntrospectionOptions } from './config/resolve-options';
export type { AuthorizationServerMetadata } from './discovery/authorization-server-metadata.interface';
export { AuthorizationServerMetadataService } from './discovery/authorization-server-metadata.service';
export { InjectIntrospectionOptions } from './decorators/inject-introspection-options.decorator';
export { IntrospectedToken } from './decorators/introspected-token.decorator';
export { RequireActiveToken } from './decorators/require-active-token.decorator';
export {
  AuthorizationServerErrorException,
  AuthorizationServerUnavailableException,
  BearerTokenException,
  InsufficientScopeException,
  InsufficientUserAuthenticationException,
  InvalidBearerRequestException,
  InvalidTokenException,
  MissingBearerTokenException,
  DpopRequiredException,
  InvalidDpopProofException,
  UseDpopNonceException,
  type BearerErrorCode,
} from './errors/bearer-token.exceptions';
export type { DpopChallengeContext } from './binding/dpop-challenge';
export type { PeerCertificateSocket } from './binding/client-certificate';
export type { TokenScheme } from './binding/token-binding.verifier';
export {
  IntrospectionCacheError,
  IntrospectionCircuitOpenError,
  IntrospectionConfigurationError,
  IntrospectionError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
  type IntrospectionResponseErrorReason,
} from './errors/introspection.errors';
export {
  IntrospectionEvents,
  type IntrospectionEventMap,
  type IntrospectionEventListener,
  type IntrospectionEventName,
  type IntrospectionFailureOutcome,
  type SecurityEventIgnoredReason,
  type SecurityEventRefusal,
} from './events/introspection-events';
export {
  INTROSPECTION_HEALTH_INTERVAL,
  IntrospectionHealth,
  type IntrospectionDependencyHealth,
  type IntrospectionHealthReport,
} from './health/introspection-health';
export {
  formatDpopChallenge,
  formatWwwAuthenticate,
  type BearerChallenge,
  type DpopChallenge,
} from './errors/www-authenticate';
export { ActiveTokenGuard, type GuardedRequest } from './guards/active-token.guard';
export { extractBearerToken, type AuthorizationHeaders } from './guards/extract-bearer-token';
export type {
  ClientAuthMethod,
  Duration,
  IntrospectionModuleOptions,
  IntrospectionResponseFormat,
  IntrospectionTlsOptions,
  JsonWebKeyInput,
  JwtAccessTokenOptions,
  JwtIntrospectionResponse,
  JwtResponseValidator,
  JwtSigningAlgorithm,
  JwtSigningProfile,
  ResolvedIntrospectionOptions,
  ResolvedJwtAccessTokenOptions,
  ResolvedJwtSigningProfile,
  RpcAuthorizationExtractor,
} from './interfaces/introspection-options.interface';
export type { IntrospectionBreakerOptions } from './interfaces/breaker-options.interface';
export type { CacheCoalescing, IntrospectionCacheOptions } from './interfaces/cache-options.interface';
export type {
  IntrospectionTransportClient,
  IntrospectionTransportOptions,
} from './interfaces/transport-options.interface';
export type {
  IntrospectionTelemetryOptions,
  ResolvedTelemetryOptions,
} from './interfaces/telemetry-options.interface';
export type { IntrospectionResult, IntrospectOptions } from './interfaces/introspection-result.interface';
export type { InvalidateWhereOptions, RevocationFilter } from './interfaces/revocation.interface';
export type {
  ResolvedSecurityEventsOptions,
  SecurityEventsOptions,
} from './interfaces/security-events-options.interface';
export type {
  IntrospectionResourceOptions,
  ProtectedResourceMetadataMembers,
  ResolvedIntrospectionResourceOptions,
  ResolvedProtectedResourceMetadata,
} from './interfaces/resource-options.interface';
export type { TokenRequirements } from './interfaces/token-requirements.interface';
export type { DpopMode, DpopOptions, ResolvedDpopOptions } from './interfaces/dpop-options.interface';
export type {
  CertificateHeaderFormat,
  MtlsOptions,
  ResolvedMtlsOptions,
} from './interfaces/mtls-options.interface';
export {
  DEFAULT_CACHE_MAX_ENTRIES,
  CLIENT_ASSERTION_TYP,
  DEFAULT_CLIENT_ASSERTION_TTL,
  DEFAULT_ENDPOINT_AUTH_METHOD,
  DEFAULT_INTROSPECTION_SERVER,
  DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
  DEFAULT_TOKEN_TYPE_HINT,
  INTROSPECTION_CLOCK,
  INTROSPECTION_REQUEST_PROPERTY,
  INTROSPECTION_RESOLVED_OPTIONS,
  ROUTE_BY_ISSUER,
} from './introspection.constants';
export { IntrospectionModule } from './introspection.module';
export { systemClock, type Clock } from './interfaces/clock.interface';
export type {
  IntrospectionModuleAsyncOptions,
  IntrospectionModuleExtras,
  IntrospectionModuleForRootOptions,
} from './introspection.module-definition';
export { IntrospectionService } from './introspection.service';
export {
  parseIntrospectionClaims,
  parseIntrospectionResponse,
  type IntrospectionHttpResponse,
} from './result/introspection-response.parser';
export { JWT_INTROSPECTION_MEDIA_TYPE } from './result/jwt-introspection-response.verifier';
export {
  getIntrospectionEventsToken,
  getIntrospectionHealthToken,
  getIntrospectionOptionsToken,
  getIntrospectionServiceToken,
  InjectIntrospectionService,
} from './introspection.tokens';
