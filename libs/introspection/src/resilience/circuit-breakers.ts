import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionEvents } from '../events/introspection-events';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import { CircuitBreaker } from './circuit-breaker';

/**
 * One {@link CircuitBreaker} per endpoint URL the module calls, created on
 * first use with the configured threshold and cool-down. `undefined` when
 * the breaker is disabled (`circuitBreakerThreshold: 0`).
 * @internal
 */
@Injectable()
export class CircuitBreakers {
  private readonly logger = new Logger('Introspection');
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
    private readonly events: IntrospectionEvents,
  ) {}

  /** The breaker of `endpoint`. */
  for(endpoint: string): CircuitBreaker | undefined {
    const { circuitBreakerThreshold: threshold, circuitBreakerCooldownMs: cooldownMs } = this.options;
    if (threshold === 0) {
      return undefined;
    }
    let breaker = this.breakers.get(endpoint);
    if (!breaker) {
      // The URL's origin and path only: a query string could carry anything.
      const shown = displayUrl(endpoint);
      breaker = new CircuitBreaker(threshold, cooldownMs, this.clock, {
        opened: (failures) => {
          this.logger.warn(
            `Circuit breaker for ${shown} opened after ${failures} consecutive failures; answering 503 for ${cooldownMs / 1000}s.`,
          );
          this.events.emit('breaker.opened', { endpoint, failures, cooldownMs });
        },
        halfOpened: () => this.events.emit('breaker.half_opened', { endpoint }),
        closed: () => {
          this.logger.log(`Circuit breaker for ${shown} closed; the endpoint answers again.`);
          this.events.emit('breaker.closed', { endpoint });
        },
      });
      this.breakers.set(endpoint, breaker);
    }
    return breaker;
  }
}

function displayUrl(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.origin}${url.pathname}`;
}
