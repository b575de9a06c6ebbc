import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';

/**
 * Whether a failed introspection counts against the endpoint's circuit
 * breaker: only what says the endpoint is down or broken for every caller.
 *
 * - Counted: no answer (transport error, timeout, 5xx, 429), a 200 that is not
 *   a usable answer (malformed, too large, a JWT failing verification), and
 *   a rejection of our client authentication (401, `invalid_client`). The
 *   latter is about this API's credentials, the same for every token, so a
 *   caller cannot provoke it with a token of their choice (RFC 6749 §5.2,
 *   RFC 7662 §2.3); counting it stops a misconfigured API from hammering the
 *   server with failing authentications, which some servers answer by
 *   locking the client. Renewable credentials had their one renewal already.
 * - Not counted: any other 3xx or 4xx (400 `invalid_request`, 403, 404, 413,
 *   414, 431, a redirect). The server, or a gateway or WAF in front of it,
 *   answered about this request, e.g. a token too long or suspicious: it is
 *   up. Counted, five garbage tokens would open the breaker and lock every
 *   user out for the cool-down, again and again.
 * - Not counted either: errors that are no answer from the endpoint at all
 *   (a custom strategy throwing, a bug).
 * @internal
 */
export function isEndpointFailure(error: unknown): boolean {
  if (error instanceof IntrospectionUnavailableError) {
    return true;
  }
  if (!(error instanceof IntrospectionResponseError)) {
    return false;
  }
  if (error.reason !== 'unexpected_status') {
    return true;
  }
  return error.status === undefined || error.status < 300 || error.status >= 500;
}
