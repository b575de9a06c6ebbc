// `npm run bench:telemetry` (part of `npm run bench`): what OpenTelemetry costs
// on the cache-hit path. Three apps guard the same route with a cached token:
// two without an SDK (their ratio is the noise of the run) and one created
// after an SDK was registered (tracer and meter provider, spans batched to an
// exporter that drops them). Rounds are interleaved; medians and ratios are
// printed, never asserted. Needs nothing running: starts oidc-provider itself.
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { cpus } from 'node:os';
import { IntrospectionModule, RequireActiveToken } from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from '../test/support/authorization-server';
import { bearer, send } from '../test/support/http';
import { median, throughput } from './support/autocannon';

const clients = demoClients();
const { clientId, clientSecret } = clients.introspectionClients.client_secret_basic;
const ROUNDS = 5;

@Controller()
class BenchController {
  @Get('guarded')
  @RequireActiveToken()
  guarded(): { ok: boolean } {
    return { ok: true };
  }
}

async function startApp(endpoint: string): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [IntrospectionModule.forRoot({ endpoint, clientId, clientSecret, cache: { ttl: '10m' } })],
    controllers: [BenchController],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** Registers a real SDK whose exporters drop what they are given (the export itself is not measured). */
function registerSdk(): () => Promise<void> {
  const drop: SpanExporter & PushMetricExporter = {
    export: (_items: unknown, done: (result: { code: number }) => void) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
  };
  const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: drop })] });
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: drop, exportIntervalMillis: 1_000 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return async () => {
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    trace.disable();
    metrics.disable();
    context.disable();
  };
}

async function main(): Promise<void> {
  const as = await TestAuthorizationServer.start();
  const apps: INestApplication[] = [];
  let unregister: (() => Promise<void>) | undefined;
  try {
    console.log(`Node ${process.version}, ${cpus().length} cores; oidc-provider at ${as.issuer}\n`);
    const token = await as.mintToken('read:payments');
    // Created before the SDK is registered: these two record nothing.
    const first = await startApp(as.introspectionEndpoint);
    const second = await startApp(as.introspectionEndpoint);
    unregister = registerSdk();
    const traced = await startApp(as.introspectionEndpoint);
    const runs = { first, second, traced };
    apps.push(first.app, second.app, traced.app);
    for (const { url } of Object.values(runs)) {
      if ((await send(`${url}/guarded`, { headers: bearer(token) })).status !== 200) {
        throw new Error('warm-up failed');
      }
    }
    const results: Record<keyof typeof runs, number[]> = { first: [], second: [], traced: [] };
    const order = Object.keys(runs) as Array<keyof typeof runs>;
    for (let round = 0; round < ROUNDS; round++) {
      // Rotated each round, so no app always runs first or warmest.
      for (const name of [...order.slice(round % 3), ...order.slice(0, round % 3)]) {
        results[name].push(await throughput(`${runs[name].url}/guarded`, bearer(token)));
      }
    }
    const m = {
      first: median(results.first),
      second: median(results.second),
      traced: median(results.traced),
    };
    const line = (label: string, value: string) => console.log(`${label.padEnd(60)} ${value.padStart(10)}`);
    line(`Cache hits, requests/s (median of ${ROUNDS} interleaved rounds)`, '');
    line('  no SDK (app 1)', m.first.toFixed(0));
    line('  no SDK (app 2)', m.second.toFixed(0));
    line('  SDK registered (span + metrics per request)', m.traced.toFixed(0));
    line('  noise: no SDK app 2 ÷ app 1', (m.second / m.first).toFixed(3));
    line('  SDK registered ÷ no SDK (mean of both)', (m.traced / ((m.first + m.second) / 2)).toFixed(3));
  } finally {
    await Promise.all(apps.map((app) => app.close()));
    await unregister?.();
    await as.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
