import { inspect } from 'node:util';

/**
 * The error `promise` rejects with; rejects itself when `promise` resolves,
 * so a test that expects a failure cannot pass on a success.
 *
 * @example
 * const error = await rejectionOf(service.introspect(token));
 * expect(error).toBeInstanceOf(IntrospectionUnavailableError);
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    if (!(error instanceof Error)) {
      throw new Error(`Expected an Error, the promise rejected with ${typeof error}.`, { cause: error });
    }
    return error;
  }
  throw new Error(`Expected the promise to reject, it resolved with ${inspect(value, { depth: 2 })}.`);
}
