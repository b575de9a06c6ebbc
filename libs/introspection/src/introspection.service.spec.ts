import { Test, TestingModule } from '@nestjs/testing';
import { inspect } from 'node:util';
import { IntrospectionResponseError, IntrospectionUnavailableError } from './errors/introspection.errors';
import type { IntrospectionModuleOptions } from './interfaces/introspection-options.interface';
import { IntrospectionModule } from './introspection.module';
import { IntrospectionService } from './introspection.service';
import { closedPort, FakeAuthorizationServer } from '../test-support/fake-authorization-server';
import { drippingAnswer } from '../test-support/fault-answers';
import { rejectionOf } from '../test-support/rejection-of';

const CLIENT_ID = 'orders-api';
// Distinctive values, so that finding them in an error message cannot be a coincidence.
const SECRET = 'SeCrEt-9f27d1:with spaces&+/=%';
const TOKEN = 'ToKeN-5c3e81+/aZ=b/c+d==';

/** Everything that would give the token or the secret away, raw or encoded as sent. */
const REVEALING = [
  TOKEN,
  SECRET,
  'ToKeN-5c3e81',
  'SeCrEt-9f27d1',
  new URLSearchParams({ token: TOKEN }).toString().slice('token='.length),
  new URLSearchParams({ s: SECRET }).toString().slice('s='.length),
  Buffer.from(`${CLIENT_ID}:${new URLSearchParams({ s: SECRET }).toString().slice(2)}`).toString('base64'),
];

const ACTIVE_ANSWER = {
  active: true,
  scope: 'read:payments write:payments',
  client_id: 'web-app',
  username: 'jdoe',
  token_type: 'Bearer',
  exp: 2_000_000_000,
  iat: 1_700_000_000,
  nbf: 1_700_000_000,
  sub: 'user-42',
  aud: 'payments-api',
  iss: 'https://as.example.com',
  jti: 'jti-1',
  tenant: { id: 't-7', plan: 'gold' },
};

function expectNothingRevealed(error: Error): void {
  const shown = `${error.message}\n${String(error.stack)}\n${inspect(error, { depth: 5 })}`;
  for (const secret of REVEALING) {
    expect(shown).not.toContain(secret);
  }
}

/** Form-decodes one value (application/x-www-form-urlencoded, RFC 6749 Appendix B). */
function formDecode(value: string): string {
  return new URLSearchParams(`v=${value}`).get('v') ?? '';
}

describe('IntrospectionService.introspect', () => {
  let as: FakeAuthorizationServer;
  const modules: TestingModule[] = [];

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  afterAll(async () => {
    await as?.close();
  });

  beforeEach(() => {
    as.answerJson(200, ACTIVE_ANSWER);
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  /** A booted IntrospectionModule pointed at the fake server; closed after the test. */
  async function introspector(
    options: Partial<IntrospectionModuleOptions> = {},
  ): Promise<IntrospectionService> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: as.endpoint,
          clientId: CLIENT_ID,
          clientSecret: SECRET,
          ...options,
        }),
      ],
    }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return moduleRef.get(IntrospectionService);
  }

  describe('the request it sends (RFC 7662 §2.1)', () => {
    it('is a form POST to the endpoint that asks for JSON', async () => {
      await (await introspector()).introspect(TOKEN);

      const request = as.lastRequest;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/introspect');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers['accept']).toBe('application/json');
    });

    it.each([
      ['"+", "/" and "="', TOKEN],
      ['what looks like another form parameter', 'abc&token_type_hint=refresh_token&x='],
      ['what looks percent-encoded already', 'abc%2B%2F%3D+def'],
      ['non-ASCII characters', 'tøkén-✓'],
    ])('sends a token containing %s byte for byte', async (_label, token) => {
      await (await introspector()).introspect(token);

      const { form, rawBody } = as.lastRequest;
      expect(form.getAll('token')).toHaveLength(1);
      expect(Buffer.from(form.get('token') ?? '', 'utf8').equals(Buffer.from(token, 'utf8'))).toBe(true);
      expect(form.getAll('token_type_hint')).toEqual(['access_token']);
      // A literal "+" in the body would decode as a space on the server.
      expect(rawBody).not.toMatch(/token=[^&]*\+/);
    });

    it('sends token_type_hint=access_token by default', async () => {
      await (await introspector()).introspect(TOKEN);

      expect(as.lastRequest.form.get('token_type_hint')).toBe('access_token');
    });

    it('sends the tokenTypeHint the module is configured with', async () => {
      await (await introspector({ tokenTypeHint: 'refresh_token' })).introspect(TOKEN);

      expect(as.lastRequest.form.get('token_type_hint')).toBe('refresh_token');
    });

    it('lets one call override the hint', async () => {
      const service = await introspector();

      await service.introspect(TOKEN, { tokenTypeHint: 'refresh_token' });
      expect(as.lastRequest.form.get('token_type_hint')).toBe('refresh_token');

      as.reset();
      await service.introspect(TOKEN);
      expect(as.lastRequest.form.get('token_type_hint')).toBe('access_token');
    });

    it('refuses an empty token without calling the authorization server', async () => {
      const error = await rejectionOf((await introspector()).introspect(''));

      expect(error).toBeInstanceOf(TypeError);
      expect(as.requests).toHaveLength(0);
    });

    it.each<[string, unknown, RegExp]>([
      ['an object hint', { tokenTypeHint: { evil: true } }, /tokenTypeHint must be a token type name/],
      ['a number hint', { tokenTypeHint: 42 }, /tokenTypeHint must be a token type name/],
      ['a hint with a form separator', { tokenTypeHint: 'access_token&token=x' }, /tokenTypeHint must be/],
      ['an empty hint', { tokenTypeHint: '' }, /tokenTypeHint must be/],
      ['a misspelt option', { tokenHint: 'refresh_token' }, /Unknown introspect\(\) option\(s\): tokenHint/],
      ['options that are not an object', 'refresh_token', /must be an object/],
      ['null options', null, /must be an object/],
    ])(
      'refuses %s, for introspect() and invalidate(), without calling the server',
      async (_label, options, message) => {
        const service = await introspector({ cache: { ttl: '1m' } });
        for (const call of [service.introspect.bind(service), service.invalidate.bind(service)]) {
          const error = await rejectionOf(call(TOKEN, options as never));
          expect(error).toBeInstanceOf(TypeError);
          expect(error.message).toMatch(message);
          expect(error.message).not.toContain(TOKEN);
        }
        expect(as.requests).toHaveLength(0);
      },
    );
  });

  describe('client authentication (RFC 6749 §2.3.1)', () => {
    it('client_secret_basic sends the form-encoded credentials in the Authorization header only', async () => {
      await (await introspector({ endpointAuthMethod: 'client_secret_basic' })).introspect(TOKEN);

      const { headers, form } = as.lastRequest;
      const [scheme, encoded] = (headers.authorization ?? '').split(' ');
      expect(scheme).toBe('Basic');
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      // The secret contains ":", so only form-encoding keeps the split unambiguous.
      const colon = decoded.indexOf(':');
      expect(formDecode(decoded.slice(0, colon))).toBe(CLIENT_ID);
      expect(formDecode(decoded.slice(colon + 1))).toBe(SECRET);
      expect([...form.keys()].sort()).toEqual(['token', 'token_type_hint']);
    });

    it('client_secret_post sends the credentials as body parameters only', async () => {
      await (await introspector({ endpointAuthMethod: 'client_secret_post' })).introspect(TOKEN);

      const { headers, form } = as.lastRequest;
      expect(headers.authorization).toBeUndefined();
      expect(form.get('client_id')).toBe(CLIENT_ID);
      expect(form.get('client_secret')).toBe(SECRET);
      expect(form.get('token')).toBe(TOKEN);
      expect([...form.keys()].sort()).toEqual(['client_id', 'client_secret', 'token', 'token_type_hint']);
    });
  });

  describe('answers (RFC 7662 §2.2)', () => {
    it('turns an active answer into a typed result, keeping every claim', async () => {
      const result = await (await introspector()).introspect(TOKEN);

      expect(result).toEqual({
        active: true,
        scope: 'read:payments write:payments',
        scopes: ['read:payments', 'write:payments'],
        clientId: 'web-app',
        username: 'jdoe',
        tokenType: 'Bearer',
        exp: 2_000_000_000,
        iat: 1_700_000_000,
        nbf: 1_700_000_000,
        sub: 'user-42',
        aud: ['payments-api'],
        iss: 'https://as.example.com',
        jti: 'jti-1',
        claims: ACTIVE_ANSWER,
      });
    });

    it('keeps an array aud as it is and reads a missing scope as no scopes', async () => {
      as.answerJson(200, { active: true, token_type: 'Bearer', aud: ['payments-api', 'orders-api'] });

      const result = await (await introspector()).introspect(TOKEN);

      expect(result.aud).toEqual(['payments-api', 'orders-api']);
      expect(result.scopes).toEqual([]);
      expect(result.scope).toBeUndefined();
    });

    it('reads active:false as an inactive token and nothing more', async () => {
      as.answerJson(200, { active: false, sub: 'user-42', scope: 'read:payments' });

      const result = await (await introspector()).introspect(TOKEN);

      expect(result).toEqual({
        active: false,
        scopes: [],
        aud: [],
        claims: { active: false, sub: 'user-42', scope: 'read:payments' },
      });
    });

    it.each([500, 502, 503, 504])('reads HTTP %i as an outage, never as inactive', async (status) => {
      as.answerJson(status, { active: false });

      const error = await rejectionOf((await introspector()).introspect(TOKEN));

      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expect((error as IntrospectionUnavailableError).retryAfter).toBeUndefined();
      expectNothingRevealed(error);
    });

    it('reads HTTP 429 as an outage and passes Retry-After on', async () => {
      as.answerJson(429, { error: 'slow_down' }, { 'Retry-After': '7' });

      const error = await rejectionOf((await introspector()).introspect(TOKEN));

      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expect((error as IntrospectionUnavailableError).retryAfter).toBe(7);
      expectNothingRevealed(error);
    });

    it.each([
      ['garbage that is not JSON', 'application/json', '{"active":tru'],
      ['"active" as the string "true"', 'application/json', '{"active":"true","token_type":"Bearer"}'],
      ['a JSON array', 'application/json', '[{"active":true}]'],
      ['an HTML page', 'text/html', '<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>'],
    ])('refuses %s as a malformed answer', async (_label, contentType, body) => {
      as.answerWith((_request, res) => res.writeHead(200, { 'Content-Type': contentType }).end(body));

      const error = await rejectionOf((await introspector()).introspect(TOKEN));

      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect((error as IntrospectionResponseError).reason).toBe('malformed_response');
      expectNothingRevealed(error);
    });

    it('reads 401 invalid_client as a failed client authentication, not as an inactive token', async () => {
      as.answerJson(401, { error: 'invalid_client' }, { 'WWW-Authenticate': 'Basic realm="as"' });

      const error = await rejectionOf((await introspector()).introspect(TOKEN));

      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect(error).toMatchObject({ reason: 'client_authentication_failed', status: 401 });
      expectNothingRevealed(error);
    });

    it.each([301, 302, 303, 307, 308])('refuses an HTTP %i redirect without following it', async (status) => {
      as.answerWith((request, res) => {
        if (request.path === '/elsewhere') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(ACTIVE_ANSWER));
        } else {
          res.writeHead(status, { Location: `${as.origin}/elsewhere` }).end();
        }
      });

      const error = await rejectionOf((await introspector()).introspect(TOKEN));

      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect((error as IntrospectionResponseError).status).toBe(status);
      expect(as.requestsTo('/elsewhere')).toHaveLength(0);
      expect(as.requests).toHaveLength(1);
      expectNothingRevealed(error);
    });
  });

  describe('maxResponseBytes', () => {
    const LIMIT = 1024;

    /** A valid active answer exactly `size` bytes long. */
    function answerOfSize(size: number): string {
      const empty = JSON.stringify({ active: true, token_type: 'Bearer', pad: '' });
      return JSON.stringify({ active: true, token_type: 'Bearer', pad: 'x'.repeat(size - empty.length) });
    }

    it('reads an answer of exactly maxResponseBytes', async () => {
      as.answerJson(200, answerOfSize(LIMIT));

      const result = await (await introspector({ transport: { maxResponseBytes: LIMIT } })).introspect(TOKEN);

      expect(result.active).toBe(true);
    });

    it.each([
      ['with a Content-Length', false],
      ['chunked', true],
    ])('refuses a valid answer one byte larger, sent %s, as malformed', async (_label, chunked) => {
      const body = answerOfSize(LIMIT + 1);
      expect(Buffer.byteLength(body)).toBe(LIMIT + 1);
      as.answerWith((_request, res) => {
        if (chunked) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write(body.slice(0, 512));
          res.end(body.slice(512));
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
          res.end(body);
        }
      });

      const error = await rejectionOf(
        (await introspector({ transport: { maxResponseBytes: LIMIT } })).introspect(TOKEN),
      );

      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect((error as IntrospectionResponseError).reason).toBe('malformed_response');
      expectNothingRevealed(error);
    });
  });

  describe('when the authorization server cannot answer', () => {
    it('gives up on a server that never answers once the timeout is over', async () => {
      // Read the request, never answer; the server closes the socket at the end.
      as.answerWith(() => undefined);

      const error = await rejectionOf(
        (await introspector({ transport: { timeout: '200ms' } })).introspect(TOKEN),
      );

      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expect(as.requests).toHaveLength(1);
      expectNothingRevealed(error);
    });

    it('gives up on a body dripping in slower than the timeout, although bytes keep coming', async () => {
      // A valid answer, one byte every 20 ms: about 1.3 s in all, so an
      // inactivity timeout would never fire and the call would resolve.
      as.answerWith(
        drippingAnswer(
          JSON.stringify({ active: true, token_type: 'Bearer', sub: 'user-42' }) + ' '.repeat(20),
          20,
        ),
      );

      const error = await rejectionOf(
        (await introspector({ transport: { timeout: '200ms' } })).introspect(TOKEN),
      );

      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expectNothingRevealed(error);
    });

    it('reads a refused connection as an outage', async () => {
      const port = await closedPort();

      const error = await rejectionOf(
        (await introspector({ endpoint: `http://127.0.0.1:${port}/introspect` })).introspect(TOKEN),
      );

      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expectNothingRevealed(error);
    });
  });

  describe('connections', () => {
    it('reuses one keep-alive connection for sequential introspections', async () => {
      const service = await introspector();
      as.reset();

      await service.introspect(TOKEN);
      await service.introspect(TOKEN);

      expect(as.requests).toHaveLength(2);
      expect(as.connections).toBe(1);
      expect(as.requests[1].connection).toBe(as.requests[0].connection);
    });
  });

  // Known library bugs, reported rather than fixed. `it.failing` passes while
  // the assertion fails; once a bug is fixed it fails, and becomes an `it`.
  it('never names an unregistered error code from the body, which could be the token', async () => {
    as.answerJson(400, { error: TOKEN });

    const error = await rejectionOf((await introspector()).introspect(TOKEN));

    expect(error).toBeInstanceOf(IntrospectionResponseError);
    expectNothingRevealed(error);
  });
});
