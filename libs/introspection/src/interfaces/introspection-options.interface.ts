import type { ExecutionContext } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { IntrospectionBreakerOptions } from './breaker-options.interface';
import type { CacheCoalescing, IntrospectionCacheOptions } from './cache-options.interface';
import type {
  IntrospectionTransportClient,
  IntrospectionTransportOptions,
} from './transport-options.interface';
import type { Keyv } from 'keyv';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { DpopOptions, ResolvedDpopOptions } from './dpop-options.interface';
import type { MtlsOptions, ResolvedMtlsOptions } from './mtls-options.interface';
import type { IntrospectionTelemetryOptions, ResolvedTelemetryOptions } from './telemetry-options.interface';
import type {
  ResolvedSecurityEventsOptions,
  SecurityEventsOptions,
} from './security-events-options.interface';
import type {
  IntrospectionResourceOptions,
  ResolvedIntrospectionResourceOptions,
} from './resource-options.interface';

/**
 * A duration: a number of seconds, or a Go-style duration string such as
 * `"500ms"`, `"90s"`, `"1m30s"` or `"1h"` (units `h`, `m`, `s`, `ms`, `us`, `ns`).
 */
export type Duration = number | string;

/**
 * Name of a client authentication method at the introspection endpoint
 * (RFC 7591 §2 `token_endpoint_auth_method` values). Custom names are allowed
 * when a matching {@link ClientAuthStrategy} is registered.
 */
export type ClientAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'bearer'
  | (string & NonNullable<unknown>);

/** Format of introspection responses: RFC 7662 JSON, or an RFC 9701 signed JWT. */
export type IntrospectionResponseFormat = 'json' | 'jwt';

/** A verified JWT introspection response, as handed to a {@link JwtResponseValidator}. */
export interface JwtIntrospectionResponse {
  /** The JWS protected header. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The JWT claims set, `token_introspection` included. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The compact JWT as received. */
  readonly jwt: string;
}

/**
 * Adds checks to JWT introspection responses, after the built-in ones.
 * Throw (anything) to refuse the answer.
 *
 * @example (response) => { if (response.claims.client_id !== 'x') throw new Error('not for us'); }
 */
export type JwtResponseValidator = (response: JwtIntrospectionResponse) => void | Promise<void>;

/** Local validation of JWT access tokens before introspection (Couper's `jwt` block). */
export interface JwtAccessTokenOptions {
  /**
   * Audience(s) of this API: the token's `aud` must contain one.
   * Env: `INTROSPECTION_JWT_AUDIENCE` (comma- or space-separated).
   */
  audience: string | string[];
  /**
   * Accepted JWS algorithms; `none` and HMAC algorithms are refused.
   * Env: `INTROSPECTION_JWT_ALGORITHMS` (comma- or space-separated).
   * @default ['RS256']
   */
  algorithms?: string[];
  /** JWK Set URL of the token signer. @default the module's `jwksUri`, or the discovered one */
  jwksUri?: string;
  /**
   * Accepted `typ` headers (compared without `application/` and case-insensitively).
   * Env: `INTROSPECTION_JWT_TYPES`.
   * @default ['at+jwt', 'JWT']
   */
  types?: string[];
}

/**
 * TLS settings for the connections to the authorization server, passed to
 * Node's `https.Agent` (like the `tls` block of Couper's `backend`). Values are
 * PEM text (or Buffers), not file paths: read files in your config factory.
 *
 * @example
 * tls: { ca: readFileSync('as-ca.pem'), cert: readFileSync('api.crt'), key: readFileSync('api.key') }
 */
export interface IntrospectionTlsOptions {
  /** CA certificates to trust instead of Node's bundled roots (a private PKI). Env: `INTROSPECTION_TLS_CA`. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate chain for mutual TLS (RFC 8705). Env: `INTROSPECTION_TLS_CERT`. */
  cert?: string | Buffer;
  /** Private key of the client certificate. Never logged. Env: `INTROSPECTION_TLS_KEY`. */
  key?: string | Buffer;
  /** Passphrase of `key`. Never logged. Env: `INTROSPECTION_TLS_KEY_PASSPHRASE`. */
  passphrase?: string;
}

/**
 * Signature algorithm of a JWT client assertion (RFC 7518 §3.1). HMAC
 * algorithms (`HS*`) serve `client_secret_jwt`, the others `private_key_jwt`.
 * `none` is never produced.
 */
export type JwtSigningAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/**
 * A private key as a JSON Web Key (RFC 7517), e.g. `{ kty: 'EC', crv: 'P-256', x, y, d }`.
 * Only private keys can sign; a public JWK is refused at boot.
 */
export type JsonWebKeyInput = Readonly<Record<string, unknown>>;

/**
 * How JWT client assertions are built and signed for `client_secret_jwt` and
 * `private_key_jwt` (RFC 7523 §3 as updated by RFC 10070, OpenID Connect
 * Core §9), after Couper's `jwt_signing_profile` block.
 *
 * @example
 * jwtSigningProfile: {
 *   signatureAlgorithm: 'ES256',
 *   keyFile: '/run/secrets/introspection-key.pem',
 *   keyId: 'orders-api-2025',
 * }
 */
export interface JwtSigningProfile {
  /**
   * Signature algorithm. `client_secret_jwt`: `HS256` (default), `HS384` or
   * `HS512`. `private_key_jwt` (required): `RS256`/`RS384`/`RS512`,
   * `PS256`/`PS384`/`PS512` (RSA keys of 2048 bits or more),
   * `ES256`/`ES384`/`ES512` or `EdDSA` (Ed25519).
   * Env: `INTROSPECTION_SIGNING_ALGORITHM`.
   */
  signatureAlgorithm?: JwtSigningAlgorithm;

  /**
   * The private key of `private_key_jwt`: a PEM string (PKCS #8, PKCS #1 or
   * SEC 1, unencrypted) or a private JWK. Never logged.
   * Env: `INTROSPECTION_SIGNING_KEY` (PEM, or JWK as JSON).
   */
  key?: string | JsonWebKeyInput;

  /**
   * Path of a file holding the private key, PEM or JWK JSON; read once at boot.
   * Env: `INTROSPECTION_SIGNING_KEY_FILE`.
   */
  keyFile?: string;

  /**
   * `kid` header of the assertion, naming the key among those the server holds
   * for the client. Defaults to the `kid` of a JWK key; omitted otherwise.
   * Env: `INTROSPECTION_SIGNING_KEY_ID`.
   */
  keyId?: string;

  /**
   * Lifetime of one assertion (`exp - iat`), in whole seconds or a duration
   * string such as `"60s"`. Env: `INTROSPECTION_SIGNING_TTL`.
   * @default '60s'
   */
  ttl?: Duration;

  /**
   * `aud` of the assertion. By default the `issuer` option, as RFC 10070
   * requires; set this for servers that want the token endpoint or the
   * introspection endpoint URL instead. Env: `INTROSPECTION_SIGNING_AUDIENCE`.
   */
  audience?: string;

  /**
   * Additional claims. They cannot replace `iss`, `sub`, `aud`, `jti`, `iat`
   * or `exp`: setting one of those fails at boot.
   * @default {}
   */
  claims?: Readonly<Record<string, unknown>>;

  /**
   * Additional JOSE header parameters. `alg` cannot be set here (it is
   * `signatureAlgorithm`), nor `typ` and `kid` (see `typ` and `keyId`).
   * @default {}
   */
  headers?: Readonly<Record<string, unknown>>;

  /**
   * `typ` header. `null` leaves it out, for servers that predate RFC 10070
   * and refuse unknown types.
   * @default 'client-authentication+jwt'
   */
  typ?: string | null;
}

/**
 * Options of {@link IntrospectionModule}, named after the attributes of
 * Couper's `beta_introspection` block.
 *
 * @example
 * IntrospectionModule.forRoot({
 *   endpoint: 'https://as.example.com/token/introspection',
 *   clientId: 'orders-api',
 *   clientSecret: process.env.INTROSPECTION_CLIENT_SECRET,
 *   cache: { ttl: '30s' },
 * })
 */
export interface IntrospectionModuleOptions extends IntrospectionResourceOptions {
  /**
   * URL of the introspection endpoint (RFC 7662 §2). Must be `https:` unless
   * the host is loopback or `allowInsecureHttp` is set.
   * Required unless `issuer` is set, in which case it is discovered.
   * Env: `INTROSPECTION_ENDPOINT`.
   */
  endpoint?: string;

  /**
   * Issuer identifier of the authorization server. Alone (without
   * `endpoint`), the introspection endpoint is discovered from
   * `<issuer>/.well-known/oauth-authorization-server` (RFC 8414), falling
   * back to `/.well-known/openid-configuration`; the document's `issuer` must
   * equal this value exactly. Also the expected `iss` of JWT introspection
   * responses and JWT access tokens. Env: `INTROSPECTION_ISSUER`.
   */
  issuer?: string;

  /**
   * Start the application even when discovery fails at boot because the
   * authorization server is unreachable, and keep retrying in the background;
   * protected routes answer 503 until discovery succeeds. A server that
   * answers with a wrong document still stops the boot.
   * Env: `INTROSPECTION_DISCOVERY_RETRY`.
   * @default false
   */
  discoveryRetry?: boolean;

  /**
   * How often the discovery document is fetched again. It is also fetched
   * again (at most every 30 s) after an introspection request finds no answer.
   * Env: `INTROSPECTION_DISCOVERY_REFRESH_INTERVAL`.
   * @default '1h'
   */
  discoveryRefreshInterval?: Duration;

  /**
   * URL of the authorization server's JWK Set, for verifying JWT
   * introspection responses and JWT access tokens. Discovered (`jwks_uri`)
   * when `issuer` is set. Env: `INTROSPECTION_JWKS_URI`.
   */
  jwksUri?: string;

  /**
   * `'jwt'` asks for signed introspection responses (RFC 9701) with
   * `Accept: application/token-introspection+jwt` and verifies them before
   * reading anything: signature, `typ`, `iss`, `aud`, `iat`. A plain JSON
   * answer is then refused as a downgrade. Env: `INTROSPECTION_RESPONSE_FORMAT`.
   * @default 'json'
   */
  responseFormat?: IntrospectionResponseFormat;

  /**
   * JWS algorithms accepted for JWT introspection responses. Default: the
   * server's `introspection_signing_alg_values_supported`, else `RS256`.
   * `none` and HMAC algorithms are never accepted.
   * Env: `INTROSPECTION_RESPONSE_SIGNING_ALGORITHMS` (comma- or space-separated).
   */
  responseSigningAlgorithms?: string[];

  /**
   * Oldest `iat` accepted in a signed (RFC 9701) answer, before clock
   * tolerance: a signed answer is a statement made at `iat`, and one older
   * than the request that fetched it is a replay. Default: `timeout`.
   * Env: `INTROSPECTION_RESPONSE_MAX_AGE`.
   */
  responseMaxAge?: Duration;

  /**
   * Private key (PEM, PKCS#8 or PKCS#1, or a private JWK) that decrypts
   * encrypted JWT introspection responses (JWE wrapping the signed JWT,
   * RFC 9701 §5). Without it, an encrypted answer is refused. Never logged.
   * Env: `INTROSPECTION_RESPONSE_DECRYPTION_KEY` (PEM, or a JWK as JSON).
   */
  responseDecryptionKey?: string | JsonWebKey;

  /**
   * Additional checks of a verified JWT introspection response, run after
   * the built-in ones (which it cannot replace). Throw to refuse the answer
   * (502). IdentityModel's `ITokenIntrospectionJwtResponseValidator`.
   */
  jwtResponseValidator?: JwtResponseValidator;

  /**
   * HTTP method of the introspection request. `'GET'` sends the token in the
   * query string (Janssen accepts it) where access logs and proxies record
   * it: use it only when the server requires it.
   * Env: `INTROSPECTION_METHOD`.
   * @default 'POST'
   */
  method?: 'POST' | 'GET';

  /**
   * Additional request parameters, e.g. Janssen's `{ response_as_jwt: 'true' }`.
   * They cannot replace `token`, `token_type_hint` or client credentials.
   * Env: `INTROSPECTION_REQUEST_PARAMS` (query syntax: `a=1&b=2`).
   */
  requestParams?: Record<string, string>;

  /**
   * Additional request headers. They cannot replace `Authorization`,
   * `Content-Type`, `Accept`, `Host` or `Content-Length`.
   * Env: `INTROSPECTION_REQUEST_HEADERS` (a JSON object).
   */
  requestHeaders?: Record<string, string>;

  /**
   * Couper's model: a JWT access token is verified locally first (signature,
   * `iss`, `aud`, `exp`, `nbf`, algorithm, `typ`) and refused with 401
   * without calling the authorization server when it fails; one that passes
   * is then introspected, to learn whether it was revoked.
   */
  jwt?: JwtAccessTokenOptions;

  /**
   * With `jwt` set: whether tokens that are not JWTs are introspected (true)
   * or refused with 401 (false). Env: `INTROSPECTION_ACCEPT_OPAQUE_TOKENS`.
   * @default true
   */
  acceptOpaqueTokens?: boolean;

  /** Client identifier of this API at the authorization server. Env: `INTROSPECTION_CLIENT_ID`. */
  clientId: string;

  /**
   * Client secret, required by the secret-based methods. Never logged.
   * Env: `INTROSPECTION_CLIENT_SECRET`.
   */
  clientSecret?: string;

  /**
   * How this API authenticates at the introspection endpoint.
   * Env: `INTROSPECTION_ENDPOINT_AUTH_METHOD`.
   * @default 'client_secret_basic'
   */
  endpointAuthMethod?: ClientAuthMethod;

  /**
   * How JWT client assertions are signed, for `client_secret_jwt` (optional)
   * and `private_key_jwt` (required). Env: `INTROSPECTION_SIGNING_*`.
   */
  jwtSigningProfile?: JwtSigningProfile;

  /**
   * `bearer` method: a fixed access token sent as `Authorization: Bearer` to
   * the introspection endpoint. Prefer `tokenEndpoint`, which renews the
   * token. Never logged. Env: `INTROSPECTION_BEARER_TOKEN`.
   */
  bearerToken?: string;

  /**
   * `bearer` method: URL of the token endpoint where the module obtains its
   * own access token with the `client_credentials` grant (RFC 6749 §4.4).
   * Env: `INTROSPECTION_TOKEN_ENDPOINT`.
   */
  tokenEndpoint?: string;

  /**
   * `bearer` method: how the token request authenticates the client, by
   * method name (any registered method but `bearer`).
   * Env: `INTROSPECTION_TOKEN_ENDPOINT_AUTH_METHOD`.
   * @default 'client_secret_basic'
   */
  tokenEndpointAuthMethod?: ClientAuthMethod;

  /**
   * `bearer` method: `scope` of the token request, when the server wants one
   * for introspection. Env: `INTROSPECTION_TOKEN_SCOPE`.
   */
  tokenScope?: string;

  /**
   * Reuse of introspection answers: `ttl` (Couper's semantics: absent or 0
   * asks the server every time), the store (in memory by default, Redis with
   * `url`, or a `store` of your own), its `secret`, stale-if-error.
   * Env: `INTROSPECTION_TTL`, `INTROSPECTION_CACHE_*`, `INTROSPECTION_NEGATIVE_TTL`,
   * `INTROSPECTION_STALE_IF_ERROR`.
   */
  cache?: IntrospectionCacheOptions;

  /**
   * How the authorization server is called: total deadline, retries, body
   * cap, TLS. Env: `INTROSPECTION_TIMEOUT`, `INTROSPECTION_RETRIES`,
   * `INTROSPECTION_RETRY_BACKOFF`, `INTROSPECTION_MAX_RESPONSE_BYTES`,
   * `INTROSPECTION_ALLOW_INSECURE_HTTP`, `INTROSPECTION_TLS_*`.
   */
  transport?: IntrospectionTransportOptions;

  /**
   * The per-endpoint circuit breaker. Env: `INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD`,
   * `INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN`.
   */
  breaker?: IntrospectionBreakerOptions;

  /** What the OpenTelemetry spans and metrics may carry; see {@link IntrospectionTelemetryOptions}. */
  telemetry?: IntrospectionTelemetryOptions;

  /**
   * `token_type_hint` sent with every request (RFC 7662 §2.1).
   * Env: `INTROSPECTION_TOKEN_TYPE_HINT`.
   * @default 'access_token'
   */
  tokenTypeHint?: string;

  /**
   * Leeway when checking `exp` and `nbf` against the local clock.
   * Env: `INTROSPECTION_CLOCK_TOLERANCE`.
   * @default '5s'
   */
  clockTolerance?: Duration;

  /**
   * `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). Omitted when unset.
   * Env: `INTROSPECTION_REALM`.
   */
  realm?: string;

  /**
   * Audience every protected route requires unless the route sets its own:
   * the token's `aud` must contain at least one of these values.
   * Env: `INTROSPECTION_AUDIENCE` (comma- or space-separated).
   */
  audience?: string | string[];

  /**
   * Accept an active answer that has neither `token_type` nor `aud`. An
   * answer without `token_type` that names an audience is accepted anyway
   * (RFC 7662 §2.2 makes `token_type` optional); one with neither is refused
   * by default because that is how oidc-provider answers refresh tokens.
   * Answers that say the token is no access token (`token_use` other than
   * `access_token`, Keycloak's `typ: Refresh`) are refused whatever this says.
   * Env: `INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE`.
   * @default false
   */
  allowMissingTokenType?: boolean;

  /**
   * Longest bearer token accepted from a client; a longer one is refused with
   * 400 `invalid_request` without calling the authorization server.
   * Env: `INTROSPECTION_MAX_TOKEN_LENGTH`.
   * @default 4096
   */
  maxTokenLength?: number;

  /**
   * On WebSocket gateways: the member of the socket.io handshake `auth`
   * payload that holds the bearer token (browsers cannot set headers on a
   * WebSocket), used when the handshake has no `Authorization` header.
   * Unset: only the `Authorization` header is read.
   * @example 'token' // io(url, { auth: { token } })
   */
  wsAuthPayloadField?: string;

  /**
   * On microservice handlers: reads the `Authorization` value (`Bearer <token>`)
   * of a message. The default reads gRPC metadata `authorization`, then the
   * payload's `authorization` member, then its `headers.authorization`.
   * @example (context) => context.switchToRpc().getData<{ auth?: string }>().auth
   */
  rpcAuthorizationExtractor?: RpcAuthorizationExtractor;

  /** DPoP-bound tokens (RFC 9449): mode, nonces, algorithms, proof age. */
  dpop?: DpopOptions;

  /** Certificate-bound tokens (RFC 8705 §3) behind a TLS-terminating proxy. */
  mtls?: MtlsOptions;

  /**
   * A receiver of pushed Security Event Tokens (RFC 8935, RFC 8417; OpenID
   * CAEP and RISC) that revokes this registration's cached answers; see
   * {@link SecurityEventsOptions}. Unset: no receiver is mounted.
   */
  securityEvents?: SecurityEventsOptions;

  /**
   * The origin clients call this API at (`https://api.example.com`), from
   * which a DPoP proof's `htu` is checked. Without it, `htu` is built from
   * the `X-Forwarded-Proto`/`X-Forwarded-Host` of a `trustProxy` peer, never
   * from `Host` alone. Env: `INTROSPECTION_PUBLIC_URL`.
   */
  publicUrl?: string;

  /**
   * Addresses and CIDR ranges of the proxies in front of this API, or
   * `'loopback'`: only their `X-Forwarded-Proto`, `X-Forwarded-Host` and
   * `mtls.certificateHeader` are read. Env: `INTROSPECTION_TRUST_PROXY`
   * (comma-separated).
   * @default []
   */
  trustProxy?: string | string[];
}

/**
 * Reads the `Authorization` value (`Bearer <token>`) of a microservice
 * message; `undefined` when the message carries none.
 */
export type RpcAuthorizationExtractor = (context: ExecutionContext) => string | undefined;

/**
 * Module options after validation, with defaults applied and durations in
 * milliseconds. Injectable with {@link InjectIntrospectionOptions}.
 */
export interface ResolvedIntrospectionOptions extends ResolvedIntrospectionResourceOptions {
  /** The configured endpoint; absent when it is discovered from `issuer`. */
  readonly endpoint?: string;
  readonly issuer?: string;
  /** Whether the authorization server metadata must be discovered from `issuer`. */
  readonly discovery: boolean;
  readonly discoveryRetry: boolean;
  readonly discoveryRefreshIntervalMs: number;
  readonly jwksUri?: string;
  readonly responseFormat: IntrospectionResponseFormat;
  readonly responseSigningAlgorithms?: readonly string[];
  readonly responseMaxAgeMs: number;
  readonly jwtResponseValidator?: JwtResponseValidator;
  /** The imported `responseDecryptionKey`. */
  readonly responseDecryptionKey?: KeyObject;
  readonly method: 'POST' | 'GET';
  readonly requestParams: Readonly<Record<string, string>>;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly jwt?: ResolvedJwtAccessTokenOptions;
  readonly acceptOpaqueTokens: boolean;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly endpointAuthMethod: ClientAuthMethod;
  /** The signing profile, when one was configured. */
  readonly jwtSigningProfile?: ResolvedJwtSigningProfile;
  readonly bearerToken?: string;
  readonly tokenEndpoint?: string;
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  readonly tokenScope?: string;
  /** Cache time-to-live in milliseconds; 0 disables caching. */
  readonly ttlMs: number;
  /** Time-to-live of inactive answers in milliseconds (at most `ttlMs`). */
  readonly negativeTtlMs: number;
  readonly cacheMaxEntries: number;
  /**
   * How long answers are also kept in memory in front of the store, in
   * milliseconds (`cache.localTtl`); unset: as long as the store, or 1 s in
   * front of a shared store that does not push deletions.
   */
  readonly cacheLocalTtlMs?: number;
  readonly cacheUrl?: string;
  readonly cache?: Cache | Keyv;
  /** The cache secret, configured or generated for the in-memory store. */
  readonly cacheSecret: KeyObject;
  readonly cachePreviousSecrets: readonly KeyObject[];
  readonly cacheTimeoutMs: number;
  /** `cache.coalescing`: `'distributed'` only with `cacheUrl` and `ttlMs` > 0. */
  readonly cacheCoalescing: CacheCoalescing;
  readonly tokenTypeHint: string;
  readonly timeoutMs: number;
  readonly clockToleranceMs: number;
  readonly realm?: string;
  readonly audience: readonly string[];
  readonly allowMissingTokenType: boolean;
  readonly maxTokenLength: number;
  readonly maxResponseBytes: number;
  readonly allowInsecureHttp: boolean;
  readonly tls?: IntrospectionTlsOptions;
  /** `transport.client`: the HTTP client requests go through. */
  readonly transportClient: IntrospectionTransportClient;
  readonly retries: number;
  /** Base delay of the retry backoff in milliseconds. */
  readonly retryBackoffMs: number;
  /** 0 when the circuit breaker is disabled. */
  readonly circuitBreakerThreshold: number;
  readonly circuitBreakerCooldownMs: number;
  /** Stale-if-error window in milliseconds; 0 when disabled. */
  readonly staleIfErrorMs: number;
  readonly telemetry: ResolvedTelemetryOptions;
  readonly wsAuthPayloadField?: string;
  readonly rpcAuthorizationExtractor?: RpcAuthorizationExtractor;
  readonly dpop: ResolvedDpopOptions;
  readonly mtls: ResolvedMtlsOptions;
  /** Absent when no security event receiver is configured. */
  readonly securityEvents?: ResolvedSecurityEventsOptions;
  /** The origin of `publicUrl`, without a trailing slash. */
  readonly publicUrl?: string;
  /** Trusted proxy addresses and CIDR ranges, `'loopback'` expanded. */
  readonly trustProxy: readonly string[];
}

/** {@link JwtAccessTokenOptions} after validation. */
export interface ResolvedJwtAccessTokenOptions {
  readonly audience: readonly string[];
  readonly algorithms: readonly string[];
  readonly jwksUri?: string;
  readonly types: readonly string[];
}

/** A {@link JwtSigningProfile} after validation, with defaults applied. */
export interface ResolvedJwtSigningProfile {
  /** Undefined when not configured; each method applies its own default or requirement. */
  readonly signatureAlgorithm?: JwtSigningAlgorithm;
  readonly key?: string | JsonWebKeyInput;
  readonly keyFile?: string;
  readonly keyId?: string;
  /** Lifetime of one assertion, in whole seconds. */
  readonly ttlSeconds: number;
  readonly audience?: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, unknown>>;
  /** `undefined` when the header is left out. */
  readonly typ?: string;
}
