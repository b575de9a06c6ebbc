/**
 * Resolves once `condition` holds, checking every few milliseconds; rejects
 * with `what` when it still does not after `timeoutMs`. For conditions that
 * other processes make true (a message delivered, a connection lost): it
 * bounds the wait, it does not measure it.
 *
 * @example
 * await waitFor('B to go deaf', () => !channel.hearing);
 */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
