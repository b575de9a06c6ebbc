import { HttpException, Logger } from '@nestjs/common';
import {
  AuthorizationServerErrorException,
  AuthorizationServerUnavailableException,
  BearerTokenException,
} from '../errors/bearer-token.exceptions';
import {
  IntrospectionCircuitOpenError,
  IntrospectionConfigurationError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import { formatWwwAuthenticate } from '../errors/www-authenticate';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { clampRetryAfter } from '../result/introspection-response.parser';

/**
 * The HTTP answer for whatever stopped the guard: an `HttpException` as it
 * is; the authorization server unable to answer, 503 (fail closed); an
 * unusable answer, 502. Anything unexpected (a custom strategy throwing, a
 * bug) still fails closed with 503, logged by name only, since a message
 * could echo request data.
 */
export function toGuardException(error: unknown, logger: Logger): HttpException {
  if (error instanceof HttpException) {
    return error;
  }
  if (error instanceof IntrospectionCircuitOpenError) {
    // Logged once when the breaker opens, not once per refused request.
    return new AuthorizationServerUnavailableException(error.retryAfter);
  }
  if (error instanceof IntrospectionUnavailableError) {
    logger.warn(`Token introspection unavailable, answering 503: ${error.message}`);
    return new AuthorizationServerUnavailableException(error.retryAfter);
  }
  if (error instanceof IntrospectionConfigurationError) {
    // A route names a registration that does not exist: fail closed, say why.
    logger.error(`Token introspection misconfigured, answering 503: ${error.message}`);
    return new AuthorizationServerUnavailableException();
  }
  if (error instanceof IntrospectionResponseError) {
    logger.error(`Token introspection failed, answering 502: ${error.message}`);
    return new AuthorizationServerErrorException();
  }
  logger.error(
    `Unexpected error during token introspection, answering 503: ${error instanceof Error ? error.name : typeof error}`,
  );
  return new AuthorizationServerUnavailableException();
}

/**
 * The response headers that go with `exception`: the RFC 6750
 * `WWW-Authenticate` challenge (with the registration's `realm`) for bearer
 * token errors, naming the protected resource metadata document when it is
 * served (RFC 9728 §5.1), a bounded `Retry-After` for 503s.
 */
export function failureHeaders(
  exception: HttpException,
  options: ResolvedIntrospectionOptions,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (exception instanceof BearerTokenException) {
    headers['WWW-Authenticate'] = formatWwwAuthenticate({
      realm: options.realm,
      ...exception.challenge(),
      // RFC 9728 §5.1: where the client learns how to get a token for this API.
      resourceMetadata: options.resourceMetadata?.url,
    });
  } else if (exception instanceof AuthorizationServerUnavailableException) {
    // Whatever set it (a custom strategy's error included): whole seconds, bounded.
    const retryAfter = clampRetryAfter(exception.retryAfter);
    if (retryAfter !== undefined) {
      headers['Retry-After'] = String(retryAfter);
    }
  }
  return headers;
}
