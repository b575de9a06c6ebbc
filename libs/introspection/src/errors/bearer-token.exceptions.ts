import { HttpException, HttpStatus } from '@nestjs/common';
import type { BearerChallenge } from './www-authenticate';

/** Error codes of RFC 6750 §3.1, and RFC 9470's step-up code. */
export type BearerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  /** RFC 9470 §3. */
  | 'insufficient_user_authentication';

/**
 * Base of the HTTP exceptions that answer a request with a Bearer challenge
 * (RFC 6750 §3). The guard turns {@link challenge} into the
 * `WWW-Authenticate` header; the body repeats `error`, `error_description`
 * and `scope` as JSON.
 */
export class BearerTokenException extends HttpException {
  constructor(
    status: HttpStatus,
    /** RFC 6750 error code; absent when the request carried no credentials (§3.1). */
    readonly error: BearerErrorCode | undefined,
    /** Human-readable explanation; never contains the token. */
    readonly errorDescription: string,
    /** Scopes required, for `insufficient_scope`. */
    readonly scope?: string,
  ) {
    super(
      {
        statusCode: status,
        ...(error ? { error } : {}),
        error_description: errorDescription,
        ...(scope ? { scope } : {}),
      },
      status,
    );
  }

  /** The challenge for `WWW-Authenticate`, to be completed with the realm. */
  challenge(): BearerChallenge {
    return this.error
      ? { error: this.error, errorDescription: this.errorDescription, scope: this.scope }
      : {};
  }
}

/** 401 without an error code: no bearer token in the request (RFC 6750 §3.1). */
export class MissingBearerTokenException extends BearerTokenException {
  constructor() {
    super(HttpStatus.UNAUTHORIZED, undefined, 'A bearer token is required.');
  }
}

/** 400 `invalid_request`: the Authorization header is malformed (RFC 6750 §3.1). */
export class InvalidBearerRequestException extends BearerTokenException {
  constructor(description = 'The Authorization header is malformed.') {
    super(HttpStatus.BAD_REQUEST, 'invalid_request', description);
  }
}

/** 401 `invalid_token`: inactive, expired, not yet valid or not for this audience. */
export class InvalidTokenException extends BearerTokenException {
  constructor(description = 'The access token is not active.') {
    super(HttpStatus.UNAUTHORIZED, 'invalid_token', description);
  }
}

/** 403 `insufficient_scope`, with the scopes the route requires. */
export class InsufficientScopeException extends BearerTokenException {
  constructor(requiredScopes: readonly string[]) {
    super(
      HttpStatus.FORBIDDEN,
      'insufficient_scope',
      'The access token lacks a required scope.',
      requiredScopes.join(' '),
    );
  }
}

/**
 * 401 `insufficient_user_authentication` (RFC 9470 §3): the user behind the
 * token authenticated in a way, or at a time, the route does not accept.
 * The challenge tells the client what to ask the authorization server for
 * (`acr_values`, `max_age`); `scope` is set too when the token also lacks a
 * required scope, so that one new token can satisfy both.
 */
export class InsufficientUserAuthenticationException extends BearerTokenException {
  constructor(
    description: string,
    /** The accepted `acr` values, when the route requires some. */
    readonly acrValues: readonly string[] = [],
    /** The longest accepted authentication age in seconds, when the route sets one. */
    readonly maxAge?: number,
    requiredScopes: readonly string[] = [],
  ) {
    super(
      HttpStatus.UNAUTHORIZED,
      'insufficient_user_authentication',
      description,
      requiredScopes.length > 0 ? requiredScopes.join(' ') : undefined,
    );
  }

  /** The body: the base members plus `acr_values` and `max_age`, as in the challenge. */
  override getResponse(): Record<string, unknown> {
    const { acrValues, maxAge } = this.challenge();
    return {
      ...(super.getResponse() as Record<string, unknown>),
      ...(acrValues === undefined ? {} : { acr_values: acrValues }),
      ...(maxAge === undefined ? {} : { max_age: maxAge }),
    };
  }

  override challenge(): BearerChallenge {
    return {
      ...super.challenge(),
      ...(this.acrValues.length > 0 ? { acrValues: this.acrValues.join(' ') } : {}),
      ...(this.maxAge === undefined ? {} : { maxAge: this.maxAge }),
    };
  }
}

/**
 * 503: the authorization server could not answer, so the token's state is
 * unknown. Fail closed; clients should retry, not discard their token.
 */
export class AuthorizationServerUnavailableException extends HttpException {
  constructor(
    /** Seconds to wait, passed on as `Retry-After` when the server sent one. */
    readonly retryAfter?: number,
  ) {
    super(
      {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'temporarily_unavailable',
        error_description: 'The authorization server is unavailable; try again later.',
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

/**
 * 502: the authorization server gave an unusable answer or refused this
 * API's client credentials. A server or configuration fault, never the token's.
 */
export class AuthorizationServerErrorException extends HttpException {
  constructor() {
    super(
      {
        statusCode: HttpStatus.BAD_GATEWAY,
        error: 'server_error',
        error_description: 'The authorization server gave an invalid answer.',
      },
      HttpStatus.BAD_GATEWAY,
    );
  }
}
