import {
  InvalidBearerRequestException,
  MissingBearerTokenException,
} from '../errors/bearer-token.exceptions';

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** What the guard reads of a request to find its bearer token. */
export interface AuthorizationHeaders {
  /** The `Authorization` header value(s) as the HTTP server parsed them. */
  readonly authorization: string | readonly string[] | undefined;
  /**
   * How many `Authorization` headers the request carried. Node keeps only
   * the first of duplicates, so this is counted from the raw headers.
   */
  readonly count: number;
}

/**
 * Reads the bearer token from an `Authorization` header (RFC 6750 §2.1).
 * The scheme is case-insensitive; the token must match the `b64token` syntax.
 *
 * @throws MissingBearerTokenException (401, no error code) when there is no
 *   header or it uses another scheme
 * @throws InvalidBearerRequestException (400 `invalid_request`) when the
 *   header is malformed, repeated or the token is longer than `maxLength`
 */
export function extractBearerToken(headers: AuthorizationHeaders, maxLength: number): string {
  return extractAccessToken(headers, maxLength, ['bearer']).token;
}

/** An access token and the scheme it came with. */
export interface PresentedToken {
  readonly scheme: 'bearer' | 'dpop';
  readonly token: string;
}

/**
 * Reads the access token of an `Authorization` header with one of `schemes`:
 * `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449 §7.1), which share the
 * `b64token` syntax and the checks of {@link extractBearerToken}.
 * @throws MissingBearerTokenException, InvalidBearerRequestException as extractBearerToken does
 * @internal
 */
export function extractAccessToken(
  headers: AuthorizationHeaders,
  maxLength: number,
  schemes: ReadonlyArray<PresentedToken['scheme']>,
): PresentedToken {
  const { authorization } = headers;
  if (headers.count > 1 || (Array.isArray(authorization) && authorization.length > 1)) {
    throw new InvalidBearerRequestException('The request carries more than one Authorization header.');
  }
  const value: string | undefined = typeof authorization === 'string' ? authorization : authorization?.[0];
  if (typeof value !== 'string' || value === '') {
    throw new MissingBearerTokenException();
  }
  const match = /^(\S+)([\s\S]*)$/.exec(value);
  const scheme = match?.[1].toLowerCase() as PresentedToken['scheme'] | undefined;
  if (!match || scheme === undefined || !schemes.includes(scheme)) {
    // Another scheme (or none we understand): no bearer credentials (RFC 6750 §3.1).
    throw new MissingBearerTokenException();
  }
  const rest = match[2];
  if (!rest.startsWith(' ')) {
    throw new InvalidBearerRequestException('The Authorization header carries no bearer token.');
  }
  const token = rest.replace(/^ +/, '');
  if (token === '') {
    throw new InvalidBearerRequestException('The Authorization header carries no bearer token.');
  }
  if (token.length > maxLength) {
    throw new InvalidBearerRequestException('The bearer token is too long.');
  }
  if (!B64TOKEN.test(token)) {
    throw new InvalidBearerRequestException('The bearer token contains characters RFC 6750 does not allow.');
  }
  return { scheme, token };
}

/** Counts the `Authorization` (or `name`) headers in Node's `rawHeaders` list (name, value, name, value, …). */
export function countAuthorizationHeaders(
  rawHeaders: readonly string[] | undefined,
  name = 'authorization',
): number {
  let count = 0;
  for (let i = 0; rawHeaders && i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) {
      count++;
    }
  }
  return count;
}
