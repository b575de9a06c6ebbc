import { InsufficientScopeException, InvalidTokenException } from '../errors/bearer-token.exceptions';
import type { DpopMode } from '../interfaces/dpop-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';

/** The requirements a route applies to an introspection result, resolved. */
export interface ResolvedTokenRequirements {
  readonly scopes: readonly string[];
  /** Accepted audiences; empty means any. */
  readonly audience: readonly string[];
  readonly clockToleranceMs: number;
  readonly allowMissingTokenType: boolean;
  /** The route's DPoP mode, when it sets one. */
  readonly dpop?: DpopMode;
}

/**
 * Decides whether an introspection result satisfies a route. Evaluated on
 * every request, also for results that come from a cache, because `exp` and
 * `nbf` move with the clock and routes differ in what they require.
 *
 * @param nowMs the current time in milliseconds
 * @throws InvalidTokenException (401) for inactive, expired, not-yet-valid,
 *   wrongly typed or wrong-audience tokens (bindings are TokenBindingVerifier's)
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
  if (result.tokenType === undefined) {
    if (!requirements.allowMissingTokenType) {
      throw new InvalidTokenException('The token is not an access token.');
    }
  } else if (!['bearer', 'dpop'].includes(result.tokenType.toLowerCase())) {
    // A DPoP token (RFC 9449 §6.2) passed TokenBindingVerifier before this.
    throw new InvalidTokenException('The access token is not a bearer token.');
  }
  if (requirements.audience.length > 0 && !requirements.audience.some((aud) => result.aud.includes(aud))) {
    throw new InvalidTokenException('The access token is not intended for this audience.');
  }
  if (!requirements.scopes.every((scope) => result.scopes.includes(scope))) {
    throw new InsufficientScopeException(requirements.scopes);
  }
}
