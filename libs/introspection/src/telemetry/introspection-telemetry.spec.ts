import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
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
});

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
});
