import type { HttpException } from '@nestjs/common';
import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import type {
  Attributes,
  Counter,
  Histogram,
  ObservableCallback,
  ObservableGauge,
  Span,
} from '@opentelemetry/api';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { BearerTokenException } from '../errors/bearer-token.exceptions';
import { failureOutcome } from '../events/failure-outcome';
import {
  IntrospectionEventListener,
  IntrospectionEventName,
  IntrospectionEvents,
} from '../events/introspection-events';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { INTROSPECTION_REGISTRATION_NAME } from '../introspection.constants';
import type { CircuitState } from '../resilience/circuit-breaker';
import {
  meterProviderRegistered,
  OpenTelemetryApi,
  openTelemetryApi,
  tracerProviderRegistered,
} from './open-telemetry-api';
import { BREAKER_STATE_VALUES, DURATION_BUCKETS, TELEMETRY } from './telemetry-names';

const A = TELEMETRY.attributes;

/** What the events tell about one traced introspection. */
interface TracedCall {
  cache?: 'hit' | 'stale_hit' | 'miss' | 'joined';
  outcome?: string;
}

/** The instruments, when a meter provider is registered. */
interface Instruments {
  readonly duration: Histogram;
  readonly retries: Counter;
  readonly cacheLookups: Counter;
  readonly joins: Counter;
  readonly decisions: Counter;
  readonly gauges: ReadonlyArray<[ObservableGauge, ObservableCallback]>;
}

/**
 * The OpenTelemetry bridge of one registration: a span `introspection`
 * around each introspection, span events for retries and guard decisions,
 * and the metrics of docs/observability.md, derived from
 * {@link IntrospectionEvents}. Records only when `@opentelemetry/api` is
 * installed and an SDK is registered when the application is created;
 * otherwise it subscribes to nothing and each hook costs one branch.
 * @internal
 */
@Injectable()
export class IntrospectionTelemetry implements OnModuleDestroy {
  /** Whether introspections are traced (a tracer provider is registered). */
  readonly tracing: boolean;
  private readonly api?: OpenTelemetryApi;
  private readonly calls = new WeakMap<Span, TracedCall>();
  private readonly instruments?: Instruments;
  /** Unsubscribes each listener. */
  private readonly unsubscribes: Array<() => void> = [];
  /** Per endpoint: `server.address` and `server.port`, and its breaker state. */
  private readonly endpoints = new Map<string, { attributes: Attributes; state: CircuitState }>();
  private storeBypassed = false;
  private readonly registration: Attributes;

  constructor(
    private readonly events: IntrospectionEvents,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Optional() @Inject(INTROSPECTION_REGISTRATION_NAME) name?: string,
  ) {
    this.registration = name === undefined ? {} : { [A.registration]: name };
    const api = openTelemetryApi();
    this.tracing = api !== undefined && tracerProviderRegistered(api);
    const metering = api !== undefined && meterProviderRegistered(api, TELEMETRY.scope);
    if (!api || (!this.tracing && !metering)) {
      return;
    }
    this.api = api;
    this.instruments = metering ? this.createInstruments(api) : undefined;
    this.subscribe();
  }

  /**
   * Runs `introspect` inside a span `introspection`, a child of the active
   * span, made active so that the transport's own HTTP client span nests
   * under it. Call only when {@link tracing}.
   */
  async trace(introspect: () => Promise<IntrospectionResult>): Promise<IntrospectionResult> {
    const api = this.api!;
    const span = api.trace
      .getTracer(TELEMETRY.scope)
      .startSpan(TELEMETRY.span, { kind: api.SpanKind.INTERNAL, attributes: this.registration });
    const call: TracedCall = {};
    if (span.isRecording()) {
      this.calls.set(span, call);
    }
    try {
      const result = await api.context.with(api.trace.setSpan(api.context.active(), span), introspect);
      if (span.isRecording()) {
        span.setAttributes(this.endAttributes(call, result.active ? 'active' : 'inactive'));
      }
      return result;
    } catch (error) {
      if (span.isRecording()) {
        const outcome = call.outcome ?? failureOutcome(error);
        span.setAttributes({ ...this.endAttributes(call, outcome), [A.errorType]: outcome });
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome });
      }
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Records the guard's decision: an `introspection.decision` event on the
   * active span (the request's) and the `introspection.decisions` counter.
   * @param options the options of the registration the route uses
   * @param exception what the request is refused with; absent when accepted
   */
  decided(
    options: ResolvedIntrospectionOptions,
    exception?: HttpException,
    result?: IntrospectionResult,
  ): void {
    if (!this.api) {
      return;
    }
    const attributes: Attributes = exception
      ? {
          [A.decision]: 'deny',
          [A.statusCode]: exception.getStatus(),
          ...(exception instanceof BearerTokenException && exception.error
            ? { [A.errorCode]: exception.error }
            : {}),
        }
      : { [A.decision]: 'allow' };
    this.instruments?.decisions.add(1, attributes);
    const span = this.api.trace.getActiveSpan();
    if (span?.isRecording()) {
      const sub = options.telemetry.recordSubject && !exception ? result?.sub : undefined;
      span.addEvent(
        TELEMETRY.decisionEvent,
        typeof sub === 'string' ? { ...attributes, [A.subject]: sub } : attributes,
      );
    }
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribes) {
      unsubscribe();
    }
    for (const [gauge, callback] of this.instruments?.gauges ?? []) {
      gauge.removeCallback(callback);
    }
  }

  private createInstruments(api: OpenTelemetryApi): Instruments {
    const meter = api.metrics.getMeter(TELEMETRY.scope);
    const M = TELEMETRY.metrics;
    const breakerState = meter.createObservableGauge(M.breakerState, {
      description:
        'State of the circuit breaker of each introspection endpoint: 0 closed, 1 half-open, 2 open.',
      unit: '{state}',
    });
    const observeBreakers: ObservableCallback = (result) => {
      for (const { attributes, state } of this.endpoints.values()) {
        result.observe(BREAKER_STATE_VALUES[state], attributes);
      }
    };
    breakerState.addCallback(observeBreakers);
    const gauges: Array<[ObservableGauge, ObservableCallback]> = [[breakerState, observeBreakers]];
    if (this.options.ttlMs > 0) {
      const bypassed = meter.createObservableGauge(M.storeBypassed, {
        description: '1 while the cache store is bypassed after a failure or timeout, else 0.',
        unit: '1',
      });
      const observeStore: ObservableCallback = (result) =>
        result.observe(this.storeBypassed ? 1 : 0, this.registration);
      bypassed.addCallback(observeStore);
      gauges.push([bypassed, observeStore]);
    }
    return {
      duration: meter.createHistogram(M.duration, {
        description: 'Duration of calls to the introspection endpoint, retries included, by outcome.',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      retries: meter.createCounter(M.retries, {
        description: 'Retries of transient failures of the introspection endpoint.',
        unit: '{retry}',
      }),
      cacheLookups: meter.createCounter(M.cacheLookups, {
        description: 'Cache lookups by result: hit, stale_hit (stale-if-error), miss.',
        unit: '{lookup}',
      }),
      joins: meter.createCounter(M.singleFlightJoins, {
        description: 'Introspections that shared a lookup of the same token already under way.',
        unit: '{call}',
      }),
      decisions: meter.createCounter(M.decisions, {
        description: 'Guard decisions by decision, HTTP status and RFC 6750 error code.',
        unit: '{decision}',
      }),
      gauges,
    };
  }

  private subscribe(): void {
    this.on('introspection.started', ({ endpoint }) => {
      this.endpoint(endpoint);
    });
    this.on('introspection.retry', ({ attempt, delayMs }) => {
      this.instruments?.retries.add(1, this.registration);
      this.active()?.span.addEvent(TELEMETRY.retryEvent, {
        [A.attempt]: attempt,
        [A.retryDelay]: delayMs / 1000,
      });
    });
    this.on('introspection.succeeded', ({ endpoint, durationMs, attempts, active }) => {
      this.ended(endpoint, durationMs, attempts, active ? 'active' : 'inactive', 200);
    });
    this.on('introspection.failed', ({ endpoint, durationMs, attempts, outcome }) => {
      this.ended(endpoint, durationMs, attempts, outcome);
    });
    this.on('cache.hit', ({ stale }) => this.cached(stale ? 'stale_hit' : 'hit'));
    this.on('cache.miss', () => this.cached('miss'));
    this.on('cache.joined', () => {
      this.instruments?.joins.add(1, this.registration);
      const call = this.active()?.call;
      if (call) {
        call.cache = 'joined';
      }
    });
    this.on('cache.store_bypassed', () => {
      this.storeBypassed = true;
    });
    this.on('cache.store_restored', () => {
      this.storeBypassed = false;
    });
    this.on('breaker.opened', ({ endpoint }) => this.breaker(endpoint, 'open'));
    this.on('breaker.half_opened', ({ endpoint }) => this.breaker(endpoint, 'half_open'));
    this.on('breaker.closed', ({ endpoint }) => this.breaker(endpoint, 'closed'));
  }

  private on<E extends IntrospectionEventName>(event: E, listener: IntrospectionEventListener<E>): void {
    this.events.on(event, listener);
    this.unsubscribes.push(() => this.events.off(event, listener));
  }

  /** The traced introspection the current event belongs to, if any. */
  private active(): { span: Span; call: TracedCall } | undefined {
    const span = this.api!.trace.getActiveSpan();
    const call = span && this.calls.get(span);
    return call ? { span: span, call } : undefined;
  }

  /** An endpoint's attributes (and breaker state, closed until told otherwise). */
  private endpoint(endpoint: string): Attributes {
    let known = this.endpoints.get(endpoint);
    if (!known) {
      const url = new URL(endpoint);
      const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      known = {
        attributes: { [A.serverAddress]: url.hostname, [A.serverPort]: port, ...this.registration },
        state: 'closed',
      };
      this.endpoints.set(endpoint, known);
    }
    return known.attributes;
  }

  private ended(
    endpoint: string,
    durationMs: number,
    attempts: number,
    outcome: string,
    status?: number,
  ): void {
    const attributes = this.endpoint(endpoint);
    this.instruments?.duration.record(durationMs / 1000, { ...attributes, [A.outcome]: outcome });
    const traced = this.active();
    if (traced) {
      traced.call.outcome = outcome;
      traced.span.setAttributes({
        ...attributes,
        [A.method]: this.options.method,
        [A.attempts]: attempts,
        ...(status === undefined ? {} : { [A.statusCode]: status }),
      });
    }
  }

  private cached(result: 'hit' | 'stale_hit' | 'miss'): void {
    this.instruments?.cacheLookups.add(1, { ...this.registration, [A.cache]: result });
    const call = this.active()?.call;
    if (call) {
      // A stale hit follows the miss of the same lookup: the last word counts.
      call.cache = result;
    }
  }

  private breaker(endpoint: string, state: CircuitState): void {
    this.endpoint(endpoint);
    this.endpoints.get(endpoint)!.state = state;
  }

  private endAttributes(call: TracedCall, outcome: string): Attributes {
    // No cache event with caching on: a JWT refused locally, before any lookup.
    const cache = call.cache ?? (this.options.ttlMs > 0 ? undefined : 'off');
    return cache === undefined ? { [A.outcome]: outcome } : { [A.outcome]: outcome, [A.cache]: cache };
  }
}
