import {
  IntrospectionCircuitOpenError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import type { IntrospectionFailureOutcome } from './introspection-events';

/**
 * The outcome `introspection.failed` reports for `error`, by its class.
 * @internal
 */
export function failureOutcome(error: unknown): IntrospectionFailureOutcome {
  if (error instanceof IntrospectionCircuitOpenError) {
    return 'circuit_open';
  }
  if (error instanceof IntrospectionUnavailableError) {
    return 'unavailable';
  }
  if (error instanceof IntrospectionResponseError) {
    return error.reason;
  }
  return 'error';
}
