import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** The OpenTelemetry SDK the demo registered, to flush and stop on shutdown. */
export interface DemoTelemetry {
  /** Exports what is buffered, then stops the providers and unregisters them. */
  shutdown(): Promise<void>;
}

let started: DemoTelemetry | undefined;

/**
 * Registers the OpenTelemetry SDK when `OTEL_EXPORTER_OTLP_ENDPOINT` is set:
 * traces and metrics exported over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`
 * and `<endpoint>/v1/metrics`, the exporters reading the standard `OTEL_*`
 * variables (headers, per-signal endpoints, timeouts, `OTEL_SERVICE_NAME`,
 * `OTEL_METRIC_EXPORT_INTERVAL`). Without it, registers nothing: the module
 * then records nothing. Call it before the application is created, the way
 * an instrumentation file is loaded first. The library itself only depends
 * on `@opentelemetry/api`; these SDK packages are the application's choice.
 *
 * @returns the SDK, or `undefined` when not configured
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): DemoTelemetry | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || started) {
    return started;
  }
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'nestjs-introspection-demo' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  const exportIntervalMillis = Number(env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000;
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis }),
    ],
  });
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const telemetry: DemoTelemetry = {
    shutdown: async () => {
      if (started !== telemetry) {
        return;
      }
      started = undefined;
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
  started = telemetry;
  return telemetry;
}

/** Flushes and stops the SDK when the application shuts down (SIGTERM, `app.close()`). */
@Injectable()
export class TelemetryShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await started?.shutdown();
  }
}
