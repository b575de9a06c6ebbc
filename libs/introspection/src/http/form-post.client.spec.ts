import { Test, TestingModule } from '@nestjs/testing';
import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { IntrospectionModule } from '../introspection.module';
import { closedPort, FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { drippingAnswer, jsonAnswer } from '../../test-support/fault-answers';
import { mergeOptions } from '../../test-support/option-at';
import { rejectionOf } from '../../test-support/rejection-of';
import { TRANSPORT_CLIENTS } from '../../test-support/transport-clients';
import { FormPostClient, FormPostOutcome } from './form-post.client';

// The transport guarantees, against a real local server, for each HTTP
// client of transport.client: keep-alive, one total deadline, the body cap
// while streaming, no redirects, no proxy from the environment, shutdown.

const TOKEN = 'dHJhbnNwb3J0LXRva2Vu+/=';
const BODY = new URLSearchParams({ token: TOKEN }).toString();
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
const TARGET = 'introspection endpoint';
const LIMIT = 1024;
const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'];

describe.each(TRANSPORT_CLIENTS)('FormPostClient over %s', (client) => {
  let as: FakeAuthorizationServer;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  afterAll(async () => {
    await as?.close();
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  async function formPost(options: Partial<IntrospectionModuleOptions> = {}): Promise<FormPostClient> {
    moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot(
          mergeOptions(
            {
              endpoint: as.endpoint,
              clientId: 'api',
              clientSecret: 's3cret',
              transport: { client, maxResponseBytes: LIMIT, timeout: '200ms' },
            },
            options,
          ),
        ),
      ],
    }).compile();
    await moduleRef.init();
    return moduleRef.get(FormPostClient);
  }

  const post = async (options?: Partial<IntrospectionModuleOptions>) =>
    (await formPost(options)).post(as.endpoint, { ...FORM }, BODY, TARGET);

  /** The failure of one send, which must be one. */
  function failure(outcome: FormPostOutcome): { error: Error; retryable: boolean } {
    if (!('error' in outcome)) {
      throw new Error(`Expected a transport failure, got HTTP ${outcome.response.status}.`);
    }
    expect(outcome.error.message).not.toContain(TOKEN);
    expect(outcome.error.message).not.toContain(BODY);
    return outcome;
  }

  /** A valid JSON answer exactly `size` bytes long. */
  function answerOfSize(size: number): string {
    const empty = JSON.stringify({ active: true, pad: '' });
    return JSON.stringify({ active: true, pad: 'x'.repeat(size - empty.length) });
  }

  it('sends the method, headers and body as given, and returns any status with lower-case headers', async () => {
    as.answerJson(429, { error: 'slow_down' }, { 'Retry-After': '7', 'X-Trace': 'abc' });

    const response = await post();

    expect(response).toEqual({
      status: 429,
      headers: expect.objectContaining({
        'retry-after': '7',
        'x-trace': 'abc',
        'content-type': 'application/json',
      }),
      body: '{"error":"slow_down"}',
    });
    const request = as.lastRequest;
    expect(request.method).toBe('POST');
    expect(request.rawBody).toBe(BODY);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.accept).toBe('application/json');
  });

  it('GETs with no body', async () => {
    as.answerJson(200, { active: false });

    const http = await formPost();
    const response = await http.get(`${as.endpoint}?token=abc`, { Accept: 'application/json' }, TARGET);

    expect(response.body).toBe('{"active":false}');
    expect(as.lastRequest).toMatchObject({ method: 'GET', path: '/introspect?token=abc', rawBody: '' });
  });

  it('reuses one keep-alive connection for requests one after the other', async () => {
    as.answerJson(200, { active: true });
    const http = await formPost();

    for (let i = 0; i < 3; i++) {
      await http.post(as.endpoint, { ...FORM }, BODY, TARGET);
    }

    expect(as.requests).toHaveLength(3);
    expect(as.connections).toBe(1);
  });

  it.each([301, 302, 303, 307, 308])('returns an HTTP %i redirect without following it', async (status) => {
    as.answerWith((request, res) => {
      res
        .writeHead(request.path === '/elsewhere' ? 200 : status, { Location: `${as.origin}/elsewhere` })
        .end();
    });

    expect((await post()).status).toBe(status);
    expect(as.requestsTo('/elsewhere')).toHaveLength(0);
  });

  it('reads an answer of exactly maxResponseBytes', async () => {
    as.answerJson(200, answerOfSize(LIMIT));

    expect((await post()).body).toHaveLength(LIMIT);
  });

  it.each([
    ['with a Content-Length', false],
    ['chunked', true],
  ])('refuses an answer one byte larger, sent %s, as malformed', async (_label, chunked) => {
    as.answerWith(jsonAnswer(answerOfSize(LIMIT + 1), chunked));

    const error = await rejectionOf(post());

    expect(error).toBeInstanceOf(IntrospectionResponseError);
    expect(error).toMatchObject({ reason: 'malformed_response' });
    expect(error.message).toBe(`The ${TARGET}'s answer exceeds ${LIMIT} bytes (maxResponseBytes).`);
  });

  it('gives up on a server that never answers once the deadline is over', async () => {
    as.answerWith(() => undefined);

    const error = await rejectionOf(post());

    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.message).toBe(`The ${TARGET} did not answer within 200 ms.`);
  });

  it('gives up on a body dripping in slower than the deadline, although bytes keep coming', async () => {
    // One byte every 20 ms, about 1 s in all: an inactivity timeout would never fire.
    as.answerWith(drippingAnswer(JSON.stringify({ active: true }) + ' '.repeat(35), 20));

    const error = await rejectionOf(post());

    expect(error.message).toBe(`The ${TARGET} did not answer within 200 ms.`);
  });

  it("stops at the caller's deadline, shared by its attempts", async () => {
    as.answerJson(200, { active: true });
    const deadline = new AbortController();
    deadline.abort();

    const outcome = await (
      await formPost()
    ).send('POST', as.endpoint, { ...FORM }, TARGET, BODY, deadline.signal);

    expect(failure(outcome)).toMatchObject({ retryable: false });
    expect(as.requests).toHaveLength(0);
  });

  it('reports a refused connection as worth retrying', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/introspect`;

    const outcome = await (await formPost()).send('POST', endpoint, { ...FORM }, TARGET, BODY);

    const { error, retryable } = failure(outcome);
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.message).toBe(`The ${TARGET} could not be reached (ECONNREFUSED).`);
    expect(retryable).toBe(true);
  });

  it('reports a connection reset mid-body as worth retrying', async () => {
    as.answerWith((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"active":');
      setImmediate(() => res.socket?.destroy());
    });

    const outcome = await (await formPost()).send('POST', as.endpoint, { ...FORM }, TARGET, BODY);

    const { error, retryable } = failure(outcome);
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.message).toMatch(/^The introspection endpoint could not be reached( \([A-Z_]+\))?\.$/);
    expect(retryable).toBe(true);
  });

  it('never goes through a proxy named by the environment', async () => {
    const proxy = await FakeAuthorizationServer.start();
    const saved = PROXY_VARIABLES.map((name) => [name, process.env[name]] as const);
    try {
      for (const name of PROXY_VARIABLES) {
        process.env[name] = proxy.origin;
      }
      as.answerJson(200, { active: true });

      expect((await post()).status).toBe(200);

      expect(as.requests).toHaveLength(1);
      expect(proxy.requests).toHaveLength(0);
      expect(proxy.connections).toBe(0);
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) {
          delete process.env[name];
        } else {
          process.env[name] = value;
        }
      }
      await proxy.close();
    }
  });

  it('aborts a request in flight when the module is destroyed', async () => {
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    as.answerWith(() => received());
    const http = await formPost({ transport: { timeout: '1h' } });

    const pending = rejectionOf(http.post(as.endpoint, { ...FORM }, BODY, TARGET));
    await arrived;
    await moduleRef!.close();
    moduleRef = undefined;

    const error = await pending;
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.message).toMatch(/^The introspection endpoint could not be reached( \([A-Z_]+\))?\.$/);
  });
});
