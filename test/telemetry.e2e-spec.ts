import { trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Server, ServerResponse } from 'node:http';
import { IntrospectionEvents } from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { FakeAuthorizationServer } from '../libs/introspection/test-support/fake-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, authorizationServerEnv, faultServerEnv, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { recordSecret } from './support/log-capture';
import { MetricPoint, TestTelemetry, traceRequests } from './support/telemetry';

// The module's OpenTelemetry spans, span events and metrics, read through the
// real SDK (in-memory span exporter, a metric reader collected by hand) from
// the demo, against oidc-provider and a local fault server.

const INSUFFICIENT_SCOPE =
  'Bearer realm="demo", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments"';
const INACTIVE =
  'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."';
const FAULT_TOKEN = 'dGVsZW1ldHJ5LWZhdWx0LXRva2Vu';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const activeAnswer = { active: true, token_type: 'Bearer', scope: 'read:payments', sub: 'subject-7f3a' };

const { audience } = demoClients();
let as: TestAuthorizationServer;
let telemetry: TestTelemetry;
/**
 * The active span id at each HTTP request the process sends (HTTP client
 * instrumentation's view): node:http's channel (the axios transport) and
 * undici's (the default transport).
 */
const transportParents: Array<{ port: string; path?: string; spanId?: string }> = [];
const onHttpRequest = (message: unknown) => {
  const { request } = message as { request: { path?: string; getHeader?(name: string): string | undefined } };
  const host = String(request.getHeader?.('host') ?? '');
  transportParents.push({
    port: host.split(':').pop() ?? '',
    path: request.path,
    spanId: trace.getActiveSpan()?.spanContext().spanId,
  });
};
const onUndiciRequest = (message: unknown) => {
  const { request } = message as { request: { origin: string; path: string } };
  transportParents.push({
    port: new URL(request.origin).port,
    path: request.path,
    spanId: trace.getActiveSpan()?.spanContext().spanId,
  });
};

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
  recordSecret(FAULT_TOKEN);
  subscribe('http.client.request.start', onHttpRequest);
  subscribe('undici:request:create', onUndiciRequest);
});

afterAll(async () => {
  unsubscribe('http.client.request.start', onHttpRequest);
  unsubscribe('undici:request:create', onUndiciRequest);
  await as?.stop();
});

beforeEach(() => {
  transportParents.length = 0;
  telemetry = TestTelemetry.register();
});

afterEach(async () => {
  await telemetry.unregister();
});

function only(spans: ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

/** The spans named `introspection`, each with the request span it is a child of. */
function introspections(spans: ReadableSpan[]): Array<{ span: ReadableSpan; request: ReadableSpan }> {
  return only(spans, 'introspection').map((span) => {
    const request = spans.find(
      (candidate) => candidate.spanContext().spanId === span.parentSpanContext?.spanId,
    );
    expect(request?.name).toBe('request');
    expect(request!.spanContext().traceId).toBe(span.spanContext().traceId);
    return { span, request: request! };
  });
}

function decisionsOf(request: ReadableSpan) {
  return request.events
    .filter((event) => event.name === 'introspection.decision')
    .map((event) => event.attributes);
}

function point(
  points: MetricPoint[],
  name: string,
  attributes: Record<string, unknown> = {},
): number | undefined {
  return points.find(
    (candidate) =>
      candidate.name === name &&
      Object.entries(attributes).every(([key, value]) => candidate.attributes[key] === value),
  )?.value;
}

async function startTraced(
  adapter: (typeof ADAPTERS)[number],
  env: Record<string, string>,
): Promise<RunningDemo> {
  const demo = await startDemo(adapter, env);
  traceRequests(demo.app.getHttpServer() as Server);
  return demo;
}

describe.each(ADAPTERS)('OpenTelemetry of the module on %s', (adapter) => {
  let demo: RunningDemo | undefined;

  afterEach(async () => {
    await demo?.close();
    demo = undefined;
  });

  describe('against oidc-provider', () => {
    it('traces a miss then a hit as children of the request span, the transport span nested in ours', async () => {
      demo = await startTraced(adapter, authorizationServerEnv(as, { INTROSPECTION_TTL: '30s' }));
      const token = await as.mintToken('read:payments', audience);
      const endpoint = new URL(as.introspectionEndpoint);

      expect((await send(`${demo.url}/payments`, { headers: bearer(token) })).status).toBe(200);
      expect((await send(`${demo.url}/payments`, { headers: bearer(token) })).status).toBe(200);

      const [miss, hit] = introspections(telemetry.takeSpans());
      expect(miss.span.kind).toBe(0); // INTERNAL: the transport's CLIENT span nests under it
      expect(miss.span.attributes).toEqual({
        'introspection.outcome': 'active',
        'introspection.cache': 'miss',
        'introspection.attempts': 1,
        'server.address': endpoint.hostname,
        'server.port': Number(endpoint.port),
        'http.request.method': 'POST',
        'http.response.status_code': 200,
      });
      expect(miss.span.status.code).toBe(0);
      expect(hit.span.attributes).toEqual({
        'introspection.outcome': 'active',
        'introspection.cache': 'hit',
      });
      expect(decisionsOf(miss.request)).toEqual([{ 'introspection.decision': 'allow' }]);
      expect(decisionsOf(hit.request)).toEqual([{ 'introspection.decision': 'allow' }]);
      // The request to the authorization server was sent with our span active.
      expect(transportParents.filter(({ path }) => path === endpoint.pathname)).toEqual([
        { port: endpoint.port, path: endpoint.pathname, spanId: miss.span.spanContext().spanId },
      ]);

      const points = await telemetry.collect();
      const duration = points.filter(({ name }) => name === 'introspection.client.duration');
      expect(duration.map(({ unit, attributes, value }) => ({ unit, attributes, value }))).toEqual([
        {
          unit: 's',
          attributes: {
            'server.address': endpoint.hostname,
            'server.port': Number(endpoint.port),
            'introspection.outcome': 'active',
          },
          value: 1,
        },
      ]);
      expect(point(points, 'introspection.cache.lookups', { 'introspection.cache': 'miss' })).toBe(1);
      expect(point(points, 'introspection.cache.lookups', { 'introspection.cache': 'hit' })).toBe(1);
      expect(point(points, 'introspection.decisions', { 'introspection.decision': 'allow' })).toBe(2);
      expect(point(points, 'introspection.cache.store.bypassed')).toBe(0);
      expect(
        point(points, 'introspection.circuit_breaker.state', { 'server.port': Number(endpoint.port) }),
      ).toBe(0);
    });

    it('records a 401 and a 403 as decisions on the request span, with status and RFC 6750 code', async () => {
      demo = await startTraced(adapter, authorizationServerEnv(as));
      const token = await as.mintToken('read:payments', audience);
      const revoked = await as.mintToken('read:payments', audience);
      await as.revoke(revoked);

      const refused = await send(`${demo.url}/me`, { headers: bearer(revoked) });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe(INACTIVE);
      const forbidden = await send(`${demo.url}/payments`, { method: 'POST', headers: bearer(token) });
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers['www-authenticate']).toBe(INSUFFICIENT_SCOPE);
      const anonymous = await send(`${demo.url}/me`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="demo"');

      const spans = telemetry.takeSpans();
      const [inactive, active] = introspections(spans);
      expect(inactive.span.attributes).toMatchObject({
        'introspection.outcome': 'inactive',
        'introspection.cache': 'off',
      });
      expect(inactive.span.status.code).toBe(0);
      expect(decisionsOf(inactive.request)).toEqual([
        {
          'introspection.decision': 'deny',
          'http.response.status_code': 401,
          'introspection.error_code': 'invalid_token',
        },
      ]);
      expect(active.span.attributes).toMatchObject({ 'introspection.outcome': 'active' });
      expect(decisionsOf(active.request)).toEqual([
        {
          'introspection.decision': 'deny',
          'http.response.status_code': 403,
          'introspection.error_code': 'insufficient_scope',
        },
      ]);
      // No token, no introspection: the decision alone.
      const requests = only(spans, 'request');
      expect(requests).toHaveLength(3);
      expect(decisionsOf(requests[2])).toEqual([
        { 'introspection.decision': 'deny', 'http.response.status_code': 401 },
      ]);

      const points = await telemetry.collect();
      expect(
        point(points, 'introspection.decisions', {
          'http.response.status_code': 401,
          'introspection.error_code': 'invalid_token',
        }),
      ).toBe(1);
      expect(
        point(points, 'introspection.decisions', { 'introspection.error_code': 'insufficient_scope' }),
      ).toBe(1);
      expect(
        points.find(
          ({ name, attributes }) =>
            name === 'introspection.decisions' &&
            attributes['http.response.status_code'] === 401 &&
            !('introspection.error_code' in attributes),
        )?.value,
      ).toBe(1);
      expect(point(points, 'introspection.cache.store.bypassed')).toBeUndefined();
    });
  });

  describe('against a failing authorization server', () => {
    let fault: FakeAuthorizationServer;

    beforeEach(async () => {
      fault = await FakeAuthorizationServer.start();
    });

    afterEach(async () => {
      await demo?.close();
      demo = undefined;
      await fault.close();
    });

    it('traces a retry as a span event, an outage as an error, then the open breaker', async () => {
      demo = await startTraced(
        adapter,
        faultServerEnv(fault.endpoint, {
          INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '2',
          INTROSPECTION_RETRIES: '1',
        }),
      );
      let calls = 0;
      fault.answerWith((_request, res: ServerResponse) => {
        calls++;
        res.writeHead(calls === 1 ? 503 : 200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...activeAnswer, exp: nowSeconds() + 600 }));
      });
      expect((await send(`${demo.url}/payments`, { headers: bearer(FAULT_TOKEN) })).status).toBe(200);

      fault.answerJson(503, {});
      for (let i = 0; i < 2; i++) {
        const outage = await send(`${demo.url}/payments`, { headers: bearer(FAULT_TOKEN) });
        expect(outage.status).toBe(503);
        expect(outage.headers['www-authenticate']).toBeUndefined();
      }
      const open = await send(`${demo.url}/payments`, { headers: bearer(FAULT_TOKEN) });
      expect(open.status).toBe(503);
      expect(open.headers['www-authenticate']).toBeUndefined();

      const [retried, outage, , refused] = introspections(telemetry.takeSpans());
      const port = Number(new URL(fault.endpoint).port);
      expect(retried.span.attributes).toEqual({
        'introspection.outcome': 'active',
        'introspection.cache': 'off',
        'introspection.attempts': 2,
        'server.address': '127.0.0.1',
        'server.port': port,
        'http.request.method': 'POST',
        'http.response.status_code': 200,
      });
      expect(retried.span.events.map(({ name, attributes }) => ({ name, attributes }))).toEqual([
        {
          name: 'introspection.retry',
          attributes: { 'introspection.attempt': 1, 'introspection.retry.delay': expect.any(Number) },
        },
      ]);
      expect(outage.span.attributes).toEqual({
        'introspection.outcome': 'unavailable',
        'introspection.cache': 'off',
        'introspection.attempts': 2,
        'server.address': '127.0.0.1',
        'server.port': port,
        'http.request.method': 'POST',
        'error.type': 'unavailable',
      });
      expect(outage.span.status).toEqual({ code: 2, message: 'unavailable' });
      expect(outage.span.events.map(({ name }) => name)).toEqual(['introspection.retry']);
      expect(decisionsOf(outage.request)).toEqual([
        { 'introspection.decision': 'deny', 'http.response.status_code': 503 },
      ]);
      expect(refused.span.attributes).toMatchObject({
        'introspection.outcome': 'circuit_open',
        'introspection.attempts': 0,
        'error.type': 'circuit_open',
      });
      expect(refused.span.status.code).toBe(2);
      expect(refused.span.events).toEqual([]);

      const points = await telemetry.collect();
      expect(point(points, 'introspection.client.duration', { 'introspection.outcome': 'active' })).toBe(1);
      expect(point(points, 'introspection.client.duration', { 'introspection.outcome': 'unavailable' })).toBe(
        2,
      );
      expect(
        point(points, 'introspection.client.duration', { 'introspection.outcome': 'circuit_open' }),
      ).toBe(1);
      expect(point(points, 'introspection.client.retries')).toBe(3);
      expect(point(points, 'introspection.circuit_breaker.state', { 'server.port': port })).toBe(2);
      expect(point(points, 'introspection.decisions', { 'http.response.status_code': 503 })).toBe(3);
    });

    it('records the subject only when the application opts in, and never a token', async () => {
      demo = await startTraced(
        adapter,
        faultServerEnv(fault.endpoint, { INTROSPECTION_TELEMETRY_RECORD_SUBJECT: 'true' }),
      );
      fault.answerJson(200, { ...activeAnswer, exp: nowSeconds() + 600 });
      expect((await send(`${demo.url}/payments`, { headers: bearer(FAULT_TOKEN) })).status).toBe(200);

      const spans = telemetry.takeSpans();
      const [{ request, span }] = introspections(spans);
      expect(decisionsOf(request)).toEqual([
        { 'introspection.decision': 'allow', 'enduser.id': activeAnswer.sub },
      ]);
      const everything = JSON.stringify([
        spans.map(({ attributes, events }) => [attributes, events]),
        await telemetry.collect(),
      ]);
      expect(everything).not.toContain(FAULT_TOKEN);
      expect(everything.split(activeAnswer.sub)).toHaveLength(2);
      expect(Object.values(span.attributes)).not.toContain(activeAnswer.sub);
    });

    it('records no subject by default', async () => {
      demo = await startTraced(adapter, faultServerEnv(fault.endpoint));
      fault.answerJson(200, { ...activeAnswer, exp: nowSeconds() + 600 });
      expect((await send(`${demo.url}/payments`, { headers: bearer(FAULT_TOKEN) })).status).toBe(200);
      const spans = telemetry.takeSpans();
      const everything = JSON.stringify([
        spans.map(({ attributes, events }) => [attributes, events]),
        await telemetry.collect(),
      ]);
      expect(everything).not.toContain(activeAnswer.sub);
      expect(everything).not.toContain(FAULT_TOKEN);
    });

    it('counts the callers that join a lookup under way (single flight)', async () => {
      demo = await startTraced(adapter, faultServerEnv(fault.endpoint, { INTROSPECTION_TTL: '30s' }));
      let answer: (() => void) | undefined;
      const received = new Promise<void>((resolve) => {
        fault.answerWith((_request, res: ServerResponse) => {
          answer = () => {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ ...activeAnswer, exp: nowSeconds() + 600 }));
          };
          resolve();
        });
      });
      const first = send(`${demo.url}/payments`, { headers: bearer(FAULT_TOKEN) });
      await received;
      const joined = new Promise<void>((resolve) =>
        demo!.app.get(IntrospectionEvents).on('cache.joined', () => resolve()),
      );
      const second = send(`${demo.url}/payments`, { headers: bearer(FAULT_TOKEN) });
      await joined;
      answer!();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(fault.requests).toHaveLength(1);

      const caches = introspections(telemetry.takeSpans()).map(
        ({ span }) => span.attributes['introspection.cache'],
      );
      expect(caches.sort()).toEqual(['joined', 'miss']);
      const points = await telemetry.collect();
      expect(point(points, 'introspection.cache.single_flight.joins')).toBe(1);
      expect(point(points, 'introspection.cache.lookups', { 'introspection.cache': 'miss' })).toBe(1);
    });
  });
});
