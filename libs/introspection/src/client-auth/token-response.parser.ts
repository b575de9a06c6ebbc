import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
import {
  IntrospectionHttpResponse,
  oauthErrorCode,
  parseRetryAfter,
} from '../result/introspection-response.parser';

/**
 * An access token from the token endpoint.
 * @internal
 */
export interface TokenEndpointToken {
  readonly accessToken: string;
  /** Lifetime from `expires_in`, in milliseconds; `undefined` when the server did not say. */
  readonly expiresInMs?: number;
}

// RFC 6750 §2.1 b64token: what may follow "Bearer " in a header.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads the token endpoint's answer to a `client_credentials` request
 * (RFC 6749 §§4.4.3, 5.1, 5.2). Error messages never quote the body, which
 * may hold the token.
 *
 * @throws IntrospectionUnavailableError for 5xx and 429 (no answer)
 * @throws IntrospectionResponseError for a refusal or a malformed answer
 * @internal
 */
export function parseTokenResponse(
  response: IntrospectionHttpResponse,
  tokenEndpointAuthMethod: string,
): TokenEndpointToken {
  const { status } = response;
  if (status === 429 || status >= 500) {
    throw new IntrospectionUnavailableError(
      `The token endpoint answered HTTP ${status}.`,
      parseRetryAfter(response.headers['retry-after']),
    );
  }
  if (status !== 200) {
    throw refusal(status, oauthErrorCode(response.body), tokenEndpointAuthMethod);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    throw malformed('the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw malformed('the body is not a JSON object');
  }
  const {
    access_token: accessToken,
    token_type: tokenType,
    expires_in: expiresIn,
  } = body as Record<string, unknown>;
  if (typeof accessToken !== 'string' || !B64TOKEN.test(accessToken)) {
    throw malformed('"access_token" is missing or not a bearer token');
  }
  // RFC 6749 §7.1: the type is matched case-insensitively; only Bearer can
  // be sent as "Authorization: Bearer" (a DPoP-bound token would be refused).
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw malformed('"token_type" is not Bearer');
  }
  if (
    expiresIn !== undefined &&
    (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0)
  ) {
    throw malformed('"expires_in" is not a positive number');
  }
  return { accessToken, expiresInMs: expiresIn === undefined ? undefined : expiresIn * 1000 };
}

function refusal(status: number, error: string | undefined, method: string): IntrospectionResponseError {
  const answered = `HTTP ${status}${error ? `, error "${error}"` : ''}`;
  if (status === 401 || error === 'invalid_client') {
    return new IntrospectionResponseError(
      'client_authentication_failed',
      `The token endpoint rejected this API's client authentication (${answered}); check clientId and the credentials of tokenEndpointAuthMethod ${method}.`,
      status,
    );
  }
  if (status >= 300 && status < 400) {
    return new IntrospectionResponseError(
      'unexpected_status',
      `The token endpoint answered with a redirect (HTTP ${status}); redirects are not followed, configure the final URL as tokenEndpoint.`,
      status,
    );
  }
  return new IntrospectionResponseError(
    'unexpected_status',
    `The token endpoint refused the client_credentials request (${answered}); check that the client may use the client_credentials grant, and tokenScope.`,
    status,
  );
}

function malformed(detail: string): IntrospectionResponseError {
  return new IntrospectionResponseError(
    'malformed_response',
    `The token endpoint's answer is not a valid access token response: ${detail}.`,
    200,
  );
}
