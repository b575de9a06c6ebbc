/**
 * Statuses retried once the attempt budget allows: a gateway or an overloaded
 * server in front of the authorization server, not a verdict of the server
 * itself. 500 is not retried (a deterministic bug answers the same again),
 * 429 neither (the server asked us to slow down, RFC 6585 §4).
 */
const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Axios and Node codes of a failed connection or a connection lost before the
 * whole answer arrived. Introspection is read-only (RFC 7662 §2.1), so sending
 * it again is safe.
 */
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ERR_BAD_RESPONSE',
  'ERR_NETWORK',
]);

/** Whether an answer with this HTTP status is worth one more attempt. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Whether a transport failure with this code is worth one more attempt. */
export function isRetryableCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/**
 * Delay before retry number `retry` (1 for the first), with "full jitter":
 * a random time between 0 and `baseMs * 2^(retry-1)`, so that instances
 * failing together do not retry together.
 */
export function backoffDelayMs(retry: number, baseMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * baseMs * 2 ** (retry - 1));
}
