/**
 * A validated RFC 7662 introspection response.
 *
 * Standard members are typed and checked; `claims` holds the whole JSON
 * object as the authorization server sent it, extensions included.
 */
export interface IntrospectionResult {
  /** Whether the token is active right now, per the authorization server. */
  readonly active: boolean;
  /** `scope`: space-separated scopes, as sent. */
  readonly scope?: string;
  /** `scope` split on spaces; empty when absent. */
  readonly scopes: readonly string[];
  /** `client_id`: the client the token was issued to. */
  readonly clientId?: string;
  /** `username`: human-readable identifier of the resource owner. */
  readonly username?: string;
  /** `token_type`, e.g. `Bearer`. */
  readonly tokenType?: string;
  /** `exp`, seconds since the epoch. */
  readonly exp?: number;
  /** `iat`, seconds since the epoch. */
  readonly iat?: number;
  /** `nbf`, seconds since the epoch. */
  readonly nbf?: number;
  /** `sub`: the subject of the token. */
  readonly sub?: string;
  /** `aud`, always as an array; empty when absent. */
  readonly aud: readonly string[];
  /** `iss`: the issuer of the token. */
  readonly iss?: string;
  /** `jti`: the token's identifier. */
  readonly jti?: string;
  /**
   * `cnf` (RFC 7800 §3.1): the key or certificate the token is bound to,
   * e.g. `{ "x5t#S256": "..." }` for mutual TLS (RFC 8705 §3.2) or
   * `{ "jkt": "..." }` for DPoP (RFC 9449 §6.2). Absent for a plain bearer
   * token. The guard refuses an active answer that has it, since it cannot
   * verify the binding yet.
   */
  readonly cnf?: Readonly<Record<string, unknown>>;
  /** The whole response object (for a JWT answer: its `token_introspection` claim). */
  readonly claims: Readonly<Record<string, unknown>>;
  /**
   * The verified JWT the answer came in, with `responseFormat: 'jwt'`
   * (RFC 9701): kept for audit and non-repudiation.
   */
  readonly jwt?: string;
  /**
   * The claims of the JWT access token, verified locally before
   * introspection, when the `jwt` option is set and the token is a JWT.
   */
  readonly accessTokenClaims?: Readonly<Record<string, unknown>>;
}

/** Per-call options of {@link IntrospectionService.introspect}. */
export interface IntrospectOptions {
  /** Overrides the configured `tokenTypeHint` for this call. */
  tokenTypeHint?: string;
}
