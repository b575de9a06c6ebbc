import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/** How one introspection ended, as reported by `introspection.failed`. */
export type IntrospectionFailureOutcome =
  /** No answer: connection error, timeout, 5xx or 429. */
  | 'unavailable'
  /** The circuit breaker is open: the endpoint was not called. */
  | 'circuit_open'
  /** An answer that is not an RFC 7662 response. */
  | 'malformed_response'
  /** The authorization server refused this API's client credentials. */
  | 'client_authentication_failed'
  /** Another status than 200 that is neither an outage nor about the token. */
  | 'unexpected_status'
  /** Anything else (a custom client-auth strategy throwing, a bug). */
  | 'error';

/**
 * The payload of each event {@link IntrospectionEvents} emits. None carries a
 * token, a credential or a response body.
 */
export interface IntrospectionEventMap {
  /** A call to the introspection endpoint begins (before any retry). */
  'introspection.started': { endpoint: string };
  /** The endpoint answered about the token; `active` is its verdict. */
  'introspection.succeeded': { endpoint: string; durationMs: number; attempts: number; active: boolean };
  /** No usable answer, after every attempt. */
  'introspection.failed': {
    endpoint: string;
    durationMs: number;
    attempts: number;
    outcome: IntrospectionFailureOutcome;
  };
  /** An attempt failed transiently and is retried after `delayMs`. */
  'introspection.retry': { endpoint: string; attempt: number; delayMs: number };
  /** An answer was found in the cache (`stale`: used past `ttl` under `staleIfError`). */
  'cache.hit': { stale: boolean };
  /** No usable answer in the cache. */
  'cache.miss': Record<string, never>;
  /**
   * The cache returned an entry that was not used (a miss follows):
   * `unauthenticated` when its MAC does not check out under the cache secret
   * that would have made it (an entry written by hand or altered, or by an
   * instance with another `cacheSecret` or configuration), `unreadable` when
   * it is not an entry at all.
   */
  'cache.rejected': { reason: 'unauthenticated' | 'unreadable' };
  /** The endpoint's circuit breaker opened after `failures` consecutive failures. */
  'breaker.opened': { endpoint: string; failures: number; cooldownMs: number };
  /** The cool-down is over: one probe request may go through. */
  'breaker.half_opened': { endpoint: string };
  /** A probe succeeded: the endpoint is called normally again. */
  'breaker.closed': { endpoint: string };
}

/** Name of an event of {@link IntrospectionEventMap}. */
export type IntrospectionEventName = keyof IntrospectionEventMap;

/**
 * What the module does, as events: introspection started, succeeded or
 * failed (with duration and outcome), cache hits, misses and rejected entries, circuit breaker
 * transitions. Inject it to export metrics or logs; listeners run
 * synchronously, and one that throws is logged and ignored, never failing a
 * request.
 *
 * @example
 * events.on('introspection.failed', ({ outcome }) => failures.inc({ outcome }));
 */
@Injectable()
export class IntrospectionEvents {
  private readonly logger = new Logger('Introspection');
  private readonly emitter = new EventEmitter();

  constructor() {
    // Metrics, tracing and logging listeners add up; not a leak.
    this.emitter.setMaxListeners(0);
  }

  /** Calls `listener` for every `event` from now on. */
  on<E extends IntrospectionEventName>(
    event: E,
    listener: (payload: IntrospectionEventMap[E]) => void,
  ): this {
    this.emitter.on(event, listener);
    return this;
  }

  /** Stops calling `listener` for `event`. */
  off<E extends IntrospectionEventName>(
    event: E,
    listener: (payload: IntrospectionEventMap[E]) => void,
  ): this {
    this.emitter.off(event, listener);
    return this;
  }

  /**
   * Emits `event` to its listeners.
   * @internal
   */
  emit<E extends IntrospectionEventName>(event: E, payload: IntrospectionEventMap[E]): void {
    if (this.emitter.listenerCount(event) === 0) {
      return;
    }
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (payload: IntrospectionEventMap[E]) => void)(payload);
      } catch (error) {
        // The name only: a listener's message could echo anything.
        this.logger.error(
          `A listener of "${event}" threw ${error instanceof Error ? error.name : typeof error}; ignored.`,
        );
      }
    }
  }
}
