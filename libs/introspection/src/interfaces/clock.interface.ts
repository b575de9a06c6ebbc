/**
 * The module's source of time, in milliseconds since the epoch. Provided under
 * `INTROSPECTION_CLOCK`; replace it in tests to move time without sleeping.
 */
export interface Clock {
  /** The current time in milliseconds since the epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };
