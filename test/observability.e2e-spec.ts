import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { FakeAuthorizationServer } from '../libs/introspection/test-support/fake-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { INTROSPECTION_HEALTH_INTERVAL } from '@app/introspection';
import { ADAPTERS, authorizationServerEnv, ManualClock, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';

// The demo's GET /metrics (prom-client fed by the module's events) and
// GET /health (a terminus indicator over IntrospectionHealth).

const clients = demoClients();
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

/** The value of one sample line of the Prometheus text, 0 when absent. */
function sample(metrics: string, line: string): number {
  const found = metrics.split('\n').find((entry) => entry.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

describe.each(ADAPTERS)('observability of the demo on %s', (adapter) => {
  let demo: RunningDemo;

  afterEach(async () => {
    await demo?.close();
  });

  it('counts introspections by outcome and cache lookups, and reports healthy', async () => {
    demo = await startDemo(adapter, {
      INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
      INTROSPECTION_CLIENT_ID: clients.introspectionClients.client_secret_basic.clientId,
      INTROSPECTION_CLIENT_SECRET: clients.introspectionClients.client_secret_basic.clientSecret!,
      INTROSPECTION_AUDIENCE: clients.audience,
      INTROSPECTION_TTL: '30s',
    });
    const token = await as.mintToken('read:payments', clients.audience);
    const revoked = await as.mintToken('read:payments', clients.audience);
    await as.revoke(revoked);

    expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
    expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
    expect((await send(`${demo.url}/me`, { headers: bearer(revoked) })).status).toBe(401);

    const metrics = await send(`${demo.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(sample(metrics.body, 'introspection_requests_total{outcome="active"}')).toBe(1);
    expect(sample(metrics.body, 'introspection_requests_total{outcome="inactive"}')).toBe(1);
    expect(sample(metrics.body, 'introspection_cache_lookups_total{result="hit"}')).toBe(1);
    expect(sample(metrics.body, 'introspection_cache_lookups_total{result="miss"}')).toBe(2);
    expect(sample(metrics.body, 'introspection_request_duration_seconds_count{outcome="active"}')).toBe(1);

    const health = await send(`${demo.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({
      status: 'ok',
      info: { introspection: { status: 'up', endpoint: 'up', cache: 'up' } },
    });
  });

  it('costs the authorization server one introspection per health interval, however often /health is hit', async () => {
    const clock = new ManualClock();
    demo = await startDemo(adapter, authorizationServerEnv(as), { clock });
    const before = await as.introspectionCount();
    await as.delayIntrospection(200);
    try {
      const concurrent = await Promise.all(Array.from({ length: 25 }, () => send(`${demo.url}/health`)));
      expect(concurrent.map(({ status }) => status)).toEqual(Array.from({ length: 25 }, () => 200));
    } finally {
      await as.delayIntrospection(0);
    }
    for (let i = 0; i < 10; i++) {
      expect((await send(`${demo.url}/health`)).status).toBe(200);
    }
    clock.advance(INTROSPECTION_HEALTH_INTERVAL - 1_000);
    expect((await send(`${demo.url}/health`)).status).toBe(200);
    expect((await as.introspectionCount()) - before).toBe(1);

    clock.advance(1_000);
    expect((await send(`${demo.url}/health`)).json()).toMatchObject({ status: 'ok' });
    expect((await as.introspectionCount()) - before).toBe(2);
  });

  it('reports the outage, the open breaker and unhealthy, naming no secret', async () => {
    const fault = await FakeAuthorizationServer.start();
    try {
      demo = await startDemo(adapter, {
        INTROSPECTION_ENDPOINT: fault.endpoint,
        INTROSPECTION_CLIENT_ID: 'demo-api',
        INTROSPECTION_CLIENT_SECRET: 'observability-secret-31c9',
        INTROSPECTION_RETRY_BACKOFF: '1ms',
        INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '2',
      });
      fault.answerJson(503, {});
      for (let i = 0; i < 3; i++) {
        expect((await send(`${demo.url}/me`, { headers: bearer('b2JzZXJ2YWJpbGl0eQ') })).status).toBe(503);
      }
      const metrics = (await send(`${demo.url}/metrics`)).body;
      expect(sample(metrics, 'introspection_requests_total{outcome="unavailable"}')).toBe(2);
      expect(sample(metrics, 'introspection_requests_total{outcome="circuit_open"}')).toBe(1);
      expect(sample(metrics, 'introspection_retries_total')).toBe(2);
      expect(sample(metrics, `introspection_circuit_breaker_open{endpoint="${fault.endpoint}"}`)).toBe(1);

      const health = await send(`${demo.url}/health`);
      expect(health.status).toBe(503);
      expect(health.json()).toMatchObject({
        status: 'error',
        error: { introspection: { status: 'down', endpoint: 'down: circuit breaker open' } },
      });
      expect(health.body).not.toContain('observability-secret-31c9');
    } finally {
      await fault.close();
    }
  });
});
