import type { ExecutionContext } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';

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
  | (string & NonNullable<unknown>);

/**
 * Options of {@link IntrospectionModule}, named after the attributes of
 * Couper's `beta_introspection` block.
 *
 * @example
 * IntrospectionModule.forRoot({
 *   endpoint: 'https://as.example.com/token/introspection',
 *   clientId: 'orders-api',
 *   clientSecret: process.env.INTROSPECTION_CLIENT_SECRET,
 *   ttl: '30s',
 * })
 */
export interface IntrospectionModuleOptions {
  /**
   * URL of the introspection endpoint (RFC 7662 §2). `http:` or `https:`.
   * Env: `INTROSPECTION_ENDPOINT`.
   */
  endpoint?: string;

  /**
   * Issuer identifier of the authorization server. Optional for now; used by
   * discovery and JWT client assertions. Env: `INTROSPECTION_ISSUER`.
   */
  issuer?: string;

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
   * How long an introspection answer may be reused. Absent or non-positive:
   * the endpoint is asked every time a token is validated (Couper's `ttl`).
   * An active answer is never kept past the token's `exp`.
   * Env: `INTROSPECTION_TTL`.
   * @default 0
   */
  ttl?: Duration;

  /**
   * How long an *inactive* answer may be reused, within `ttl`: a flood of
   * garbage tokens then costs one introspection per distinct token. 0 keeps
   * no inactive answers. Env: `INTROSPECTION_NEGATIVE_TTL`.
   * @default '10s'
   */
  negativeTtl?: Duration;

  /**
   * Bound of the default in-memory cache, in entries; the least recently used
   * entry is evicted beyond it. Env: `INTROSPECTION_CACHE_MAX_ENTRIES`.
   * @default 10000
   */
  cacheMaxEntries?: number;

  /**
   * Redis URL (`redis://` or `rediss://`) of a cache shared by several
   * instances, through `@keyv/redis`. Env: `INTROSPECTION_CACHE_URL`.
   */
  cacheUrl?: string;

  /**
   * A cache of your own instead of the in-memory default or `cacheUrl`: a
   * `cache-manager` instance or a Keyv instance. The module does not close it.
   */
  cache?: Cache | Keyv;

  /**
   * Deadline of one cache read or write. A store that is slower, or failing,
   * is bypassed (requests are introspected) until it answers again.
   * Env: `INTROSPECTION_CACHE_TIMEOUT`.
   * @default '100ms'
   */
  cacheTimeout?: Duration;

  /**
   * `token_type_hint` sent with every request (RFC 7662 §2.1).
   * Env: `INTROSPECTION_TOKEN_TYPE_HINT`.
   * @default 'access_token'
   */
  tokenTypeHint?: string;

  /**
   * Total deadline of one introspection request, connection to last byte.
   * Env: `INTROSPECTION_TIMEOUT`.
   * @default '5s'
   */
  timeout?: Duration;

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
   * Accept an active answer that has no `token_type`. Off by default because
   * some servers (oidc-provider among them) answer refresh tokens that way.
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
   * Largest introspection response body read, in bytes; a larger one is a
   * malformed answer (502). Env: `INTROSPECTION_MAX_RESPONSE_BYTES`.
   * @default 65536
   */
  maxResponseBytes?: number;

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
export interface ResolvedIntrospectionOptions {
  readonly endpoint: string;
  readonly issuer?: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly endpointAuthMethod: ClientAuthMethod;
  /** Cache time-to-live in milliseconds; 0 disables caching. */
  readonly ttlMs: number;
  /** Time-to-live of inactive answers in milliseconds (at most `ttlMs`). */
  readonly negativeTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly cacheUrl?: string;
  readonly cache?: Cache | Keyv;
  readonly cacheTimeoutMs: number;
  readonly tokenTypeHint: string;
  readonly timeoutMs: number;
  readonly clockToleranceMs: number;
  readonly realm?: string;
  readonly audience: readonly string[];
  readonly allowMissingTokenType: boolean;
  readonly maxTokenLength: number;
  readonly maxResponseBytes: number;
  readonly wsAuthPayloadField?: string;
  readonly rpcAuthorizationExtractor?: RpcAuthorizationExtractor;
}
