import { parseDuration } from './duration';

// The step-up requirements (RFC 9470) are given both to the module
// (`acrValues`, `maxAge`) and to `@RequireActiveToken()`: one reading of
// each, with the problem in words for the caller to put in its own error.

// RFC 9470 §3: acr_values is a space-separated list inside a quoted-string,
// so one value has neither spaces nor what the quotes would need escaped.
const ACR_VALUE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * `value` as a list of `acr` values, or the problem with it.
 * @internal
 */
export function readAcrValues(value: unknown): { values: string[] } | { problem: string } {
  if (!Array.isArray(value) || value.length === 0) {
    return { problem: 'must be a non-empty array of acr values, e.g. ["urn:example:mfa"].' };
  }
  if (!value.every((item) => typeof item === 'string' && ACR_VALUE.test(item))) {
    return {
      problem: 'must hold acr values of printable ASCII without spaces, double quotes or backslashes.',
    };
  }
  return { values: value as string[] };
}

/**
 * `value` (a {@link Duration}) as a whole number of seconds of at least 0,
 * as `max_age` is written in a challenge (RFC 9470 §3), or the problem with it.
 * @internal
 */
export function readMaxAge(value: unknown): { seconds: number } | { problem: string } {
  const ms = typeof value === 'number' || typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined || ms < 0) {
    return { problem: 'must be a duration of at least 0, e.g. "5m" or 300 (seconds).' };
  }
  if (!Number.isInteger(ms / 1000)) {
    return { problem: 'must be a whole number of seconds: max_age is sent in seconds (RFC 9470 §3).' };
  }
  return { seconds: ms / 1000 };
}
