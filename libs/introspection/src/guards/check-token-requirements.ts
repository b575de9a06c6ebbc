import { InsufficientScopeException, InvalidTokenException } from '../errors/bearer-token.exceptions';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';

/** The requirements a route applies to an introspection result, resolved. */
export interface ResolvedTokenRequirements {
  readonly scopes: readonly string[];
  /** Accepted audiences; empty means any. */
  readonly audience: readonly string[];
  readonly clockToleranceMs: number;
  readonly allowMissingTokenType: boolean;
}

/** The error_description for a token bound to a key or certificate (RFC 7800 `cnf`). */
export const SENDER_CONSTRAINED =
  'The access token is sender-constrained (cnf) and this API cannot verify the binding.';

const NOT_AN_ACCESS_TOKEN = 'The token is not an access token.';

/** Keycloak's `typ` member for tokens that are not access tokens. */
const NON_ACCESS_TOKEN_TYPS = new Set(['refresh', 'offline', 'id', 'logout']);

/**
 * Whether the answer itself says the token is something other than an
 * access token: Ory Hydra's `token_use` (`refresh_token`), Keycloak's `typ`
 * (`Refresh`, `Offline`, `ID`). Such answers carry `token_type: Bearer` too,
 * so `token_type` alone does not tell.
 */
function saysNotAnAccessToken(claims: Readonly<Record<string, unknown>>): boolean {
  const { token_use: use, typ } = claims;
  return (
    (typeof use === 'string' && use !== 'access_token') ||
    (typeof typ === 'string' && NON_ACCESS_TOKEN_TYPS.has(typ.toLowerCase()))
  );
}

/**
 * Whether the token is bound to a key or certificate: a `cnf` member in the
 * introspection answer (RFC 7800 §3.1), or in the JWT access token itself
 * when it was verified locally (RFC 9068 tokens may carry one). Such a token
 * is only as good as the proof of possession that goes with it (RFC 8705
 * §3, RFC 9449 §7): accepted as a plain bearer token, a stolen one would
 * work from anywhere. oidc-provider, for one, answers `token_type: Bearer`
 * for certificate-bound tokens, so the type alone does not tell.
 */
function isSenderConstrained(result: IntrospectionResult): boolean {
  return (
    result.cnf !== undefined ||
    result.claims.cnf !== undefined ||
    (result.accessTokenClaims !== undefined && result.accessTokenClaims.cnf !== undefined)
  );
}

/**
 * Decides whether an introspection result satisfies a route. Evaluated on
 * every request, also for results that come from a cache, because `exp` and
 * `nbf` move with the clock and routes differ in what they require.
 *
 * @param nowMs the current time in milliseconds
 * @throws InvalidTokenException (401) for inactive, expired, not-yet-valid,
 *   wrongly typed (or untyped without `aud`), refresh, sender-constrained or wrong-audience tokens
 * @throws InsufficientScopeException (403) for missing scopes
 */
export function checkTokenRequirements(
  result: IntrospectionResult,
  requirements: ResolvedTokenRequirements,
  nowMs: number,
): void {
  if (!result.active) {
    throw new InvalidTokenException('The access token is not active.');
  }
  const tolerance = requirements.clockToleranceMs;
  // The authorization server said "active", but our clock has the last word
  // on time-bound claims (RFC 7662 §4: the answer may be reused later).
  if (result.exp !== undefined && result.exp * 1000 <= nowMs - tolerance) {
    throw new InvalidTokenException('The access token has expired.');
  }
  if (result.nbf !== undefined && result.nbf * 1000 > nowMs + tolerance) {
    throw new InvalidTokenException('The access token is not valid yet.');
  }
  if (saysNotAnAccessToken(result.claims)) {
    throw new InvalidTokenException(NOT_AN_ACCESS_TOKEN);
  }
  if (result.tokenType === undefined) {
    // RFC 7662 §2.2 makes token_type optional, so its absence alone proves
    // nothing. oidc-provider answers refresh tokens with neither token_type
    // nor aud; an answer that names an audience is about a token issued to
    // resource servers, which a refresh token never is (RFC 6749 §1.5).
    if (!requirements.allowMissingTokenType && result.aud.length === 0) {
      throw new InvalidTokenException(NOT_AN_ACCESS_TOKEN);
    }
  } else if (result.tokenType.toLowerCase() !== 'bearer') {
    throw new InvalidTokenException('The access token is not a bearer token.');
  }
  if (isSenderConstrained(result)) {
    throw new InvalidTokenException(SENDER_CONSTRAINED);
  }
  if (requirements.audience.length > 0 && !requirements.audience.some((aud) => result.aud.includes(aud))) {
    throw new InvalidTokenException('The access token is not intended for this audience.');
  }
  if (!requirements.scopes.every((scope) => result.scopes.includes(scope))) {
    throw new InsufficientScopeException(requirements.scopes);
  }
}
