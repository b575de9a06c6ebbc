import { context, metrics, SpanKind, trace, type Attributes, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import type { Server } from 'node:http';
import { captureLogLine } from './log-capture';

/** A metric reader the test collects from by hand. */
class ManualMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One data point of a collected metric, with the metric's name. */
export interface MetricPoint {
  readonly name: string;
  readonly unit: string;
  readonly attributes: Attributes;
  /** A sum or gauge value, or a histogram's count. */
  readonly value: number;
}

/**
 * The real OpenTelemetry SDK registered globally, the way an application's
 * instrumentation file does it: an AsyncLocalStorage context manager, a
 * tracer provider exporting to memory, a meter provider read by hand. Every
 * span and metric attribute read through it also goes to the log-hygiene
 * capture, so the e2e global teardown checks them for tokens and secrets.
 */
export class TestTelemetry {
  readonly spans = new InMemorySpanExporter();
  private readonly reader = new ManualMetricReader();
  private readonly contextManager = new AsyncLocalStorageContextManager();
  private readonly tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: this.spans })],
  });
  private readonly meterProvider = new MeterProvider({ readers: [this.reader] });

  /** Registers the SDK as the global providers (before the application is created). */
  static register(): TestTelemetry {
    const telemetry = new TestTelemetry();
    context.setGlobalContextManager(telemetry.contextManager.enable());
    trace.setGlobalTracerProvider(telemetry.tracerProvider);
    metrics.setGlobalMeterProvider(telemetry.meterProvider);
    return telemetry;
  }

  /** Unregisters and shuts the SDK down. */
  async unregister(): Promise<void> {
    trace.disable();
    metrics.disable();
    context.disable();
    await this.tracerProvider.shutdown();
    await this.meterProvider.shutdown();
  }

  /** The spans ended so far (captured for the log-hygiene check), then forgotten. */
  takeSpans(): ReadableSpan[] {
    const spans = this.spans.getFinishedSpans();
    this.spans.reset();
    for (const span of spans) {
      captureTelemetry(`span ${span.name}`, span.attributes);
      for (const event of span.events) {
        captureTelemetry(`span event ${event.name}`, event.attributes ?? {});
      }
    }
    return spans;
  }

  /** Every data point of every metric (cumulative since the start), captured for the log-hygiene check. */
  async collect(): Promise<MetricPoint[]> {
    const { resourceMetrics } = await this.reader.collect();
    const points: MetricPoint[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints as Array<DataPoint<unknown>>) {
          const value = point.value;
          points.push({
            name: metric.descriptor.name,
            unit: metric.descriptor.unit,
            attributes: point.attributes,
            value: typeof value === 'number' ? value : (value as { count: number }).count,
          });
          captureTelemetry(`metric ${metric.descriptor.name}`, point.attributes);
        }
      }
    }
    return points;
  }
}

/** One log-hygiene capture line per span, event or data point: every attribute value. */
function captureTelemetry(what: string, attributes: Attributes): void {
  captureLogLine(`TELEMETRY ${what} ${JSON.stringify(attributes)}`);
}

/**
 * Runs every request of `server` inside a SERVER span `request`, the way
 * HTTP instrumentation does, so the guard's decisions and the module's spans
 * have a request span to attach to.
 */
export function traceRequests(server: Server): void {
  const listeners = server.listeners('request') as Array<(...args: unknown[]) => void>;
  server.removeAllListeners('request');
  const tracer = trace.getTracer('test-http-server');
  server.on(
    'request',
    (req: { method?: string }, res: { once(event: string, listener: () => void): void }) => {
      const span: Span = tracer.startSpan('request', {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method ?? '' },
      });
      res.once('finish', () => span.end());
      res.once('close', () => span.end());
      context.with(trace.setSpan(context.active(), span), () => {
        for (const listener of listeners) {
          listener.call(server, req, res);
        }
      });
    },
  );
}
