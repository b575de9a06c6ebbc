import type { Duration } from '../interfaces/introspection-options.interface';

const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 0.001,
  µs: 0.001, // U+00B5 MICRO SIGN
  μs: 0.001, // U+03BC GREEK SMALL LETTER MU, which Go accepts too
  ns: 0.000_001,
};

// Go's time.ParseDuration grammar, which Couper's `ttl` follows: an optional
// sign and one or more decimal numbers each with a unit, e.g. "1m30s".
const DURATION = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|μs|ns))+$/;
const SEGMENT = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)/g;
const PLAIN_SECONDS = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses a {@link Duration} into milliseconds: a number (or a numeric
 * string) counts seconds; a string is read as a Go duration (`"1m30s"`).
 *
 * @returns the duration in milliseconds, or `undefined` when it is not a duration
 * @example parseDuration('1m30s') // 90000
 */
export function parseDuration(value: Duration): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value * 1000 : undefined;
  }
  if (typeof value !== 'string') {
    return undefined;
  }
  const text = value.trim();
  if (PLAIN_SECONDS.test(text)) {
    return Number(text) * 1000;
  }
  const match = DURATION.exec(text);
  if (!match) {
    return undefined;
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(SEGMENT)) {
    total += Number(amount) * UNIT_MS[unit];
  }
  return match[1] === '-' ? -total : total;
}
