/**
 * Fakes `Date` only, so that time-dependent code can be moved forward with
 * `jest.setSystemTime()` while servers, sockets and timers keep real time.
 * Undo with `jest.useRealTimers()`.
 */
export function useFakeDate(): void {
  jest.useFakeTimers({
    now: Date.now(),
    // Date keeps moving with real time between jumps.
    advanceTimers: true,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}
