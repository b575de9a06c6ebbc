import type { ServerResponse } from 'node:http';
import {
  AnswerHandler,
  FakeAuthorizationServer,
} from '../libs/introspection/test-support/fake-authorization-server';
import { rfc7662ExampleAnswer } from '../libs/introspection/test-support/rfc7662-example';
import { demoBehindFakeServer, EACH_CLIENT, RunningDemo } from './support/demo-app';
import { bearer, send } from './support/http';

// Faults oidc-provider never produces, from a small local server standing in
// for the authorization server. Each case asserts status and challenge.

const TOKEN = 'c29tZS1vcGFxdWUtdG9rZW4';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const activeAnswer = (claims: Record<string, unknown> = {}) => ({
  active: true,
  token_type: 'Bearer',
  scope: 'read:payments',
  exp: nowSeconds() + 600,
  ...claims,
});

describe.each(EACH_CLIENT)('demo API on %s/%s with a misbehaving authorization server', (adapter, client) => {
  let fault: FakeAuthorizationServer;
  let demo: RunningDemo;

  const running = demoBehindFakeServer(adapter, {
    INTROSPECTION_TRANSPORT: client,
    INTROSPECTION_TIMEOUT: '500ms',
    INTROSPECTION_MAX_RESPONSE_BYTES: '4096',
    // Every case here fails on purpose; the breaker has its own suite.
    INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '0',
  });
  beforeAll(() => {
    ({ demo, fault: fault } = running());
  });

  const callMe = () => send(`${demo.url}/me`, { headers: bearer(TOKEN) });

  it('grants access for a well-formed active answer (the control case)', async () => {
    fault.answerJson(200, activeAnswer());
    expect((await callMe()).status).toBe(200);
    // INTROSPECTION_TRANSPORT picked the client: axios names itself, undici sends no User-Agent.
    const userAgent = fault.lastRequest.headers['user-agent'];
    expect(client === 'axios' ? userAgent?.startsWith('axios/') : userAgent === undefined).toBe(true);
  });

  it.each([
    ['HTTP 500 (not retried)', 500, 1],
    ['HTTP 502 (retried once)', 502, 2],
    ['HTTP 503 (retried once)', 503, 2],
    ['HTTP 504 (retried once)', 504, 2],
  ])('answers 503 without a challenge for %s', async (_case, status, requests) => {
    fault.answerJson(status, { error: 'server_error' });
    const answer = await callMe();
    expect(answer.status).toBe(503);
    expect(answer.headers['www-authenticate']).toBeUndefined();
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(fault.requests).toHaveLength(requests);
  });

  it('answers 503 passing Retry-After on for HTTP 429', async () => {
    fault.answerJson(429, { error: 'slow_down' }, { 'retry-after': '7' });
    const answer = await callMe();
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.headers['www-authenticate']).toBeUndefined();
  });

  it.each<[string, AnswerHandler]>([
    ['garbage instead of JSON', (_request, res: ServerResponse) => res.end('{"active": tru')],
    ['an HTML error page', (_request, res: ServerResponse) => res.end('<html><body>Oops</body></html>')],
    ['"active":"true" (a string)', (_request, res: ServerResponse) => res.end('{"active":"true"}')],
    ['"active":1', (_request, res: ServerResponse) => res.end('{"active":1}')],
    ['no "active" member', (_request, res: ServerResponse) => res.end('{"scope":"read:payments"}')],
    ['a JSON array', (_request, res: ServerResponse) => res.end('[{"active":true}]')],
    [
      '"exp" as a string',
      (_request, res: ServerResponse) => res.end(JSON.stringify(activeAnswer({ exp: '9999999999' }))),
    ],
    [
      '"scope" as an array',
      (_request, res: ServerResponse) => res.end(JSON.stringify(activeAnswer({ scope: ['read:payments'] }))),
    ],
    [
      'a body over maxResponseBytes',
      (_request, res: ServerResponse) =>
        res.end(JSON.stringify(activeAnswer({ padding: 'x'.repeat(10_000) }))),
    ],
    [
      'a redirect',
      (_request, res: ServerResponse) => {
        res.writeHead(307, { location: '/elsewhere' });
        res.end();
      },
    ],
    [
      'invalid_client (our credentials rejected)',
      (_request, res: ServerResponse) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"invalid_client"}');
      },
    ],
  ])('answers 502 without a challenge for %s', async (_case, handler) => {
    fault.answerWith(handler);
    const answer = await callMe();
    expect(answer.status).toBe(502);
    expect(answer.headers['www-authenticate']).toBeUndefined();
    expect(answer.json()).toMatchObject({ statusCode: 502, error: 'server_error' });
    // A redirect is not followed: the server saw exactly one request.
    expect(fault.requests).toHaveLength(1);
  });

  it('answers 503 when the answer never comes', async () => {
    fault.answerWith(() => undefined);
    const answer = await callMe();
    expect(answer.status).toBe(503);
  });

  it('answers 503 when the body drips in slower than the deadline', async () => {
    fault.answerWith((_request, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"active":');
      // The rest never arrives within the 500 ms deadline.
      const timer = setTimeout(() => res.end('true}'), 5000);
      res.on('close', () => clearTimeout(timer));
    });
    const answer = await callMe();
    expect(answer.status).toBe(503);
  });

  it("grants access for RFC 7662 §2.2's own example answer (no token_type), dates moved to now", async () => {
    fault.answerJson(200, rfc7662ExampleAnswer(nowSeconds()));
    const answer = await callMe();
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({
      active: true,
      clientId: 'l238j323ds-23ij4',
      scopes: ['read', 'write', 'dolphin'],
    });
  });

  it.each([
    ['an expired exp', activeAnswer({ exp: nowSeconds() - 60 }), 'The access token has expired.'],
    ['an nbf in the future', activeAnswer({ nbf: nowSeconds() + 600 }), 'The access token is not valid yet.'],
    ['no token_type', activeAnswer({ token_type: undefined }), 'The token is not an access token.'],
    [
      'token_type DPoP without cnf.jkt',
      activeAnswer({ token_type: 'DPoP' }),
      'The access token is of type DPoP but bound to no key (cnf.jkt).',
    ],
  ])('answers 401 invalid_token for an "active" answer with %s', async (_case, body, description) => {
    fault.answerJson(200, body);
    const answer = await callMe();
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="demo", error="invalid_token", error_description="${description}"`,
    );
  });

  it('answers 401 invalid_token for active:false, whatever else the body says', async () => {
    fault.answerJson(200, { active: false, scope: 42, exp: 'never' });
    const answer = await callMe();
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
    );
  });
});
