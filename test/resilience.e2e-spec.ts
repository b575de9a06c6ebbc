import { FakeAuthorizationServer } from '../libs/introspection/test-support/fake-authorization-server';
import { EACH_CLIENT, faultServerEnv, ManualClock, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';

// The circuit breaker and stale-if-error as an API client sees them: status
// and headers, with the module's clock moved by hand.

const TOKEN = 'cmVzaWxpZW5jZS1lMmU';
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe.each(EACH_CLIENT)('demo API on %s/%s while the authorization server fails', (adapter, client) => {
  let fault: FakeAuthorizationServer;
  let demo: RunningDemo;
  let clock: ManualClock;

  beforeAll(async () => {
    fault = await FakeAuthorizationServer.start();
  });

  afterEach(async () => {
    await demo?.close();
  });

  afterAll(async () => {
    await fault?.close();
  });

  async function boot(env: Record<string, string> = {}): Promise<void> {
    clock = new ManualClock();
    demo = await startDemo(
      adapter,
      faultServerEnv(fault.endpoint, { INTROSPECTION_RETRIES: '0', INTROSPECTION_TRANSPORT: client, ...env }),
      {
        clock,
      },
    );
  }

  const callMe = (token = TOKEN) => send(`${demo.url}/me`, { headers: bearer(token) });
  const active = () => ({ active: true, token_type: 'Bearer', exp: nowSeconds() + 3600 });

  it('opens the breaker after 5 failures: 503 with Retry-After at once, then recovers after the cool-down', async () => {
    await boot({ INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN: '10s' });
    fault.answerJson(500, { error: 'server_error' });
    for (let i = 0; i < 5; i++) {
      expect((await callMe()).status).toBe(503);
    }
    expect(fault.requests).toHaveLength(5);

    fault.answerJson(200, active());
    const refused = await callMe();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expect(refused.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(fault.requests).toHaveLength(0);

    clock.advance(4_000);
    expect((await callMe()).headers['retry-after']).toBe('6');
    clock.advance(6_000);
    expect((await callMe()).status).toBe(200);
    expect((await callMe()).status).toBe(200);
    expect(fault.requests).toHaveLength(2);
  });

  it('does not open for a flood of garbage tokens', async () => {
    await boot({ INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '2' });
    fault.answerJson(400, { error: 'unsupported_token_type' });
    for (let i = 0; i < 10; i++) {
      const answer = await callMe(`garbage${i}`);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
      );
    }
    fault.answerJson(200, active());
    expect((await callMe()).status).toBe(200);
  });

  it.each<[string, number, unknown]>([
    ['400 invalid_request', 400, { error: 'invalid_request' }],
    ['403 from a WAF', 403, '<html>Request blocked</html>'],
    ['414 URI Too Long', 414, ''],
  ])(
    'does not open for garbage tokens answered %s: legitimate tokens still get in',
    async (_case, status, body) => {
      await boot({ INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '5' });
      fault.answerJson(status, body);
      for (let i = 0; i < 10; i++) {
        const answer = await callMe(`garbage${i}${'x'.repeat(i * 100)}`);
        expect(answer.status).toBe(502);
        expect(answer.headers['retry-after']).toBeUndefined();
      }
      expect(fault.requests).toHaveLength(10);
      fault.answerJson(200, active());
      expect((await callMe()).status).toBe(200);
    },
  );
});
