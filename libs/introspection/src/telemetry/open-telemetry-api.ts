/**
 * The members of `@opentelemetry/api` the module uses. An optional peer:
 * the types are read at build time only.
 * @internal
 */
export type OpenTelemetryApi = Pick<
  typeof import('@opentelemetry/api'),
  'context' | 'metrics' | 'trace' | 'createNoopMeter' | 'ProxyTracerProvider' | 'SpanKind' | 'SpanStatusCode'
>;

let loaded: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api` when the application has it installed, else
 * `undefined`: the module then records nothing. Loaded on first use only.
 * @internal
 */
export function openTelemetryApi(): OpenTelemetryApi | undefined {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * Whether an SDK is registered as the global tracer provider (the API's
 * proxy delegates to something other than its no-op provider).
 * @internal
 */
export function tracerProviderRegistered(api: OpenTelemetryApi): boolean {
  const provider = api.trace.getTracerProvider();
  const noop = new api.ProxyTracerProvider().getDelegate();
  return !(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== noop;
}

/**
 * Whether an SDK is registered as the global meter provider (its meters
 * are not the API's no-op meter).
 * @internal
 */
export function meterProviderRegistered(api: OpenTelemetryApi, name: string): boolean {
  const NoopMeter = api.createNoopMeter().constructor as new () => unknown;
  return !(api.metrics.getMeter(name) instanceof NoopMeter);
}
