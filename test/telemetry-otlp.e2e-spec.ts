import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { startTelemetry } from '../apps/demo/src/telemetry';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, authorizationServerEnv, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { captureLogLine } from './support/log-capture';

// The demo exports traces and metrics over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, to a real (local) receiver; without
// it, it registers no SDK.

/** What a local OTLP/HTTP receiver was sent: path, content type and JSON body per request. */
interface Received {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body });
      // Everything exported goes to the log-hygiene capture as well.
      captureLogLine(`OTLP ${req.url} ${body}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

describe.each(ADAPTERS)('OTLP export of the demo on %s', (adapter) => {
  let demo: RunningDemo | undefined;

  afterEach(async () => {
    await demo?.close();
    demo = undefined;
  });

  it('exports the introspection span and the metrics to <endpoint>/v1/traces and /v1/metrics', async () => {
    const receiver = await startReceiver();
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    try {
      const telemetry = startTelemetry();
      expect(telemetry).toBeDefined();
      demo = await startDemo(adapter, authorizationServerEnv(as, { INTROSPECTION_TTL: '30s' }));
      const token = await as.mintToken('read:payments', demoClients().audience);
      expect((await send(`${demo.url}/payments`, { headers: bearer(token) })).status).toBe(200);
      // The Prometheus endpoint keeps working alongside.
      expect((await send(`${demo.url}/metrics`)).body).toContain(
        'introspection_requests_total{outcome="active"} 1',
      );

      // Closing the app flushes and stops the SDK (TelemetryShutdown).
      await demo.close();
      demo = undefined;

      const traces = receiver.received.filter(({ path }) => path === '/v1/traces');
      const exported = receiver.received.filter(({ path }) => path === '/v1/metrics');
      expect(traces.length).toBeGreaterThan(0);
      expect(exported.length).toBeGreaterThan(0);
      expect(traces[0].contentType).toBe('application/json');
      const spans = traces.map(({ body }) => body).join('\n');
      expect(spans).toContain('"name":"introspection"');
      expect(spans).toContain('"nestjs-introspection"');
      expect(spans).toContain('"nestjs-introspection-demo"');
      const points = exported.map(({ body }) => body).join('\n');
      for (const name of [
        'introspection.client.duration',
        'introspection.cache.lookups',
        'introspection.decisions',
      ]) {
        expect(points).toContain(`"name":"${name}"`);
      }
      for (const body of [spans, points]) {
        expect(body).not.toContain(token);
      }
      // Unregistered: a later app records nothing.
      const noop = new ProxyTracerProvider().getDelegate();
      expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(noop);
    } finally {
      if (saved === undefined) {
        delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      } else {
        process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
      }
      await new Promise((resolve) => receiver.server.close(resolve));
    }
  });

  it('registers no SDK without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(startTelemetry({})).toBeUndefined();
    const noop = new ProxyTracerProvider().getDelegate();
    expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(noop);
  });
});
