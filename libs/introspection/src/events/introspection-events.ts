import { Injectable, Logger } from '@nestjs/common';

/** How often a failing listener is reported in the log, at most. */
const LISTENER_REPORT_INTERVAL_MS = 60_000;

/** What is known of one failing listener since it was last reported. */
interface ListenerFailures {
  /** When it was last reported (`performance.now()`). */
  reportedAt: number;
  /** Failures since, not reported yet. */
  unreported: number;
}

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
   * A lookup of the same token is already under way: this call shares its
   * answer (or its error) instead of looking up and introspecting again
   * (single flight). No `cache.hit` nor `cache.miss` follows for this call.
   */
  'cache.joined': Record<string, never>;
  /**
   * The cache store failed (`error`) or did not answer within `cacheTimeout`
   * (`timeout`): it is bypassed for `retryInMs`, then tried again.
   */
  'cache.store_bypassed': { reason: 'error' | 'timeout'; retryInMs: number };
  /** The store answers again after a bypass: it is used again. */
  'cache.store_restored': Record<string, never>;
  /**
   * The cache returned an entry that was not used (a miss follows):
   * `unauthenticated` when its MAC does not check out under the cache secret
   * that would have made it (an entry written by hand or altered, or by an
   * instance with another `cacheSecret` or configuration), `unreadable` when
   * it is not an entry at all.
   */
  'cache.rejected': { reason: 'unauthenticated' | 'unreadable' };
  /**
   * A cut-off marker (`invalidateWhere`, a security event) was applied:
   * made here (`self`), pushed by another instance (`peer`), or loaded from
   * Redis on (re)connection (`store`).
   */
  'revocation.cutoff': { origin: 'self' | 'peer' | 'store' };
  /** A token's entry was evicted from memory, by this instance (`self`) or another (`peer`). */
  'revocation.evicted': { origin: 'self' | 'peer' | 'store' };
  /**
   * The revocation channel (Redis pub/sub, with `cache.url`) started or
   * stopped hearing the other instances; while it does not, answers are not
   * served from memory.
   */
  'revocation.channel': { hearing: boolean };
  /**
   * With `cache.coalescing: 'distributed'`, a lookup waited for another
   * instance's: `shared`, its answer was read from the cache; `unanswered`,
   * the lock was released without one (its lookup failed or the answer is not
   * cached) and this instance introspects; `deadline`, the wait reached its
   * deadline and this instance introspects.
   */
  'coalescing.waited': { outcome: 'shared' | 'unanswered' | 'deadline' };
  /**
   * The Redis of `cache.coalescing: 'distributed'` failed (`error`) or did not
   * answer within `cache.timeout` (`timeout`): lookups are coalesced per
   * instance only for `retryInMs`, then Redis is tried again.
   */
  'coalescing.degraded': { reason: 'error' | 'timeout'; retryInMs: number };
  /** That Redis answers again after `coalescing.degraded`: lookups are coalesced across instances again. */
  'coalescing.restored': Record<string, never>;
  /** The endpoint's circuit breaker opened after `failures` consecutive failures. */
  'breaker.opened': { endpoint: string; failures: number; cooldownMs: number };
  /** The cool-down is over: one probe request may go through. */
  'breaker.half_opened': { endpoint: string };
  /** A probe succeeded: the endpoint is called normally again. */
  'breaker.closed': { endpoint: string };
  /**
   * A pushed Security Event Token (RFC 8935) was verified and its events
   * applied (202): `events` lists the event type URIs it carried, applied or
   * ignored. No subject, no `jti`.
   */
  'security_event.accepted': { events: string[] };
  /**
   * A pushed SET was refused: `reason` is the RFC 8935 §2.4 error code
   * answered with 400 (401 for `authentication_failed`), or `unavailable` when the keys could not be fetched
   * or an event could not be applied (503, the transmitter retries).
   */
  'security_event.refused': { reason: SecurityEventRefusal };
  /**
   * An event of an accepted SET was not applied: its type is not one the
   * receiver handles (`unknown_event`), its subject has no form that maps to
   * a revocation (`unsupported_subject`), or its `iss_sub` names another
   * issuer (`foreign_subject`).
   */
  'security_event.ignored': { eventType: string; reason: SecurityEventIgnoredReason };
}

/** Why a pushed SET was refused, as `security_event.refused` reports it. */
export type SecurityEventRefusal =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'
  | 'unavailable';

/** Why an event of an accepted SET was not applied, as `security_event.ignored` reports it. */
export type SecurityEventIgnoredReason = 'unknown_event' | 'unsupported_subject' | 'foreign_subject';

/** Name of an event of {@link IntrospectionEventMap}. */
export type IntrospectionEventName = keyof IntrospectionEventMap;

/**
 * A listener of `event`; what it returns is ignored. It may be `async`: its
 * promise is not awaited, and its rejection is logged and ignored like a
 * throw.
 */
export type IntrospectionEventListener<E extends IntrospectionEventName> = (
  payload: IntrospectionEventMap[E],
) => unknown;

/**
 * What the module does, as events: introspection started, succeeded or
 * failed (with duration and outcome), cache hits, misses and rejected entries, circuit breaker
 * transitions. Inject it to export metrics or logs; listeners are called
 * synchronously, in order. One that throws, or returns a promise that
 * rejects, never fails a request nor becomes an unhandled rejection: the
 * others are still called, and the failure is logged (the error's name only,
 * never the payload) at most once a minute per listener.
 *
 * @example
 * events.on('introspection.failed', ({ outcome }) => failures.inc({ outcome }));
 */
@Injectable()
export class IntrospectionEvents {
  private readonly logger = new Logger('Introspection');
  /**
   * Listeners by event, each list replaced (never changed) when one is added
   * or removed: `emit`, which runs on every request, walks a list without
   * copying it, and a listener added while an event is emitted is not
   * called for that event.
   */
  private readonly listeners = new Map<string, readonly ((payload: never) => unknown)[]>();
  private readonly failures = new WeakMap<object, ListenerFailures>();

  /** Calls `listener` for every `event` from now on (again, if it is added twice). */
  on<E extends IntrospectionEventName>(event: E, listener: IntrospectionEventListener<E>): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  /** Stops calling `listener` for `event` (once, if it was added twice). */
  off<E extends IntrospectionEventName>(event: E, listener: IntrospectionEventListener<E>): this {
    const current = this.listeners.get(event) ?? [];
    const index = current.lastIndexOf(listener);
    if (index >= 0) {
      const rest = current.filter((_, position) => position !== index);
      if (rest.length > 0) {
        this.listeners.set(event, rest);
      } else {
        this.listeners.delete(event);
      }
    }
    return this;
  }

  /**
   * Emits `event` to its listeners. Never throws, never leaves a rejected
   * promise unhandled.
   * @internal
   */
  emit<E extends IntrospectionEventName>(event: E, payload: IntrospectionEventMap[E]): void {
    const listeners = this.listeners.get(event);
    if (listeners === undefined) {
      return;
    }
    for (const listener of listeners) {
      try {
        const returned: unknown = (listener as IntrospectionEventListener<E>)(payload);
        if (isThenable(returned)) {
          // An async listener: its rejection is ours to handle, or Node exits.
          returned.then(undefined, (error: unknown) => this.failed(event, listener, 'rejected', error));
        }
      } catch (error) {
        this.failed(event, listener, 'threw', error);
      }
    }
  }

  /** Reports a failing listener, at most once per interval per listener. */
  private failed(event: string, listener: object, how: 'threw' | 'rejected', error: unknown): void {
    try {
      const now = performance.now();
      const known = this.failures.get(listener);
      if (known && now - known.reportedAt < LISTENER_REPORT_INTERVAL_MS) {
        known.unreported++;
        return;
      }
      const earlier = known?.unreported ?? 0;
      this.failures.set(listener, { reportedAt: now, unreported: 0 });
      // The error's name only: its message could echo the payload (claims).
      this.logger.error(
        `A listener of "${event}" ${how === 'threw' ? 'threw' : 'returned a promise that rejected with'} ${errorName(error)}; ignored.${earlier > 0 ? ` It failed ${earlier} more time(s) since last reported.` : ''} Reported at most once every ${LISTENER_REPORT_INTERVAL_MS / 1000}s per listener.`,
      );
    } catch {
      // A logger that throws must not fail the request either.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A short, payload-free description of what a listener threw. */
function errorName(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name;
    return typeof name === 'string' && /^[A-Za-z0-9_$.]{1,64}$/.test(name) ? name : 'an Error';
  }
  return typeof error;
}
