/**
 * Injection token of the validated, defaults-merged module options
 * ({@link ResolvedIntrospectionOptions}). Inject it with {@link InjectIntrospectionOptions}.
 */
export const INTROSPECTION_RESOLVED_OPTIONS = Symbol('INTROSPECTION_RESOLVED_OPTIONS');

/**
 * The HTTP client the module's requests go through (undici by default, axios
 * with `transport.client: 'axios'`). Internal: not exported from the barrel.
 * @internal
 */
export const INTROSPECTION_FORM_POST_TRANSPORT = Symbol('INTROSPECTION_FORM_POST_TRANSPORT');

/**
 * Injection token of the array of client authentication strategies the module
 * registers (built-in ones plus `clientAuthStrategies` given to `forRoot*`).
 * @internal
 */
export const INTROSPECTION_CLIENT_AUTH_STRATEGIES = Symbol('INTROSPECTION_CLIENT_AUTH_STRATEGIES');

/**
 * Metadata key under which `@RequireActiveToken()` stores its requirements.
 * @internal
 */
export const INTROSPECTION_REQUIREMENTS_METADATA = 'introspection:requirements';

/**
 * Property of the HTTP request object on which the guard attaches the
 * {@link IntrospectionResult} of an accepted token (`request.introspection`).
 */
export const INTROSPECTION_REQUEST_PROPERTY = 'introspection';

/** Token type hint sent when none is configured (RFC 7662 §2.1). */
export const DEFAULT_TOKEN_TYPE_HINT = 'access_token';

/** Client authentication method used when none is configured. */
export const DEFAULT_ENDPOINT_AUTH_METHOD = 'client_secret_basic';

/** Longest bearer token the guard forwards to the authorization server. */
export const DEFAULT_MAX_TOKEN_LENGTH = 4096;

/** Largest introspection response body read, in bytes. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/** Bound of the default in-memory response cache, in entries. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;

/**
 * Injection token of the cache-manager `Cache` holding introspection answers.
 * @internal
 */
export const INTROSPECTION_CACHE = Symbol('INTROSPECTION_CACHE');

/**
 * The name by which `@RequireActiveToken({ server })` designates the default
 * (unnamed) registration, e.g. on a method under a controller that names
 * another server. No named registration may take it.
 */
export const DEFAULT_INTROSPECTION_SERVER = 'default';

/**
 * Issuer routing: `@RequireActiveToken({ server: ROUTE_BY_ISSUER })` sends a
 * JWT access token to the registration whose `issuer` option equals the
 * token's `iss`; a token that is not a JWT goes to the default registration.
 */
export const ROUTE_BY_ISSUER = '@issuer';

/**
 * Injection token of the name of a named registration
 * (`IntrospectionModule.forRoot({ name })`); absent in the default one.
 * @internal
 */
export const INTROSPECTION_REGISTRATION_NAME = Symbol('INTROSPECTION_REGISTRATION_NAME');

/**
 * Injection token of the module's {@link Clock}. Override it in tests to
 * control time; the cache and the guard's `exp`/`nbf` checks read it.
 */
export const INTROSPECTION_CLOCK = Symbol('INTROSPECTION_CLOCK');
/** Method that authenticates the token request of the `bearer` method when none is configured. */
export const DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD = 'client_secret_basic';

/** Lifetime of a JWT client assertion when `jwtSigningProfile.ttl` is not set. */
export const DEFAULT_CLIENT_ASSERTION_TTL = '60s';

/** `typ` header of a JWT client assertion (RFC 10070). */
export const CLIENT_ASSERTION_TYP = 'client-authentication+jwt';

/**
 * `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
 * @internal
 */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Path of the security event receiver (`securityEvents.path`) when none is configured. */
export const DEFAULT_SECURITY_EVENTS_PATH = '/security-events';

/**
 * Injection token of what the security event receiver does with an accepted
 * event ({@link SecurityEventActions}): the registration's
 * `IntrospectionService`.
 * @internal
 */
export const INTROSPECTION_SECURITY_EVENT_ACTIONS = Symbol('INTROSPECTION_SECURITY_EVENT_ACTIONS');
