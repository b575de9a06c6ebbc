import { IntrospectionCircuitOpenError, IntrospectionResponseError } from '../errors/introspection.errors';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { introspectionBooter } from '../../test-support/boot-introspection';
import { FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { mergeOptions } from '../../test-support/option-at';
import { TRANSPORT_CLIENTS } from '../../test-support/transport-clients';

const TOKEN = 'ToKeN+/=&x';

describe.each(TRANSPORT_CLIENTS)('IntrospectionHttpClient compatibility options over %s', (client) => {
  let as: FakeAuthorizationServer;

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  afterAll(async () => {
    await as?.close();
  });

  beforeEach(() => {
    as.answerJson(200, { active: true, token_type: 'Bearer' });
  });

  const boot = introspectionBooter();
  async function introspect(options: Partial<IntrospectionModuleOptions>): Promise<void> {
    const service = await boot(
      mergeOptions(
        { endpoint: as.endpoint, clientId: 'api', clientSecret: 's3cret', transport: { client } },
        options,
      ),
    );
    await service.introspect(TOKEN);
  }

  it("sends GET with the parameters in the query string and no body (method: 'GET')", async () => {
    await introspect({ method: 'GET', requestParams: { response_as_jwt: 'true' } });
    const request = as.lastRequest;
    expect(request.method).toBe('GET');
    expect(request.rawBody).toBe('');
    expect(request.headers['content-type']).toBeUndefined();
    const query = new URL(request.path, as.origin).searchParams;
    expect(query.get('token')).toBe(TOKEN);
    expect(query.get('token_type_hint')).toBe('access_token');
    expect(query.get('response_as_jwt')).toBe('true');
    // client_secret_basic: the credentials stay in the header.
    expect(query.has('client_secret')).toBe(false);
    expect(request.headers.authorization).toMatch(/^Basic /);
  });

  it('keeps a query the endpoint already has when sending GET', async () => {
    await introspect({ method: 'GET', endpoint: `${as.endpoint}?tenant=acme` });
    const query = new URL(as.lastRequest.path, as.origin).searchParams;
    expect(query.get('tenant')).toBe('acme');
    expect(query.get('token')).toBe(TOKEN);
  });

  it('POSTs by default, with requestParams in the form body next to the token', async () => {
    await introspect({ requestParams: { response_as_jwt: 'true', tenant: 'a b' } });
    const request = as.lastRequest;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/introspect');
    expect(request.form.get('token')).toBe(TOKEN);
    expect(request.form.get('response_as_jwt')).toBe('true');
    expect(request.form.get('tenant')).toBe('a b');
  });

  it('sends requestHeaders', async () => {
    await introspect({ requestHeaders: { 'X-Tenant': 'acme' } });
    expect(as.lastRequest.headers['x-tenant']).toBe('acme');
    expect(as.lastRequest.headers.accept).toBe('application/json');
  });

  it("renews a refused bearer token and sends the GET again with the new one (method: 'GET')", async () => {
    let issued = 0;
    let introspections = 0;
    as.answerWith((request, res) => {
      if (request.path === '/token') {
        issued++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ access_token: `at-${issued}`, token_type: 'Bearer', expires_in: 300 }));
        return;
      }
      introspections++;
      res.writeHead(introspections === 1 ? 401 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(introspections === 1 ? { error: 'invalid_token' } : { active: false }));
    });
    await introspect({
      method: 'GET',
      endpointAuthMethod: 'bearer',
      tokenEndpoint: `${as.origin}/token`,
    });
    const gets = as.requests.filter((request) => request.method === 'GET');
    expect(gets.map((request) => request.headers.authorization)).toEqual(['Bearer at-1', 'Bearer at-2']);
    expect(
      gets.every((request) => new URL(request.path, as.origin).searchParams.get('token') === TOKEN),
    ).toBe(true);
  });

  describe('with retries and the circuit breaker', () => {
    it("retries a GET after a 503 with the token in the query again (method: 'GET')", async () => {
      let introspections = 0;
      as.answerWith((_request, res) => {
        introspections++;
        res.writeHead(introspections === 1 ? 503 : 200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(introspections === 1 ? {} : { active: false }));
      });
      await introspect({ method: 'GET', transport: { retries: 1, retryBackoff: 0 } });
      expect(as.requests).toHaveLength(2);
      expect(
        as.requests.map((request) => new URL(request.path, as.origin).searchParams.get('token')),
      ).toEqual([TOKEN, TOKEN]);
      expect(as.requests.every((request) => request.method === 'GET')).toBe(true);
    });

    it('never retries a JWT answer that fails verification (RFC 9701): one request, a 502 error', async () => {
      as.answerWith((_request, res) => {
        res.writeHead(200, { 'Content-Type': 'application/token-introspection+jwt' });
        res.end('not.a.jwt');
      });
      await expect(
        introspect({
          issuer: as.origin,
          jwksUri: `${as.origin}/jwks`,
          responseFormat: 'jwt',
          transport: { retries: 3, retryBackoff: 0 },
        }),
      ).rejects.toBeInstanceOf(IntrospectionResponseError);
      expect(as.requests.filter((request) => request.path === '/introspect')).toHaveLength(1);
    });

    it('keeps a breaker for the discovered endpoint, which it stops calling once open', async () => {
      as.answerWith((request, res) => {
        if (request.path === '/.well-known/oauth-authorization-server') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ issuer: as.origin, introspection_endpoint: `${as.origin}/discovered` }));
          return;
        }
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
      const service = await boot({
        issuer: as.origin,
        clientId: 'api',
        clientSecret: 's3cret',
        transport: { client, retries: 0 },
        breaker: { threshold: 1 },
      });
      await expect(service.introspect(TOKEN)).rejects.not.toBeInstanceOf(IntrospectionCircuitOpenError);
      await expect(service.introspect(TOKEN)).rejects.toBeInstanceOf(IntrospectionCircuitOpenError);
      expect(as.requests.filter((request) => request.path === '/discovered')).toHaveLength(1);
    });
  });
});
