import { IntrospectionResponseError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { ClientAuthStrategy } from './client-auth-strategy.interface';

/**
 * Adds the strategy's advice ({@link ClientAuthStrategy.rejectionHint}) to an
 * error that reports a rejection of our client credentials; returns any
 * other error unchanged.
 * @internal
 */
export function withRejectionHint(
  error: unknown,
  strategy: ClientAuthStrategy,
  options: ResolvedIntrospectionOptions,
): unknown {
  if (!(error instanceof IntrospectionResponseError) || error.reason !== 'client_authentication_failed') {
    return error;
  }
  const hint = strategy.rejectionHint?.(options);
  return new IntrospectionResponseError(
    error.reason,
    `${error.message} Method: ${options.endpointAuthMethod}${hint ? `; ${hint}` : '.'}`,
    error.status,
  );
}
