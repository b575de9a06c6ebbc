import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { ServerResponse } from 'node:http';
import {
  AnswerHandler,
  closedPort,
  FakeAuthorizationServer,
} from '../libs/introspection/test-support/fake-authorization-server';
import {
  ADAPTERS,
  demoBehindFakeServer,
  EACH_CLIENT,
  faultServerEnv,
  RunningDemo,
  startDemo,
} from './support/demo-app';
import { send } from './support/http';
import { rawRequest } from './support/raw-http';

// The hostile-input catalog: requests and authorization-server answers an
// attacker or a broken peer can produce. Every case asserts the exact status,
// the exact WWW-Authenticate header (or its absence), how many times the
// authorization server was asked, and that nothing was granted. The authorization
// server answers "active, read:payments" unless a case says otherwise, so a
// case that leaks through the parsers would get the payments.
//
// To extend: add rows to the tables (client assertions go in a table of their
// own once they need one). JWT introspection responses (RFC 9701) have theirs:
// JWT_RESPONSE_CASES, answered with retries on, so each must also stay at one
// request.

const REALM = 'demo';
const TOKEN = 'aG9zdGlsZS1pbnB1dA';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const activeAnswer = (claims: Record<string, unknown> = {}) => ({
  active: true,
  token_type: 'Bearer',
  scope: 'read:payments',
  exp: nowSeconds() + 600,
  ...claims,
});

const MISSING = `Bearer realm="${REALM}"`;
const invalidRequest = (description: string) =>
  `Bearer realm="${REALM}", error="invalid_request", error_description="${description}"`;
const invalidToken = (description = 'The access token is not active.') =>
  `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`;
const SENDER_CONSTRAINED =
  'The access token is sender-constrained (cnf) and this API cannot verify the binding.';
const DPOP_ALGS = 'ES256 ES384 EdDSA RS256 PS256';
/** A DPoP-bound token sent as Bearer: the error on the Bearer challenge, DPoP offered beside it (RFC 9449 §7.2). */
const dpopBoundAsBearer: Expected = {
  status: 401,
  wwwAuthenticate: `${invalidToken('The access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof.')}, DPoP realm="${REALM}", algs="${DPOP_ALGS}"`,
  introspections: 1,
};
const NO_TOKEN = invalidRequest('The Authorization header carries no bearer token.');
const BAD_CHARS = invalidRequest('The bearer token contains characters RFC 6750 does not allow.');
const TOO_LONG = invalidRequest('The bearer token is too long.');
const TWO_HEADERS = invalidRequest('The request carries more than one Authorization header.');

/** What a case expects: `wwwAuthenticate: null` means the header must be absent. */
interface Expected {
  readonly status: number;
  readonly wwwAuthenticate: string | null;
  /** Requests the authorization server must have received. */
  readonly introspections: number;
  readonly retryAfter?: string;
}

interface HeaderCase {
  readonly name: string;
  /** Headers sent through node:http, or … */
  readonly headers?: Record<string, string | string[]>;
  /** … the raw request head for what node:http will not send. */
  readonly raw?: string | Buffer;
  readonly path?: string;
  readonly expected: Expected;
}

const refused = (status: number, wwwAuthenticate: string | null): Expected => ({
  status,
  wwwAuthenticate,
  introspections: 0,
});
const rawGet = (...headerLines: string[]) =>
  ['GET /payments HTTP/1.1', 'Host: 127.0.0.1', ...headerLines].join('\r\n');

const AUTHORIZATION_HEADER_CASES: HeaderCase[] = [
  { name: 'no Authorization header', headers: {}, expected: refused(401, MISSING) },
  {
    name: 'Basic credentials',
    headers: { authorization: 'Basic ZGVtbzpkZW1v' },
    expected: refused(401, MISSING),
  },
  {
    name: 'Digest credentials',
    headers: { authorization: 'Digest username="x"' },
    expected: refused(401, MISSING),
  },
  {
    // Read (RFC 9449 §7.1) and introspected: the token is not DPoP-bound.
    name: 'the DPoP scheme, for a token that is not DPoP-bound',
    headers: { authorization: `DPoP ${TOKEN}` },
    expected: {
      status: 401,
      wwwAuthenticate: `${MISSING}, DPoP realm="${REALM}", algs="${DPOP_ALGS}", error="invalid_token", error_description="The access token is not DPoP-bound; send it with the Bearer scheme."`,
      introspections: 1,
    },
  },
  {
    name: 'a scheme glued to the token',
    headers: { authorization: `Bearer${TOKEN}` },
    expected: refused(401, MISSING),
  },
  { name: 'a bare token, no scheme', headers: { authorization: TOKEN }, expected: refused(401, MISSING) },
  { name: 'an empty header', headers: { authorization: '' }, expected: refused(401, MISSING) },
  { name: 'only spaces', raw: rawGet('Authorization:    '), expected: refused(401, MISSING) },
  {
    name: '"Bearer" and nothing else',
    headers: { authorization: 'Bearer' },
    expected: refused(400, NO_TOKEN),
  },
  {
    name: '"Bearer" and trailing spaces',
    raw: rawGet('Authorization: Bearer    '),
    expected: refused(400, NO_TOKEN),
  },
  {
    name: '"Bearer:" with a colon',
    headers: { authorization: `Bearer: ${TOKEN}` },
    expected: refused(401, MISSING),
  },
  {
    name: 'a tab after the scheme',
    headers: { authorization: `Bearer\t${TOKEN}` },
    expected: refused(400, NO_TOKEN),
  },
  {
    name: 'a space inside the token',
    headers: { authorization: 'Bearer abc def' },
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'a quoted token',
    headers: { authorization: `Bearer "${TOKEN}"` },
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'a comma-separated second token',
    headers: { authorization: `Bearer ${TOKEN}, Bearer other` },
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'a comma in the token',
    headers: { authorization: 'Bearer abc,def' },
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'a semicolon parameter',
    headers: { authorization: `Bearer ${TOKEN};admin=1` },
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'auth-param syntax',
    headers: { authorization: `Bearer token="${TOKEN}"` },
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'padding in the middle',
    headers: { authorization: 'Bearer abc=def' },
    expected: refused(400, BAD_CHARS),
  },
  { name: 'only padding', headers: { authorization: 'Bearer ==' }, expected: refused(400, BAD_CHARS) },
  {
    name: 'a percent-encoded token',
    headers: { authorization: 'Bearer abc%20def' },
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'non-ASCII (UTF-8) in the token',
    raw: Buffer.concat([
      Buffer.from(rawGet('Authorization: Bearer t'), 'latin1'),
      Buffer.from('ökén', 'utf8'),
    ]),
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'Latin-1 bytes in the token',
    raw: rawGet('Authorization: Bearer t\xf6k\xe9n'),
    expected: refused(400, BAD_CHARS),
  },
  {
    name: 'a CR LF injecting a second Authorization header',
    raw: rawGet(`Authorization: Bearer ${TOKEN}\r\nAuthorization: Bearer injected`),
    expected: refused(400, TWO_HEADERS),
  },
  {
    name: 'a bare LF inside the value',
    raw: rawGet(`Authorization: Bearer abc\ndef`),
    expected: refused(400, null),
  },
  {
    name: 'a bare CR inside the value',
    raw: rawGet(`Authorization: Bearer abc\rdef`),
    expected: refused(400, null),
  },
  {
    name: 'a NUL byte inside the value',
    raw: rawGet(`Authorization: Bearer abc\0def`),
    expected: refused(400, null),
  },
  {
    name: 'an obs-fold continuation line',
    raw: rawGet('Authorization: Bearer', ` ${TOKEN}`),
    expected: refused(400, null),
  },
  {
    name: 'a 4 KiB + 1 token (refused without a call)',
    headers: { authorization: `Bearer ${'a'.repeat(4097)}` },
    expected: refused(400, TOO_LONG),
  },
  {
    name: 'a 12 KiB token',
    headers: { authorization: `Bearer ${'b'.repeat(12 * 1024)}` },
    expected: refused(400, TOO_LONG),
  },
  {
    name: 'a header beyond the server limit (32 KiB)',
    headers: { authorization: `Bearer ${'c'.repeat(32 * 1024)}` },
    expected: refused(431, null),
  },
  {
    name: 'two Authorization headers',
    headers: { authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}x`] },
    expected: refused(400, TWO_HEADERS),
  },
  {
    name: 'two identical Authorization headers',
    headers: { authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] },
    expected: refused(400, TWO_HEADERS),
  },
  {
    name: 'a Bearer and a Basic header',
    headers: { authorization: ['Basic ZGVtbzpkZW1v', `Bearer ${TOKEN}`] },
    expected: refused(400, TWO_HEADERS),
  },
  {
    name: 'a token in the query string only',
    path: `/payments?access_token=${TOKEN}`,
    headers: {},
    expected: refused(401, MISSING),
  },
  {
    name: 'a token in a cookie only',
    headers: { cookie: `access_token=${TOKEN}` },
    expected: refused(401, MISSING),
  },
  {
    name: 'a token in X-Access-Token only',
    headers: { 'x-access-token': TOKEN },
    expected: refused(401, MISSING),
  },
  {
    name: 'a token in Proxy-Authorization only',
    headers: { 'proxy-authorization': `Bearer ${TOKEN}` },
    expected: refused(401, MISSING),
  },
];

interface AnswerCase {
  readonly name: string;
  readonly answer: AnswerHandler;
  readonly expected: Expected;
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): AnswerHandler =>
  (_request, res: ServerResponse) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const malformed: Expected = { status: 502, wwwAuthenticate: null, introspections: 1 };
const outage = (introspections: number): Expected => ({ status: 503, wwwAuthenticate: null, introspections });
const inactive = (description?: string): Expected => ({
  status: 401,
  wwwAuthenticate: invalidToken(description),
  introspections: 1,
});

const RESPONSE_CASES: AnswerCase[] = [
  {
    name: '"exp" in milliseconds (55,000 years ahead if read as seconds)',
    answer: json(200, activeAnswer({ exp: (nowSeconds() + 600) * 1000 })),
    expected: malformed,
  },
  {
    name: 'an active answer labelled text/html (an error page or a proxy)',
    answer: json(200, activeAnswer(), { 'Content-Type': 'text/html' }),
    expected: malformed,
  },
  {
    name: 'an active answer without a Content-Type',
    answer: (_request, res: ServerResponse) => {
      res.removeHeader('Content-Type');
      res.writeHead(200);
      res.end(JSON.stringify(activeAnswer()));
    },
    expected: malformed,
  },
  {
    name: '"active": "true" (a string)',
    answer: json(200, { ...activeAnswer(), active: 'true' }),
    expected: malformed,
  },
  { name: '"active": 1', answer: json(200, { ...activeAnswer(), active: 1 }), expected: malformed },
  { name: '"active": null', answer: json(200, { ...activeAnswer(), active: null }), expected: malformed },
  { name: '"active": [true]', answer: json(200, { ...activeAnswer(), active: [true] }), expected: malformed },
  { name: '"active": {}', answer: json(200, { ...activeAnswer(), active: {} }), expected: malformed },
  {
    name: 'no "active" member',
    answer: json(200, { ...activeAnswer(), active: undefined }),
    expected: malformed,
  },
  {
    name: '"ACTIVE": true (wrong case)',
    answer: json(200, { ...activeAnswer(), active: undefined, ACTIVE: true }),
    expected: malformed,
  },
  { name: 'a null body', answer: json(200, 'null'), expected: malformed },
  { name: 'an array body', answer: json(200, JSON.stringify([activeAnswer()])), expected: malformed },
  {
    name: 'a JSON string body',
    answer: json(200, JSON.stringify(JSON.stringify(activeAnswer()))),
    expected: malformed,
  },
  { name: 'the bare word true', answer: json(200, 'true'), expected: malformed },
  { name: 'an empty body', answer: json(200, ''), expected: malformed },
  {
    name: 'a truncated body',
    answer: json(200, JSON.stringify(activeAnswer()).slice(0, 20)),
    expected: malformed,
  },
  {
    name: 'trailing garbage after the object',
    answer: json(200, `${JSON.stringify(activeAnswer())}x`),
    expected: malformed,
  },
  {
    name: 'two concatenated objects',
    answer: json(200, `${JSON.stringify(activeAnswer())}{"active":false}`),
    expected: malformed,
  },
  {
    name: '"exp" as a string',
    answer: json(200, activeAnswer({ exp: String(nowSeconds() + 600) })),
    expected: malformed,
  },
  {
    name: '"exp" overflowing to Infinity (1e400)',
    answer: json(200, JSON.stringify(activeAnswer()).replace(/"exp":\d+/, '"exp":1e400')),
    expected: malformed,
  },
  {
    name: '"exp" negative',
    answer: json(200, activeAnswer({ exp: -1 })),
    expected: inactive('The access token has expired.'),
  },
  {
    name: '"exp" 0',
    answer: json(200, activeAnswer({ exp: 0 })),
    expected: inactive('The access token has expired.'),
  },
  {
    name: '"nbf" far in the future',
    answer: json(200, activeAnswer({ nbf: 99_999_999_999 })),
    expected: inactive('The access token is not valid yet.'),
  },
  {
    name: '"scope" as an array',
    answer: json(200, activeAnswer({ scope: ['read:payments'] })),
    expected: malformed,
  },
  { name: '"scope" as a number', answer: json(200, activeAnswer({ scope: 1 })), expected: malformed },
  { name: '"aud" as a number', answer: json(200, activeAnswer({ aud: 42 })), expected: malformed },
  { name: '"sub" as an object', answer: json(200, activeAnswer({ sub: { id: 1 } })), expected: malformed },
  {
    name: '"active" only through __proto__',
    answer: json(200, '{"__proto__":{"active":true},"scope":"read:payments"}'),
    expected: malformed,
  },
  {
    name: '"active": false with __proto__ saying true',
    answer: json(200, '{"active":false,"__proto__":{"active":true,"scope":"read:payments"}}'),
    expected: inactive(),
  },
  {
    name: 'a "constructor" member saying active',
    answer: json(200, '{"constructor":{"prototype":{"active":true}}}'),
    expected: malformed,
  },
  {
    name: 'duplicate "active" keys, false then true',
    answer: json(200, '{"active":false,"active":true,"scope":"read:payments","token_type":"Bearer"}'),
    expected: malformed,
  },
  {
    name: 'duplicate "active" keys, escaped',
    answer: json(200, '{"active":false,"\\u0061ctive":true,"scope":"read:payments","token_type":"Bearer"}'),
    expected: malformed,
  },
  {
    name: 'duplicate "scope" keys',
    answer: json(200, JSON.stringify(activeAnswer()).replace('{', '{"scope":"admin",')),
    expected: malformed,
  },
  {
    name: 'an HTML error page with status 200',
    answer: (_request, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Error</body></html>'),
    expected: malformed,
  },
  {
    name: 'an HTML error page with status 500',
    answer: (_request, res) =>
      res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html><body>Error</body></html>'),
    expected: outage(1),
  },
  {
    name: '"active": true with token_type DPoP and no cnf.jkt',
    answer: json(200, activeAnswer({ token_type: 'DPoP' })),
    expected: inactive('The access token is of type DPoP but bound to no key (cnf.jkt).'),
  },
  {
    name: 'token_type Bearer with cnf x5t#S256 (certificate-bound, no certificate checked)',
    answer: json(200, activeAnswer({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } })),
    expected: inactive(
      'The access token is bound to a client certificate (cnf x5t#S256) and the request presented none.',
    ),
  },
  {
    name: 'token_type Bearer with cnf jkt (DPoP-bound, sent as Bearer without a proof)',
    answer: json(200, activeAnswer({ cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } })),
    expected: dpopBoundAsBearer,
  },
  {
    name: 'token_type Bearer with a confirmation method this API does not verify (cnf jwk)',
    answer: json(200, activeAnswer({ cnf: { jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } } })),
    expected: inactive(SENDER_CONSTRAINED),
  },
  {
    name: 'token_type bearer (lower case) with an empty cnf',
    answer: json(200, activeAnswer({ token_type: 'bearer', cnf: {} })),
    expected: inactive(SENDER_CONSTRAINED),
  },
  {
    name: 'no token_type, with cnf',
    answer: json(200, activeAnswer({ token_type: undefined, cnf: { jkt: 'abc' } })),
    expected: dpopBoundAsBearer,
  },
  {
    name: 'no token_type and no aud (what oidc-provider answers for a refresh token)',
    answer: json(200, activeAnswer({ token_type: undefined, sub: 'someone' })),
    expected: inactive('The token is not an access token.'),
  },
  {
    name: 'token_type Bearer with token_use refresh_token (an Ory Hydra refresh token)',
    answer: json(200, activeAnswer({ token_use: 'refresh_token', aud: ['api'] })),
    expected: inactive('The token is not an access token.'),
  },
  {
    name: 'token_type Bearer with typ Refresh (a Keycloak refresh token)',
    answer: json(200, activeAnswer({ typ: 'Refresh', aud: ['api'] })),
    expected: inactive('The token is not an access token.'),
  },
  {
    name: 'token_type DPoP with cnf jkt, sent as Bearer',
    answer: json(200, activeAnswer({ token_type: 'DPoP', cnf: { jkt: 'abc' } })),
    expected: dpopBoundAsBearer,
  },
  { name: '"cnf" as a string', answer: json(200, activeAnswer({ cnf: 'x5t#S256' })), expected: malformed },
  { name: '"cnf": null', answer: json(200, activeAnswer({ cnf: null })), expected: malformed },
  {
    name: 'duplicate "cnf" keys, the binding then an empty one',
    answer: json(200, JSON.stringify(activeAnswer()).replace('{', '{"cnf":{"jkt":"abc"},"cnf":{},')),
    expected: malformed,
  },
  {
    name: 'a 400 unsupported_token_type',
    answer: json(400, { error: 'unsupported_token_type' }),
    expected: inactive(),
  },
  { name: 'a 400 invalid_request', answer: json(400, { error: 'invalid_request' }), expected: malformed },
  { name: 'a 401 invalid_client', answer: json(401, { error: 'invalid_client' }), expected: malformed },
  // Token-specific refusals of a server, gateway or WAF: 502, never retried
  // (and, in the resilience suite, never counted by the breaker).
  { name: 'a 403 from a WAF (an HTML page)', answer: json(403, '<html>Blocked</html>'), expected: malformed },
  { name: 'a 413 from a gateway', answer: json(413, ''), expected: malformed },
  { name: 'a 414 URI Too Long', answer: json(414, ''), expected: malformed },
  { name: 'a 431 from a gateway', answer: json(431, ''), expected: malformed },
  { name: 'a 403 with active:true in the body', answer: json(403, activeAnswer()), expected: malformed },
  { name: 'a 201 with active:true in the body', answer: json(201, activeAnswer()), expected: malformed },
  { name: 'a 204 without body', answer: (_request, res) => res.writeHead(204).end(), expected: malformed },
];

/** An outage answered with `Retry-After: sent`, passed on to the client as `passedOn` (an integer, or nothing). */
const retryAfterCase = (
  name: string,
  status: 429 | 503,
  sent: string,
  passedOn: string | undefined,
): AnswerCase => ({
  name: `HTTP ${status} with Retry-After ${name}`,
  answer: json(status, {}, { 'Retry-After': sent }),
  // 503 is retried once, 429 never.
  expected: { ...outage(status === 503 ? 2 : 1), retryAfter: passedOn },
});

const TRANSPORT_CASES: AnswerCase[] = [
  { name: 'HTTP 500 (not retried)', answer: json(500, { error: 'server_error' }), expected: outage(1) },
  { name: 'HTTP 502 (retried once)', answer: json(502, {}), expected: outage(2) },
  { name: 'HTTP 503 (retried once)', answer: json(503, {}), expected: outage(2) },
  { name: 'HTTP 504 (retried once)', answer: json(504, {}), expected: outage(2) },
  {
    name: 'HTTP 429 with Retry-After (not retried)',
    answer: json(429, {}, { 'Retry-After': '30' }),
    expected: { ...outage(1), retryAfter: '30' },
  },
  retryAfterCase('999999999999999999999999 (clamped to one hour)', 429, '999999999999999999999999', '3600'),
  retryAfterCase(
    'an HTTP date far ahead (clamped to one hour)',
    503,
    'Fri, 31 Dec 9999 23:59:59 GMT',
    '3600',
  ),
  retryAfterCase('an HTTP date in the past', 429, 'Tue, 01 Jan 2019 00:00:00 GMT', '0'),
  retryAfterCase('garbage (dropped)', 429, '1e3; <script>', undefined),
  retryAfterCase('a fraction (dropped)', 429, '1.5', undefined),
  { name: 'HTTP 503 with active:true in the body', answer: json(503, activeAnswer()), expected: outage(2) },
  {
    name: 'a connection reset mid-body (retried once)',
    answer: (_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '200' });
      res.write('{"active":true,');
      setImmediate(() => res.socket?.destroy());
    },
    expected: outage(2),
  },
  { name: 'no answer within the deadline', answer: () => undefined, expected: outage(1) },
  {
    name: 'a slow-drip body cut at the deadline',
    answer: (_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"active":true');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    },
    expected: outage(1),
  },
  {
    name: 'a huge body (over maxResponseBytes)',
    answer: json(200, activeAnswer({ padding: 'x'.repeat(100_000) })),
    expected: malformed,
  },
  {
    name: 'a huge chunked body without Content-Length',
    answer: (_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"active":true,"padding":"');
      for (let i = 0; i < 20; i++) res.write('y'.repeat(4096));
      res.end('"}');
    },
    expected: malformed,
  },
  {
    name: 'a redirect (not followed)',
    answer: (_request, res) => res.writeHead(307, { Location: '/introspect-elsewhere' }).end(),
    expected: malformed,
  },
  {
    name: 'a redirect to another host (not followed)',
    answer: (_request, res) => res.writeHead(302, { Location: 'http://127.0.0.2/steal' }).end(),
    expected: malformed,
  },
];

/** Nothing of the protected resource in the answer. */
function expectNothingGranted(status: number, body: string): void {
  expect(status).not.toBe(200);
  expect(body).not.toContain('amount');
}

describe.each(EACH_CLIENT)('hostile input on %s/%s', (adapter, client) => {
  let as: FakeAuthorizationServer;
  let demo: RunningDemo;

  const running = demoBehindFakeServer(adapter, {
    INTROSPECTION_TRANSPORT: client,
    INTROSPECTION_TIMEOUT: '300ms',
    INTROSPECTION_MAX_RESPONSE_BYTES: '8192',
    // Every case fails on purpose; the breaker has its own suite.
    INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '0',
  });
  beforeAll(() => {
    ({ demo, fault: as } = running());
  });

  beforeEach(() => as.answerJson(200, activeAnswer()));

  function expectAnswer(
    answer: { status: number; headers: Record<string, string | string[] | undefined>; body: string },
    expected: Expected,
  ): void {
    expect(answer.status).toBe(expected.status);
    expect(answer.headers['www-authenticate'] ?? null).toBe(expected.wwwAuthenticate);
    expect(answer.headers['retry-after']).toBe(expected.retryAfter);
    expect(as.requests).toHaveLength(expected.introspections);
    expectNothingGranted(answer.status, answer.body);
  }

  it('grants access to a well-formed request with an active answer (the control case)', async () => {
    const answer = await send(`${demo.url}/payments`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('amount');
  });

  it.each(AUTHORIZATION_HEADER_CASES.map((c) => [c.name, c] as const))(
    'Authorization: %s',
    async (_name, c) => {
      const answer = c.raw
        ? await rawRequest(demo.url, c.raw)
        : await send(`${demo.url}${c.path ?? '/payments'}`, { headers: c.headers });
      expectAnswer(answer, c.expected);
    },
  );

  it.each(RESPONSE_CASES.map((c) => [c.name, c] as const))('introspection response: %s', async (_name, c) => {
    as.answerWith(c.answer);
    const answer = await send(`${demo.url}/payments`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expectAnswer(answer, c.expected);
    expect(({} as Record<string, unknown>).active).toBeUndefined();
  });

  it.each(TRANSPORT_CASES.map((c) => [c.name, c] as const))('transport: %s', async (_name, c) => {
    as.answerWith(c.answer);
    const answer = await send(`${demo.url}/payments`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expectAnswer(answer, c.expected);
  });
});

/** A JWT answer case: the body and status /introspect answers, given the server's signing key. */
interface JwtAnswerCase {
  readonly name: string;
  readonly answer: (key: CryptoKey) => Promise<{ status: number; type: string; body: string }>;
  readonly expected: Expected;
}

const JWT_MEDIA_TYPE = 'application/token-introspection+jwt';
const JWT_CLIENT_ID = 'demo-api';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** The claims of a JWT answer (RFC 9701 §5) for `as`, wrapping `introspection`. */
const jwtClaims = (issuer: string, introspection: unknown = activeAnswer()) => ({
  iss: issuer,
  aud: JWT_CLIENT_ID,
  iat: nowSeconds(),
  token_introspection: introspection,
});
let jwtIssuer = '';
const signed =
  (introspection: unknown = activeAnswer(), status = 200) =>
  async (key: CryptoKey) => ({
    status,
    type: JWT_MEDIA_TYPE,
    body: await new SignJWT(jwtClaims(jwtIssuer, introspection))
      .setProtectedHeader({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'server-key' })
      .sign(key),
  });
const literal =
  (body: string, type = JWT_MEDIA_TYPE, status = 200) =>
  () =>
    Promise.resolve({ status, type, body });

const JWT_RESPONSE_CASES: JwtAnswerCase[] = [
  {
    name: 'unsigned (alg none)',
    answer: async () =>
      literal(
        `${b64url({ alg: 'none', typ: 'token-introspection+jwt' })}.${b64url(jwtClaims(jwtIssuer))}.`,
      )(),
    expected: malformed,
  },
  { name: 'three empty parts', answer: literal('..'), expected: malformed },
  { name: 'an empty body', answer: literal(''), expected: malformed },
  {
    name: 'a truncated JWT',
    answer: async (key) => {
      const { body } = await signed()(key);
      return literal(body.slice(0, body.length - 10))();
    },
    expected: malformed,
  },
  {
    name: 'the JSON answer instead of a JWT (a downgrade)',
    answer: literal(JSON.stringify(activeAnswer()), 'application/json'),
    expected: malformed,
  },
  {
    name: 'a well-signed JWT whose "active" is the string "true"',
    answer: signed({ ...activeAnswer(), active: 'true' }),
    expected: malformed,
  },
  {
    name: 'a well-signed JWT without token_introspection',
    answer: async (key) => ({
      status: 200,
      type: JWT_MEDIA_TYPE,
      body: await new SignJWT({ iss: jwtIssuer, aud: JWT_CLIENT_ID, iat: nowSeconds(), ...activeAnswer() })
        .setProtectedHeader({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'server-key' })
        .sign(key),
    }),
    expected: malformed,
  },
  {
    name: 'a JWT past maxResponseBytes',
    answer: signed({ ...activeAnswer(), padding: 'x'.repeat(9000) }),
    expected: malformed,
  },
  {
    name: 'a well-signed JWT on a 503 (an outage, retried once)',
    answer: signed(activeAnswer(), 503),
    expected: outage(2),
  },
];

describe.each(EACH_CLIENT)('hostile JWT introspection responses on %s/%s', (adapter, client) => {
  let as: FakeAuthorizationServer;
  let demo: RunningDemo;
  let key: CryptoKey;
  let publicJwk: JWK;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'server-key', alg: 'RS256', use: 'sig' };
    as = await FakeAuthorizationServer.start();
    jwtIssuer = as.origin;
    demo = await startDemo(
      adapter,
      faultServerEnv(as.endpoint, {
        INTROSPECTION_TRANSPORT: client,
        INTROSPECTION_ISSUER: as.origin,
        INTROSPECTION_JWKS_URI: `${as.origin}/jwks`,
        INTROSPECTION_RESPONSE_FORMAT: 'jwt',
        INTROSPECTION_MAX_RESPONSE_BYTES: '8192',
        // Retries on: an unusable answer must still cost exactly one request.
        INTROSPECTION_RETRIES: '1',
        // Every case fails on purpose; the breaker has its own suite.
        INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '0',
      }),
    );
  });

  afterAll(async () => {
    await demo?.close();
    await as?.close();
  });

  async function answerWith(c: Pick<JwtAnswerCase, 'answer'>): Promise<void> {
    jwtIssuer = as.origin;
    const { status, type, body } = await c.answer(key);
    as.answerWith((request, res) => {
      if (request.path === '/jwks') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: [publicJwk] }));
        return;
      }
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    });
  }

  it('grants access to a well-signed active answer (the control case)', async () => {
    await answerWith({ answer: signed() });
    const answer = await send(`${demo.url}/payments`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(200);
    expect(as.requestsTo('/introspect')).toHaveLength(1);
  });

  it.each(JWT_RESPONSE_CASES.map((c) => [c.name, c] as const))('JWT response: %s', async (_name, c) => {
    await answerWith(c);
    const answer = await send(`${demo.url}/payments`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(c.expected.status);
    expect(answer.headers['www-authenticate'] ?? null).toBe(c.expected.wwwAuthenticate);
    expect(as.requestsTo('/introspect')).toHaveLength(c.expected.introspections);
    expectNothingGranted(answer.status, answer.body);
  });
});

describe.each(ADAPTERS)('hostile environment on %s', (adapter) => {
  const base = {
    INTROSPECTION_CLIENT_ID: 'demo-api',
    INTROSPECTION_CLIENT_SECRET: 'demo-api-secret',
    INTROSPECTION_REALM: REALM,
  };

  it('answers 503 when the connection is refused (retried once)', async () => {
    const port = await closedPort();
    const demo = await startDemo(adapter, {
      ...base,
      INTROSPECTION_ENDPOINT: `http://127.0.0.1:${port}/introspect`,
      INTROSPECTION_RETRY_BACKOFF: '1ms',
    });
    try {
      const answer = await send(`${demo.url}/payments`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(answer.status).toBe(503);
      expect(answer.headers['www-authenticate']).toBeUndefined();
      expectNothingGranted(answer.status, answer.body);
    } finally {
      await demo.close();
    }
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'plain http to a remote host',
      { INTROSPECTION_ENDPOINT: 'http://as.example.com/introspect' },
      'endpoint',
    ],
    ['an ftp endpoint', { INTROSPECTION_ENDPOINT: 'ftp://127.0.0.1/introspect' }, 'endpoint'],
    [
      'credentials in the endpoint URL',
      { INTROSPECTION_ENDPOINT: 'https://u:p@as.example.com/i' },
      'endpoint',
    ],
    ['no endpoint', {}, 'endpoint'],
    ['too many retries', { INTROSPECTION_RETRIES: '50' }, 'transport.retries'],
    ['a retry count that is not a number', { INTROSPECTION_RETRIES: 'once' }, 'transport.retries'],
    ['a zero breaker cool-down', { INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN: '0s' }, 'breaker.cooldown'],
    ['staleIfError without ttl', { INTROSPECTION_STALE_IF_ERROR: '5m' }, 'cache.staleIfError'],
    [
      'a client certificate without its key',
      { INTROSPECTION_TLS_CERT: '-----BEGIN CERTIFICATE-----' },
      'transport.tls',
    ],
    ['an unknown HTTP client', { INTROSPECTION_TRANSPORT: 'fetch' }, 'transport.client'],
    ['a timeout that is not a duration', { INTROSPECTION_TIMEOUT: 'soon' }, 'transport.timeout'],
    ['a realm with a quote', { INTROSPECTION_REALM: 'de"mo' }, 'realm'],
    ['an unknown client auth method', { INTROSPECTION_ENDPOINT_AUTH_METHOD: 'magic' }, 'endpointAuthMethod'],
    [
      'a cache URL that is not Redis',
      { INTROSPECTION_TTL: '10s', INTROSPECTION_CACHE_URL: 'http://127.0.0.1:6379' },
      'cache.url',
    ],
    [
      'a Redis cache without a cache secret',
      { INTROSPECTION_TTL: '10s', INTROSPECTION_CACHE_URL: 'redis://127.0.0.1:6379' },
      'cache.secret',
    ],
    [
      'a cache secret that is too short',
      {
        INTROSPECTION_TTL: '10s',
        INTROSPECTION_CACHE_URL: 'redis://127.0.0.1:6379',
        INTROSPECTION_CACHE_SECRET: 'short-cache-secret',
      },
      'cache.secret',
    ],
    [
      'a previous cache secret that is too short',
      {
        INTROSPECTION_TTL: '10s',
        INTROSPECTION_CACHE_URL: 'redis://127.0.0.1:6379',
        INTROSPECTION_CACHE_SECRET: 'a-cache-secret-of-at-least-32-bytes',
        INTROSPECTION_CACHE_PREVIOUS_SECRET: 'short-old-cache-secret',
      },
      'cache.previousSecrets',
    ],
  ])('refuses to boot with %s, naming the option', async (_case, env, option) => {
    const endpoint: Record<string, string> =
      'INTROSPECTION_ENDPOINT' in env || _case === 'no endpoint'
        ? {}
        : { INTROSPECTION_ENDPOINT: 'https://as.example.com/introspect' };
    const error = await startDemo(adapter, { ...base, ...endpoint, ...env }).then(
      async (demo) => {
        await demo.close();
        throw new Error('the demo booted');
      },
      (reason: Error) => reason,
    );
    expect(error.name).toBe('IntrospectionConfigurationError');
    expect(error.message).toContain(`option "${option}"`);
    expect(error.message).not.toContain('demo-api-secret');
    for (const secret of [env.INTROSPECTION_CACHE_SECRET, env.INTROSPECTION_CACHE_PREVIOUS_SECRET]) {
      if (secret) expect(error.message).not.toContain(secret);
    }
  });

  it('keeps refusing inactive tokens and answering 503 for outages when the cache store is unreachable', async () => {
    const as = await FakeAuthorizationServer.start();
    const redisPort = await closedPort();
    const demo = await startDemo(adapter, {
      ...base,
      INTROSPECTION_ENDPOINT: as.endpoint,
      INTROSPECTION_TTL: '10s',
      INTROSPECTION_CACHE_URL: `redis://127.0.0.1:${redisPort}`,
      INTROSPECTION_CACHE_SECRET: 'hostile-input-cache-secret-0123456789',
      INTROSPECTION_RETRIES: '0',
    });
    try {
      as.answerJson(200, { active: false });
      const inactiveAnswer = await send(`${demo.url}/payments`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(inactiveAnswer.status).toBe(401);
      expect(inactiveAnswer.headers['www-authenticate']).toBe(invalidToken());
      as.answerJson(500, {});
      // Another token: the first one's inactive answer is in this instance's memory (cache.localTtl).
      const outageAnswer = await send(`${demo.url}/payments`, {
        headers: { authorization: `Bearer ${TOKEN}-2` },
      });
      expect(outageAnswer.status).toBe(503);
      expectNothingGranted(outageAnswer.status, outageAnswer.body);
    } finally {
      await demo.close();
      await as.close();
    }
  });
});
