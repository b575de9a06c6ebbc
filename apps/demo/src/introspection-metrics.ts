import { Injectable, OnModuleInit } from '@nestjs/common';
import { IntrospectionEvents } from '@app/introspection';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of the introspection module, fed by its events: the
 * recipe for any application (the library itself does not depend on
 * prom-client). Served by the demo at `GET /metrics`.
 */
@Injectable()
export class IntrospectionMetrics implements OnModuleInit {
  /** The registry the demo exposes (one per app, so tests can boot several). */
  readonly registry = new Registry();

  private readonly duration = new Histogram({
    name: 'introspection_request_duration_seconds',
    help: 'Duration of calls to the introspection endpoint, retries included, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: 'introspection_requests_total',
    help: 'Introspections by outcome (active, inactive, unavailable, circuit_open, malformed_response, ...).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'introspection_retries_total',
    help: 'Retries of transient failures.',
    registers: [this.registry],
  });
  private readonly cache = new Counter({
    name: 'introspection_cache_lookups_total',
    help: 'Cache lookups by result (hit, stale_hit, miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly rejectedEntries = new Counter({
    name: 'introspection_cache_rejected_entries_total',
    help: 'Cache entries not used, by reason (unauthenticated: forged or altered; unreadable).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly breakerOpen = new Gauge({
    name: 'introspection_circuit_breaker_open',
    help: '1 while the circuit breaker of the endpoint is open or half-open, else 0.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  /** Bound once: a hit runs on every request, and resolving labels there costs more than the hit. */
  private readonly hits = this.cache.labels({ result: 'hit' });
  private readonly staleHits = this.cache.labels({ result: 'stale_hit' });

  constructor(private readonly events: IntrospectionEvents) {}

  onModuleInit(): void {
    this.events
      .on('introspection.succeeded', ({ durationMs, active }) => {
        const outcome = active ? 'active' : 'inactive';
        this.duration.observe({ outcome }, durationMs / 1000);
        this.requests.inc({ outcome });
      })
      .on('introspection.failed', ({ durationMs, outcome }) => {
        this.duration.observe({ outcome }, durationMs / 1000);
        this.requests.inc({ outcome });
      })
      .on('introspection.retry', () => this.retries.inc())
      .on('cache.hit', ({ stale }) => (stale ? this.staleHits : this.hits).inc())
      .on('cache.miss', () => this.cache.inc({ result: 'miss' }))
      .on('cache.rejected', ({ reason }) => this.rejectedEntries.inc({ reason }))
      .on('breaker.opened', ({ endpoint }) => this.breakerOpen.set({ endpoint }, 1))
      .on('breaker.closed', ({ endpoint }) => this.breakerOpen.set({ endpoint }, 0));
  }
}
