import type { Clock } from '../interfaces/clock.interface';
import { IntrospectionCircuitOpenError } from '../errors/introspection.errors';

/** State of a {@link CircuitBreaker}. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** What a {@link CircuitBreaker} reports when it changes state. */
export interface CircuitBreakerListener {
  opened(failures: number): void;
  halfOpened(): void;
  closed(): void;
}

/**
 * A consecutive-failure circuit breaker for one endpoint, on the module's
 * clock. Closed: calls go through, failures are counted. After `threshold`
 * consecutive failures it opens: calls are refused at once for `cooldownMs`.
 * Then one probe call goes through (half-open); its success closes the
 * breaker, its failure opens it again.
 * @internal
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly clock: Clock,
    private readonly listener: CircuitBreakerListener,
  ) {}

  /** The current state, moving from open to half-open once the cool-down is over. */
  get current(): CircuitState {
    if (this.state === 'open' && this.clock.now() >= this.openUntil) {
      this.state = 'half_open';
      this.listener.halfOpened();
    }
    return this.state;
  }

  /**
   * Asks to make one call. Pair it with exactly one of {@link succeeded},
   * {@link failed} or {@link released}.
   * @throws IntrospectionCircuitOpenError when open, or half-open with the probe under way
   */
  acquire(): void {
    const state = this.current;
    if (state === 'closed') {
      return;
    }
    if (state === 'half_open' && !this.probing) {
      this.probing = true;
      return;
    }
    throw new IntrospectionCircuitOpenError(this.retryAfterSeconds());
  }

  /** The call got an answer from the endpoint. */
  succeeded(): void {
    this.failures = 0;
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.probing = false;
      this.listener.closed();
    }
  }

  /** The call failed because of the endpoint or the transport. */
  failed(): void {
    this.failures++;
    if (this.state === 'half_open' || (this.state === 'closed' && this.failures >= this.threshold)) {
      this.state = 'open';
      this.probing = false;
      this.openUntil = this.clock.now() + this.cooldownMs;
      this.listener.opened(this.failures);
    }
  }

  /** The call ended for a reason that says nothing about the endpoint. */
  released(): void {
    // A probe that proved nothing: let the next call probe.
    this.probing = false;
  }

  private retryAfterSeconds(): number {
    // Half-open with a probe under way: its outcome is due within the deadline.
    return Math.max(1, Math.ceil((this.openUntil - this.clock.now()) / 1000));
  }
}
