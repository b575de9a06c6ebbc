import { readAcrValues, readMaxAge } from '../config/step-up-values';
import type { TokenRequirements } from '../interfaces/token-requirements.interface';

const KNOWN = new Set<keyof TokenRequirements>(['scopes', 'audience', 'server', 'acrValues', 'maxAge']);
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Checks what `@RequireActiveToken()` was given, when the class is defined
 * (so at boot): types bypass JavaScript callers and loosely typed objects, and
 * a mistake there would quietly weaken the route (`scopes: 'admin'` read as
 * five one-letter scopes, a misspelt `scope` as no scope requirement at all).
 * @throws TypeError naming the requirement
 * @internal
 */
export function validateTokenRequirements(requirements: unknown): TokenRequirements {
  if (typeof requirements !== 'object' || requirements === null || Array.isArray(requirements)) {
    throw new TypeError('@RequireActiveToken() takes an object such as { scopes: ["read:payments"] }.');
  }
  const given = requirements as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !KNOWN.has(key as keyof TokenRequirements));
  if (unknown.length > 0) {
    throw new TypeError(
      `@RequireActiveToken() has unknown requirement(s) ${unknown.map((key) => `"${key}"`).join(', ')}; use scopes, audience, server, acrValues and maxAge.`,
    );
  }
  const { scopes, audience, server, acrValues, maxAge } = given;
  if (
    scopes !== undefined &&
    (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string' && SCOPE_TOKEN.test(scope)))
  ) {
    throw new TypeError(
      '@RequireActiveToken({ scopes }) must be an array of scope names without spaces, e.g. ["read:payments"].',
    );
  }
  const audiences = Array.isArray(audience) ? (audience as unknown[]) : [audience];
  if (
    audience !== undefined &&
    (audiences.length === 0 ||
      !audiences.every((value) => typeof value === 'string' && value.trim().length > 0))
  ) {
    throw new TypeError(
      '@RequireActiveToken({ audience }) must be a non-empty string or a non-empty array of them.',
    );
  }
  if (server !== undefined && (typeof server !== 'string' || server.length === 0)) {
    throw new TypeError('@RequireActiveToken({ server }) must be the name of a registration.');
  }
  const acr = acrValues === undefined ? undefined : readAcrValues(acrValues);
  if (acr && 'problem' in acr) {
    throw new TypeError(`@RequireActiveToken({ acrValues }) ${acr.problem}`);
  }
  const age = maxAge === undefined ? undefined : readMaxAge(maxAge);
  if (age && 'problem' in age) {
    throw new TypeError(`@RequireActiveToken({ maxAge }) ${age.problem}`);
  }
  return given;
}
