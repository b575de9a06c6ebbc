import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { duplicateTopLevelMember } from './duplicate-members';

/** The parts of an HTTP answer from the introspection endpoint that are read. */
export interface IntrospectionHttpResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as text. */
  readonly body: string;
}

const STRING_MEMBERS = ['scope', 'client_id', 'username', 'token_type', 'sub', 'iss', 'jti'] as const;
const NUMERIC_DATE_MEMBERS = ['exp', 'iat', 'nbf'] as const;
/** 9999-12-31T23:59:59Z in seconds: the latest plausible NumericDate. */
const MAX_NUMERIC_DATE = 253_402_300_799;
const KNOWN_MEMBERS = ['active', 'aud', 'cnf', ...STRING_MEMBERS, ...NUMERIC_DATE_MEMBERS] as const;

/**
 * Turns the authorization server's HTTP answer into a result, strictly:
 * only HTTP 200 with a JSON object whose `active` is a JSON boolean is an
 * answer (RFC 7662 §2.2). Everything else throws; nothing is ever read as
 * "inactive" by default, except an error that blames the token itself.
 *
 * @throws IntrospectionUnavailableError for 5xx and 429 (no answer)
 * @throws IntrospectionResponseError for anything else that is not an answer
 */
export function parseIntrospectionResponse(response: IntrospectionHttpResponse): IntrospectionResult {
  const { status } = response;
  if (status === 200) {
    assertJsonMediaType(response.headers['content-type']);
    return parseJsonObject(response.body);
  }
  if (status === 429 || status >= 500) {
    throw new IntrospectionUnavailableError(
      `The introspection endpoint answered HTTP ${status}.`,
      parseRetryAfter(response.headers['retry-after']),
    );
  }
  const error = oauthErrorCode(response.body);
  // oidc-provider (and others) answer 400 unsupported_token_type for tokens
  // they cannot even parse, e.g. any JWT-shaped string. That is a verdict on
  // the token: reading it as an outage would let anyone turn garbage into 5xx.
  if (status === 400 && error === 'unsupported_token_type') {
    return inactive({ active: false });
  }
  if (status === 401 || error === 'invalid_client' || error === 'unauthorized_client') {
    throw new IntrospectionResponseError(
      'client_authentication_failed',
      `The authorization server rejected this API's client authentication (HTTP ${status}${error ? `, error "${error}"` : ''}); check clientId, the credentials and endpointAuthMethod.`,
      status,
    );
  }
  if (status >= 300 && status < 400) {
    throw new IntrospectionResponseError(
      'unexpected_status',
      `The introspection endpoint answered with a redirect (HTTP ${status}); redirects are not followed, configure the final URL as endpoint.`,
      status,
    );
  }
  throw new IntrospectionResponseError(
    'unexpected_status',
    `The introspection endpoint answered HTTP ${status}${error ? ` with error "${error}"` : ''} instead of 200.`,
    status,
  );
}

/**
 * One rule for both modes: the answer is taken only in the media type it is
 * defined in. RFC 7662 §2.2 answers `application/json` (RFC 9701 answers
 * `application/token-introspection+jwt`, checked by its verifier); a 200
 * labelled `text/html`, or not labelled, is a proxy's or an error page's, not
 * the authorization server's answer, whatever its body looks like.
 */
function assertJsonMediaType(contentType: string | undefined): void {
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw malformed(
      mediaType
        ? `its media type is not application/json`
        : 'it has no Content-Type (application/json expected)',
    );
  }
}

function parseJsonObject(body: string): IntrospectionResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw malformed('the body is not JSON');
  }
  const claims = parseIntrospectionClaims(value);
  const duplicate = duplicateTopLevelMember(body);
  if (duplicate !== undefined) {
    // The member's name only if it is one we know: any other could be anything.
    throw malformed(
      `a member occurs twice${(KNOWN_MEMBERS as readonly string[]).includes(duplicate) ? ` ("${duplicate}")` : ''}`,
    );
  }
  return claims;
}

/**
 * Validates a parsed introspection response object (RFC 7662 §2.2) into a
 * result, with the same strict rules as {@link parseIntrospectionResponse}.
 *
 * @throws IntrospectionResponseError when it is not a valid response object
 */
export function parseIntrospectionClaims(value: unknown): IntrospectionResult {
  if (!isJsonObject(value)) {
    throw malformed('the body is not a JSON object');
  }
  return toResult(value);
}

function toResult(claims: Record<string, unknown>): IntrospectionResult {
  if (typeof claims.active !== 'boolean') {
    throw malformed('"active" is missing or not a JSON boolean');
  }
  // RFC 7662 §2.2: an inactive token carries no further information, whatever
  // else the body says; nothing else is read or validated.
  if (!claims.active) {
    return inactive(claims);
  }
  for (const member of STRING_MEMBERS) {
    if (claims[member] !== undefined && typeof claims[member] !== 'string') {
      throw malformed(`"${member}" is not a string`);
    }
  }
  for (const member of NUMERIC_DATE_MEMBERS) {
    const value = claims[member];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw malformed(`"${member}" is not a number`);
    }
    // NumericDate is seconds (RFC 7519 §2). Past 9999-12-31 it is almost
    // surely milliseconds (an authorization server bug): read as seconds, an
    // exp of now in milliseconds lies 55,000 years ahead and never expires.
    if (value !== undefined && value > MAX_NUMERIC_DATE) {
      throw malformed(`"${member}" is not a plausible NumericDate (seconds since 1970)`);
    }
  }
  const { cnf } = claims;
  if (cnf !== undefined && !isJsonObject(cnf)) {
    throw malformed('"cnf" is not a JSON object');
  }
  const scope = claims.scope as string | undefined;
  return {
    active: true,
    scope,
    scopes: scope ? scope.split(' ').filter(Boolean) : [],
    clientId: claims.client_id as string | undefined,
    username: claims.username as string | undefined,
    tokenType: claims.token_type as string | undefined,
    exp: claims.exp as number | undefined,
    iat: claims.iat as number | undefined,
    nbf: claims.nbf as number | undefined,
    sub: claims.sub as string | undefined,
    aud: audience(claims.aud),
    iss: claims.iss as string | undefined,
    jti: claims.jti as string | undefined,
    // Only when sent: most answers have none, and a result without it is a bearer token's.
    ...(cnf === undefined ? {} : { cnf }),
    claims,
  };
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function inactive(claims: Record<string, unknown>): IntrospectionResult {
  return { active: false, scopes: [], aud: [], claims };
}

function audience(value: unknown): string[] {
  if (value === undefined) {
    return [];
  }
  if (typeof value === 'string') {
    return [value];
  }
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) {
    return value;
  }
  throw malformed('"aud" is neither a string nor an array of strings');
}

// Error codes registered for OAuth endpoints (RFC 6749 §5.2, RFC 7009 §2.2.1,
// RFC 6750 §3.1). Only these are read from a body and named in messages: any
// other string could be anything, the token included.
const KNOWN_ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
  'invalid_token',
  'insufficient_scope',
  'access_denied',
  'server_error',
  'temporarily_unavailable',
]);

/**
 * The `error` code of an OAuth error response body (RFC 6749 §5.2), when it
 * is JSON and the code is one registered for OAuth endpoints; `undefined` otherwise.
 * @internal
 */
export function oauthErrorCode(body: string): string | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null && 'error' in value) {
      const { error } = value;
      return typeof error === 'string' && KNOWN_ERROR_CODES.has(error) ? error : undefined;
    }
  } catch {
    // Not JSON: no error code to read.
  }
  return undefined;
}

// The three HTTP-date forms of RFC 9110 §5.6.7.
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`,
);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} (?:\\d{2}| \\d) ${TIME} \\d{4}$`);

/**
 * The longest wait passed on as `Retry-After`, in seconds: one hour. An
 * outage of the authorization server is worth retrying within the hour, and a
 * longer value, or 1e24 from a broken server, would only make well-behaved
 * clients give up on a token that may work again in a minute.
 * @internal
 */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * `seconds` as `Retry-After` delay seconds (RFC 9110 §10.2.3, `1*DIGIT`): a
 * whole number, rounded up, between 0 and {@link MAX_RETRY_AFTER_SECONDS};
 * `undefined` when it is not a number at all.
 * @internal
 */
export function clampRetryAfter(seconds: number | undefined): number | undefined {
  if (seconds === undefined || Number.isNaN(seconds)) {
    return undefined;
  }
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)));
}

/**
 * Seconds to wait from a `Retry-After` header (RFC 9110 §10.2.3): delay
 * seconds or an HTTP date, at most {@link MAX_RETRY_AFTER_SECONDS}.
 * `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return clampRetryAfter(Number(text));
  }
  // Only the three HTTP-date forms (RFC 9110 §5.6.7): Date.parse alone would
  // read almost anything as some date, and asctime as local time.
  let date: number | undefined;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) {
    date = Date.parse(text);
  } else if (ASCTIME_DATE.test(text)) {
    date = Date.parse(`${text} GMT`);
  }
  return date === undefined ? undefined : clampRetryAfter((date - now) / 1000);
}

function malformed(detail: string): IntrospectionResponseError {
  return new IntrospectionResponseError(
    'malformed_response',
    `The introspection endpoint's answer is not a valid RFC 7662 response: ${detail}.`,
    200,
  );
}
