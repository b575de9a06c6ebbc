/**
 * Runs `fn`, expecting it to throw an error of class `type`, and returns that
 * error; fails when nothing is thrown. The synchronous counterpart of
 * `rejectionOf`.
 *
 * @example
 * const error = thrown(IntrospectionConfigurationError, () => resolve({ timeout: 'soon' }));
 */
export function thrown<T extends Error>(type: abstract new (...args: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error(`expected ${type.name}, but nothing was thrown`);
}
