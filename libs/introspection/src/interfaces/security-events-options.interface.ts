import type { Duration } from './introspection-options.interface';

/**
 * The `securityEvents` options: a receiver of Security Event Tokens (RFC 8417)
 * pushed by a transmitter (RFC 8935), typically the authorization server,
 * that applies OpenID CAEP and RISC revocations (`session-revoked`,
 * `credential-change`, `account-disabled`, ...) to this registration's
 * cached answers. Opt-in: the endpoint is mounted only when the group is set,
 * and then `issuer` and `jwksUri` are required.
 *
 * @example securityEvents: { issuer: 'https://as.example.com', jwksUri: 'https://as.example.com/jwks' }
 */
export interface SecurityEventsOptions {
  /**
   * Path of the endpoint (`POST`, `Content-Type: application/secevent+jwt`),
   * on the HTTP adapter itself: the global prefix does not apply.
   * Env: `INTROSPECTION_SET_PATH`.
   * @default '/security-events'
   */
  path?: string;

  /**
   * The transmitter's issuer: a SET's `iss` must equal it, character for
   * character. Env: `INTROSPECTION_SET_ISSUER`.
   */
  issuer: string;

  /**
   * The transmitter's JWK Set, whose keys verify SET signatures: https,
   * except on loopback or with `transport.allowInsecureHttp`.
   * Env: `INTROSPECTION_SET_JWKS_URI`.
   */
  jwksUri: string;

  /**
   * This receiver's audience: a SET's `aud` must contain one of these values.
   * Env: `INTROSPECTION_SET_AUDIENCE` (comma- or space-separated).
   * @default the registration's `clientId`
   */
  audience?: string | string[];

  /**
   * Oldest `iat` accepted, and how long a SET's `jti` is remembered to refuse
   * a replay. Env: `INTROSPECTION_SET_MAX_AGE`.
   * @default '5m'
   */
  maxAge?: Duration;

  /**
   * Also require the transmitter to authenticate with a bearer token that
   * this registration introspects as active (RFC 8935 §2.3): a request
   * without one is answered 401 `authentication_failed`, with a Bearer
   * `WWW-Authenticate` challenge. Env: `INTROSPECTION_SET_REQUIRE_TOKEN`.
   * @default false (the signature protects the endpoint)
   */
  requireToken?: boolean;
}

/** The `securityEvents` options after validation, with defaults applied. */
export interface ResolvedSecurityEventsOptions {
  readonly path: string;
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: readonly string[];
  readonly maxAgeMs: number;
  readonly requireToken: boolean;
}
