import {
  InsufficientScopeException,
  InsufficientUserAuthenticationException,
  InvalidTokenException,
} from '../errors/bearer-token.exceptions';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';

/** The requirements a route applies to an introspection result, resolved. */
export interface ResolvedTokenRequirements {
  readonly scopes: readonly string[];
  /** Accepted audiences; empty means any. */
  readonly audience: readonly string[];
  readonly clockToleranceMs: number;
  readonly allowMissingTokenType: boolean;
  /** Accepted `acr` values (RFC 9470); empty means any. */
  readonly acrValues: readonly string[];
  /** Longest accepted authentication age in milliseconds; unset means no limit. */
  readonly maxAgeMs?: number;
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
 * @throws InsufficientUserAuthenticationException (401) for an `acr` or
 *   `auth_time` the route does not accept (RFC 9470), before scopes: the
 *   user must authenticate again anyway, and the new token can carry the
 *   missing scopes too, which the challenge then lists
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
  const scopesMet = requirements.scopes.every((scope) => result.scopes.includes(scope));
  const stepUp = stepUpFailure(result, requirements, nowMs);
  if (stepUp !== undefined) {
    throw new InsufficientUserAuthenticationException(
      stepUp,
      requirements.acrValues,
      requirements.maxAgeMs === undefined ? undefined : requirements.maxAgeMs / 1000,
      scopesMet ? [] : requirements.scopes,
    );
  }
  if (!scopesMet) {
    throw new InsufficientScopeException(requirements.scopes);
  }
}

/** Why the user's authentication falls short of the route's (RFC 9470), or `undefined`. */
function stepUpFailure(
  result: IntrospectionResult,
  { acrValues, maxAgeMs, clockToleranceMs }: ResolvedTokenRequirements,
  nowMs: number,
): string | undefined {
  const { acr, auth_time: authTime } = result.claims;
  if (acrValues.length > 0 && !(typeof acr === 'string' && acrValues.includes(acr))) {
    return acr === undefined
      ? 'The access token does not say how the user authenticated (acr); a stronger authentication is required.'
      : 'The user authenticated in a way this resource does not accept; a stronger authentication is required.';
  }
  if (maxAgeMs === undefined) {
    return undefined;
  }
  if (typeof authTime !== 'number' || !Number.isFinite(authTime)) {
    return 'The access token does not say when the user authenticated (auth_time); a new authentication is required.';
  }
  const ageMs = nowMs - authTime * 1000;
  // A time ahead of our clock (beyond the tolerance) is no proof of a fresh
  // authentication: it may be milliseconds read as seconds, or made up.
  if (ageMs > maxAgeMs + clockToleranceMs || ageMs < -clockToleranceMs) {
    return 'The user authenticated too long ago; a new authentication is required.';
  }
  return undefined;
}
