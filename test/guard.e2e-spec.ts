import {
  HARD_SECRET,
  TEST_SIGNING_KEYS,
  TestAuthorizationServer,
  TestSigningKey,
} from './support/authorization-server';
import { ADAPTERS, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';

const clients = demoClients();
const REALM = 'demo';

const secretOf = (method: string): string => clients.introspectionClients[method].clientSecret!;

const privateKeyJwt = (alg: string, key: TestSigningKey): Record<string, string> => ({
  INTROSPECTION_ENDPOINT_AUTH_METHOD: 'private_key_jwt',
  INTROSPECTION_CLIENT_ID: clients.introspectionClients.private_key_jwt.clientId,
  INTROSPECTION_SIGNING_ALGORITHM: alg,
  INTROSPECTION_SIGNING_KEY: key.pem,
  INTROSPECTION_SIGNING_KEY_ID: key.kid,
});

/** The client authentication methods the demo is exercised with, configured by env only. */
const AUTH_METHODS: Array<[label: string, env: Record<string, string>]> = [
  [
    'client_secret_basic',
    {
      INTROSPECTION_ENDPOINT_AUTH_METHOD: 'client_secret_basic',
      INTROSPECTION_CLIENT_ID: clients.introspectionClients.client_secret_basic.clientId,
      INTROSPECTION_CLIENT_SECRET: secretOf('client_secret_basic'),
    },
  ],
  [
    'client_secret_post',
    {
      INTROSPECTION_ENDPOINT_AUTH_METHOD: 'client_secret_post',
      INTROSPECTION_CLIENT_ID: clients.introspectionClients.client_secret_post.clientId,
      INTROSPECTION_CLIENT_SECRET: secretOf('client_secret_post'),
    },
  ],
  [
    'client_secret_basic with a secret that needs form-encoding',
    {
      INTROSPECTION_ENDPOINT_AUTH_METHOD: 'client_secret_basic',
      INTROSPECTION_CLIENT_ID: 'hard-secret-api',
      INTROSPECTION_CLIENT_SECRET: HARD_SECRET,
    },
  ],
  [
    'client_secret_jwt (HS256)',
    {
      INTROSPECTION_ENDPOINT_AUTH_METHOD: 'client_secret_jwt',
      INTROSPECTION_CLIENT_ID: clients.introspectionClients.client_secret_jwt.clientId,
      INTROSPECTION_CLIENT_SECRET: secretOf('client_secret_jwt'),
    },
  ],
  ['private_key_jwt with an RSA key (RS256)', privateKeyJwt('RS256', TEST_SIGNING_KEYS.rsa)],
  ['private_key_jwt with an RSA key (PS256)', privateKeyJwt('PS256', TEST_SIGNING_KEYS.rsa)],
  ['private_key_jwt with an EC key (ES256)', privateKeyJwt('ES256', TEST_SIGNING_KEYS.ec)],
  ['private_key_jwt with an Ed25519 key (EdDSA)', privateKeyJwt('EdDSA', TEST_SIGNING_KEYS.ed25519)],
];

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

function demoEnv(auth: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
    INTROSPECTION_ISSUER: as.issuer,
    INTROSPECTION_AUDIENCE: clients.audience,
    INTROSPECTION_REALM: REALM,
    ...auth,
    ...extra,
  };
}

describe.each(ADAPTERS)('demo API on %s', (adapter) => {
  describe.each(AUTH_METHODS)('introspecting with %s', (_label, auth) => {
    let demo: RunningDemo;

    beforeAll(async () => {
      demo = await startDemo(adapter, demoEnv(auth));
    });

    afterAll(async () => {
      await demo?.close();
    });

    it('serves a public route without a token', async () => {
      const answer = await send(`${demo.url}/public`);
      expect(answer.status).toBe(200);
    });

    it('answers 200 with the introspection result for an active token', async () => {
      const token = await as.mintToken('read:payments');
      const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({
        active: true,
        clientId: clients.tokenClient.clientId,
        scopes: ['read:payments'],
        aud: [clients.audience],
        iss: as.issuer,
        tokenType: 'Bearer',
      });
      // The raw answer may hold members meant for the API only.
      expect(answer.json()).not.toHaveProperty('claims');
      expect(answer.body).not.toContain(token);
    });

    it('accepts the scheme in any case', async () => {
      const token = await as.mintToken('read:payments');
      const answer = await send(`${demo.url}/payments`, { headers: { authorization: `bEaReR ${token}` } });
      expect(answer.status).toBe(200);
    });

    it('lets a route with a satisfied scope through', async () => {
      const token = await as.mintToken('read:payments write:payments');
      const answer = await send(`${demo.url}/payments`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 5 }),
      });
      expect(answer.status).toBe(201);
      expect(answer.json()).toMatchObject({ amount: 5, createdBy: clients.tokenClient.clientId });
    });

    it('answers 403 insufficient_scope naming the missing scope', async () => {
      const token = await as.mintToken('read:payments');
      const answer = await send(`${demo.url}/payments`, { method: 'POST', headers: bearer(token) });
      expect(answer.status).toBe(403);
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="demo", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments"`,
      );
      expect(answer.json()).toEqual({
        statusCode: 403,
        error: 'insufficient_scope',
        error_description: 'The access token lacks a required scope.',
        scope: 'write:payments',
      });
    });

    it.each([
      ['no Authorization header', {}],
      ['another scheme', { authorization: 'Basic ZGVtbzpkZW1v' }],
      ['an empty Authorization header', { authorization: '' }],
    ])('answers 401 with a bare challenge and no introspection for %s', async (_case, headers) => {
      const before = await as.introspectionCount();
      const answer = await send(`${demo.url}/me`, { headers });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="demo"');
      expect(await as.introspectionCount()).toBe(before);
    });

    it.each([
      ['"Bearer" alone', { authorization: 'Bearer' }, 'The Authorization header carries no bearer token.'],
      [
        'a space inside the token',
        { authorization: 'Bearer abc def' },
        'The bearer token contains characters RFC 6750 does not allow.',
      ],
      [
        'a quote in the token',
        { authorization: 'Bearer abc"def' },
        'The bearer token contains characters RFC 6750 does not allow.',
      ],
      [
        'two Authorization headers',
        { authorization: ['Bearer abc', 'Bearer def'] },
        'The request carries more than one Authorization header.',
      ],
      [
        'a token over 4 KiB',
        { authorization: `Bearer ${'a'.repeat(4097)}` },
        'The bearer token is too long.',
      ],
    ])(
      'answers 400 invalid_request and makes no introspection for %s',
      async (_case, headers, description) => {
        const before = await as.introspectionCount();
        const answer = await send(`${demo.url}/me`, { headers });
        expect(answer.status).toBe(400);
        expect(answer.headers['www-authenticate']).toBe(
          `Bearer realm="demo", error="invalid_request", error_description="${description}"`,
        );
        expect(await as.introspectionCount()).toBe(before);
      },
    );

    it('answers 401 invalid_token for a token revoked at the server', async () => {
      const token = await as.mintToken('read:payments');
      expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
      await as.revoke(token);
      const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
      );
    });

    it.each([
      ['an unknown opaque token', 'bm90LWEtcmVhbC10b2tlbg'],
      // oidc-provider answers 400 unsupported_token_type for anything JWT-shaped.
      ['a JWT-shaped garbage token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln'],
      ['a token with +, / and = characters', 'ab+/cd=='],
    ])('answers 401 invalid_token for %s, after asking the server', async (_case, token) => {
      const before = await as.introspectionCount();
      const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
      );
      expect(await as.introspectionCount()).toBe(before + 1);
    });

    it('answers 401 invalid_token for an active token issued for another audience', async () => {
      const token = await as.mintToken('read:payments', 'urn:another:api');
      const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="invalid_token", error_description="The access token is not intended for this audience."',
      );
    });
  });

  describe("the server's refresh tokens (introspected without token_type, RFC 7662 §2.2)", () => {
    const basic = AUTH_METHODS[0][1];

    it('are what oidc-provider answers active with neither token_type nor aud', async () => {
      const refreshToken = await as.refreshToken(clients.tokenClient.clientId);
      const answer = await send(`${as.issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${basic.INTROSPECTION_CLIENT_ID}:${basic.INTROSPECTION_CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: refreshToken }).toString(),
      });
      expect(answer.json()).toMatchObject({ active: true, client_id: clients.tokenClient.clientId });
      expect(answer.json()).not.toHaveProperty('token_type');
      expect(answer.json()).not.toHaveProperty('aud');
    });

    it.each([
      ['with the audience the demo requires', {}],
      ['without any audience required', { INTROSPECTION_AUDIENCE: '' }],
    ])('are refused with 401 invalid_token %s', async (_case, extra) => {
      const demo = await startDemo(adapter, demoEnv(basic, extra));
      try {
        const refreshToken = await as.refreshToken(clients.tokenClient.clientId);
        const answer = await send(`${demo.url}/me`, { headers: bearer(refreshToken) });
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe(
          'Bearer realm="demo", error="invalid_token", error_description="The token is not an access token."',
        );
        // The server's access tokens still pass on the same demo.
        const accessToken = await as.mintToken('read:payments');
        expect((await send(`${demo.url}/me`, { headers: bearer(accessToken) })).status).toBe(200);
      } finally {
        await demo.close();
      }
    });
  });

  describe('when the authorization server cannot be used', () => {
    it('answers 502, not 401, when the server rejects our client credentials', async () => {
      const demo = await startDemo(
        adapter,
        demoEnv({ INTROSPECTION_CLIENT_ID: 'demo-api', INTROSPECTION_CLIENT_SECRET: 'not-the-secret' }),
      );
      try {
        const token = await as.mintToken('read:payments');
        const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
        expect(answer.status).toBe(502);
        expect(answer.headers['www-authenticate']).toBeUndefined();
        expect(answer.body).not.toContain('not-the-secret');
      } finally {
        await demo.close();
      }
    });

    it('answers 503 when the server is too slow, and recovers when it is fast again', async () => {
      const demo = await startDemo(
        adapter,
        demoEnv(
          {
            INTROSPECTION_CLIENT_ID: 'demo-api',
            INTROSPECTION_CLIENT_SECRET: secretOf('client_secret_basic'),
          },
          { INTROSPECTION_TIMEOUT: '300ms' },
        ),
      );
      const token = await as.mintToken('read:payments');
      try {
        await as.delayIntrospection(3000);
        const slow = await send(`${demo.url}/me`, { headers: bearer(token) });
        expect(slow.status).toBe(503);
        expect(slow.headers['www-authenticate']).toBeUndefined();
        expect(slow.json()).toMatchObject({ statusCode: 503, error: 'temporarily_unavailable' });
      } finally {
        await as.delayIntrospection(0);
      }
      try {
        expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
      } finally {
        await demo.close();
      }
    });

    it('answers 503 once the server is stopped mid-test, never 200', async () => {
      const own = await TestAuthorizationServer.start();
      const demo = await startDemo(adapter, {
        ...demoEnv({
          INTROSPECTION_CLIENT_ID: 'demo-api',
          INTROSPECTION_CLIENT_SECRET: secretOf('client_secret_basic'),
        }),
        INTROSPECTION_ENDPOINT: own.introspectionEndpoint,
      });
      try {
        const token = await own.mintToken('read:payments');
        expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);
        await own.stop();
        const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
        expect(answer.status).toBe(503);
        expect(answer.headers['www-authenticate']).toBeUndefined();
      } finally {
        await demo.close();
        await own.stop();
      }
    });
  });
});
