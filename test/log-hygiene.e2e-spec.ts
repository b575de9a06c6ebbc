import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeAuthorizationServer } from '../libs/introspection/test-support/fake-authorization-server';
import { ADAPTERS, demoBehindFakeServer, RunningDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { CAPTURE_DIR_VARIABLE, findLeaks } from './support/log-capture';

// The log capture behind the suite-wide check (see log-hygiene.teardown.ts):
// the check finds what it must, and the demo's warnings and errors, which
// the faults below provoke, are captured and free of the token and secret.

const TOKEN = 'bG9nLWh5Z2llbmUtdG9rZW4tOWQ0Yg';
const SECRET = 'log-hygiene-secret-7f3a:+/=';

describe('findLeaks', () => {
  const logs = new Map([
    ['logs-1.txt', `WARN all good\nERROR token ${TOKEN} leaked\n`],
    ['logs-2.txt', `LOG nothing\nWARN ${encodeURIComponent(SECRET)}\n`],
  ]);

  it('finds every line holding a secret, in any recorded form, and says where', () => {
    expect(findLeaks(logs, [TOKEN, encodeURIComponent(SECRET)])).toEqual([
      { file: 'logs-1.txt', line: 2, secret: 0 },
      { file: 'logs-2.txt', line: 2, secret: 1 },
    ]);
  });

  it('finds nothing in clean lines', () => {
    expect(findLeaks(logs, ['absent-secret-value'])).toEqual([]);
  });
});

describe.each(ADAPTERS)('log lines of the demo on %s under faults', (adapter) => {
  let as: FakeAuthorizationServer;
  let demo: RunningDemo;

  const running = demoBehindFakeServer(adapter, {
    INTROSPECTION_CLIENT_SECRET: SECRET,
    INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '3',
    INTROSPECTION_TIMEOUT: '300ms',
  });
  beforeAll(() => {
    ({ demo, fault: as } = running());
  });

  it('captures the warnings and errors, none holding the token or the secret', async () => {
    const call = () => send(`${demo.url}/me`, { headers: bearer(TOKEN) });
    // Answers that echo the token and the credentials back, as a broken server might.
    const echo = (status: number) =>
      as.answerWith((request, res) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: request.rawBody, auth: request.headers.authorization }));
      });
    echo(500);
    expect((await call()).status).toBe(503);
    echo(200);
    expect((await call()).status).toBe(502);
    echo(401);
    expect((await call()).status).toBe(502);
    // The breaker is open now.
    expect((await call()).status).toBe(503);

    const file = join(process.env[CAPTURE_DIR_VARIABLE]!, `logs-${process.pid}.txt`);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.some((line) => line.includes('answering 503'))).toBe(true);
    expect(lines.some((line) => line.includes('answering 502'))).toBe(true);
    expect(lines.some((line) => line.includes('Circuit breaker'))).toBe(true);
    const forms = [
      TOKEN,
      SECRET,
      encodeURIComponent(SECRET),
      new URLSearchParams({ s: SECRET }).toString().slice(2),
    ];
    expect(findLeaks(new Map([[file, lines.join('\n')]]), forms)).toEqual([]);
  });
});
