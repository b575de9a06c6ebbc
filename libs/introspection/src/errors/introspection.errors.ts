import { INTROSPECTION_ENV_VARIABLES } from '../config/environment-variables';

/**
 * Base class of every non-HTTP error the library throws. Sets `name` to the
 * concrete class name so logs and `instanceof` checks stay readable.
 *
 * Messages are written for the operator and never contain a token, a client
 * secret, a private key or a response body.
 */
export class IntrospectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A module option is missing or invalid. Thrown while the application boots,
 * so a misconfigured API never starts.
 */
export class IntrospectionConfigurationError extends IntrospectionError {
  constructor(
    /** The option at fault, e.g. `endpoint` or `jwtSigningProfile.key`. */
    readonly option: string,
    message: string,
  ) {
    super(`Invalid introspection configuration, option "${option}"${environmentHint(option)}: ${message}`);
  }
}

/**
 * The authorization server gave no answer: connection error, timeout, a 5xx
 * status or 429. The token's state is unknown, so the guard fails closed with
 * 503 and never reads this as "inactive".
 */
export class IntrospectionUnavailableError extends IntrospectionError {
  constructor(
    message: string,
    /** Seconds the server asked us to wait (`Retry-After`), when it sent one. */
    readonly retryAfter?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The endpoint's circuit breaker is open after repeated failures: the
 * endpoint was not called. Answered 503 with `Retry-After` (the rest of the
 * cool-down) like any other outage.
 */
export class IntrospectionCircuitOpenError extends IntrospectionUnavailableError {
  constructor(retryAfter: number) {
    super(
      `The introspection endpoint failed repeatedly; not calling it for ${retryAfter}s (circuit breaker open).`,
      retryAfter,
    );
  }
}

/**
 * The cache store did not confirm an operation that must not silently fail:
 * `IntrospectionService.invalidate()` could not delete a token's entries.
 * The instance that threw no longer uses those entries; other instances
 * sharing the store may, until they expire.
 */
export class IntrospectionCacheError extends IntrospectionError {}

/** Why an {@link IntrospectionResponseError} was raised. */
export type IntrospectionResponseErrorReason =
  /** The answer is not an RFC 7662 introspection response. */
  | 'malformed_response'
  /** The authorization server rejected our client authentication (e.g. `invalid_client`). */
  | 'client_authentication_failed'
  /** The server answered with a status other than 200 that is neither an outage nor about the token. */
  | 'unexpected_status';

/**
 * The authorization server answered, but not with a usable introspection
 * response: a malformed body, or a refusal of our client credentials. This is
 * a server or configuration fault, not a verdict on the token: the guard
 * answers 502 and never 401.
 */
export class IntrospectionResponseError extends IntrospectionError {
  constructor(
    readonly reason: IntrospectionResponseErrorReason,
    message: string,
    /** HTTP status of the answer, when there was one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

function environmentHint(option: string): string {
  const variable = (INTROSPECTION_ENV_VARIABLES as Record<string, string | undefined>)[option];
  return variable ? ` (env ${variable})` : '';
}
