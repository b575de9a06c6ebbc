import { randomBytes } from 'node:crypto';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';

// Sender-constrained tokens (RFC 7800 cnf) from a real oidc-provider: it binds
// a token to the client's TLS certificate (RFC 8705 §3) and answers its
// introspection with token_type "Bearer" plus cnf.x5t#S256. This API cannot
// verify the binding yet, so such a token is refused, never taken for a
// plain bearer token.

const clients = demoClients();
const SENDER_CONSTRAINED = `Bearer realm="demo", error="invalid_token", error_description="The access token is sender-constrained (cnf) and this API cannot verify the binding."`;

/**
 * The DER bytes of the client's certificate, base64: oidc-provider binds the
 * token to their SHA-256 thumbprint, which is all that matters here.
 */
const certificate = () => randomBytes(512).toString('base64');

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

describe.each(ADAPTERS)('certificate-bound tokens, demo API on %s', (adapter) => {
  describe.each([
    ['without a cache', {}],
    ['with a cache (the refusal holds on cache hits)', { INTROSPECTION_TTL: '60s' }],
  ])('%s', (_label, extra: Record<string, string>) => {
    let demo: RunningDemo;

    beforeAll(async () => {
      demo = await startDemo(adapter, {
        INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
        INTROSPECTION_ISSUER: as.issuer,
        INTROSPECTION_AUDIENCE: clients.audience,
        INTROSPECTION_REALM: 'demo',
        INTROSPECTION_CLIENT_ID: clients.introspectionClients.client_secret_basic.clientId,
        INTROSPECTION_CLIENT_SECRET: clients.introspectionClients.client_secret_basic.clientSecret!,
        ...extra,
      });
    });

    afterAll(async () => {
      await demo?.close();
    });

    it('answers 200 for a plain bearer token of the same scope (the control case)', async () => {
      const token = await as.mintToken('read:payments');
      expect((await send(`${demo.url}/payments`, { headers: bearer(token) })).status).toBe(200);
    });

    it('answers 401 invalid_token naming the binding, every time, with no client certificate or proof', async () => {
      const token = await as.mintCertificateBoundToken(certificate());
      const before = await as.introspectionCount();
      for (let i = 0; i < 2; i++) {
        const answer = await send(`${demo.url}/payments`, { headers: bearer(token) });
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe(SENDER_CONSTRAINED);
        expect(answer.json()).toMatchObject({ error: 'invalid_token' });
        expect(answer.body).not.toContain('amount');
      }
      // With a cache, the second refusal came from the cached answer.
      expect(await as.introspectionCount()).toBe(before + (extra.INTROSPECTION_TTL ? 1 : 2));
    });
  });
});
