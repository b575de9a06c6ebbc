import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { IntrospectionEvents } from '../events/introspection-events';
import { IntrospectionTelemetry } from './introspection-telemetry';

const options = resolveIntrospectionOptions({
  endpoint: 'https://as.example.com/introspect',
  clientId: 'api',
});

afterEach(() => {
  trace.disable();
  metrics.disable();
  context.disable();
});

class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush = () => Promise.resolve();
  protected onShutdown = () => Promise.resolve();
}

const ACTIVE = { active: true, scopes: [], aud: [], claims: {} };

describe('IntrospectionTelemetry', () => {
  it('without an SDK registered, subscribes to nothing and traces nothing', () => {
    const events = new IntrospectionEvents();
    const on = jest.spyOn(events, 'on');
    const telemetry = new IntrospectionTelemetry(events, options);
    expect(telemetry.tracing).toBe(false);
    expect(on).not.toHaveBeenCalled();
    // A decision costs a branch: no span, no counter.
    expect(() => telemetry.decided(options)).not.toThrow();
  });

  it('with a tracer provider only, traces and subscribes, and unsubscribes every listener when the module stops', () => {
    trace.setGlobalTracerProvider(new TracerProvider());
    const events = new IntrospectionEvents();
    const on = jest.spyOn(events, 'on');
    const off = jest.spyOn(events, 'off');
    const telemetry = new IntrospectionTelemetry(events, options);
    expect(telemetry.tracing).toBe(true);
    expect(on.mock.calls.length).toBeGreaterThan(0);
    telemetry.onModuleDestroy();
    expect(off.mock.calls).toEqual(on.mock.calls);
  });

  it('with a meter provider only, subscribes for the metrics but does not trace', () => {
    metrics.setGlobalMeterProvider(new MeterProvider());
    const events = new IntrospectionEvents();
    const on = jest.spyOn(events, 'on');
    const telemetry = new IntrospectionTelemetry(events, options);
    expect(telemetry.tracing).toBe(false);
    expect(on.mock.calls.length).toBeGreaterThan(0);
    telemetry.onModuleDestroy();
  });

  it('marks a stale-if-error answer stale_hit with the outcome of the answer used', async () => {
    const spans = new InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }),
    );
    const events = new IntrospectionEvents();
    const cached = resolveIntrospectionOptions({
      endpoint: 'https://as.example.com/introspect',
      clientId: 'api',
      cache: { ttl: '1m', staleIfError: '5m' },
    });
    const telemetry = new IntrospectionTelemetry(events, cached, 'partners');
    await telemetry.trace(() => {
      events.emit('cache.miss', {});
      events.emit('introspection.started', { endpoint: 'https://as.example.com/introspect' });
      events.emit('introspection.failed', {
        endpoint: 'https://as.example.com/introspect',
        durationMs: 3,
        attempts: 2,
        outcome: 'unavailable',
      });
      events.emit('cache.hit', { stale: true });
      return Promise.resolve(ACTIVE);
    });
    const [span] = spans.getFinishedSpans();
    expect(span.attributes).toEqual({
      'introspection.registration': 'partners',
      'introspection.outcome': 'active',
      'introspection.cache': 'stale_hit',
      'introspection.attempts': 2,
      'server.address': 'as.example.com',
      'server.port': 443,
      'http.request.method': 'POST',
    });
    expect(span.status.code).toBe(0);
    telemetry.onModuleDestroy();
  });

  it('reports the store bypassed between cache.store_bypassed and cache.store_restored', async () => {
    const reader = new ManualReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const events = new IntrospectionEvents();
    const cached = resolveIntrospectionOptions({
      endpoint: 'https://as.example.com/introspect',
      clientId: 'api',
      cache: { ttl: '1m' },
    });
    const telemetry = new IntrospectionTelemetry(events, cached);
    const bypassed = async () => {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics[0].metrics.find(
        ({ descriptor }) => descriptor.name === 'introspection.cache.store.bypassed',
      );
      return metric?.dataPoints[0].value;
    };
    expect(await bypassed()).toBe(0);
    events.emit('cache.store_bypassed', { reason: 'timeout', retryInMs: 30_000 });
    expect(await bypassed()).toBe(1);
    events.emit('cache.store_restored', {});
    expect(await bypassed()).toBe(0);
    telemetry.onModuleDestroy();
  });
});
