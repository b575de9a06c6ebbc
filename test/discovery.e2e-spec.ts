import { IntrospectionConfigurationError, IntrospectionService } from '@app/introspection';
import {
  ENCRYPTED_INTROSPECTION_CLIENT,
  ENCRYPTION_KEY,
  JWT_INTROSPECTION_CLIENTS,
  TEST_SIGNING_KEYS,
  TestAuthorizationServer,
} from './support/authorization-server';
import { ADAPTERS, RunningDemo, startDemo } from './support/demo-app';
import type { DemoAdapter } from '../apps/demo/src/create-demo-app';
import { bearer, send } from './support/http';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';

const clients = demoClients();
const basicClient = clients.introspectionClients.client_secret_basic as {
  clientId: string;
  clientSecret: string;
};

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

/**
 * Boots the demo for the tests of the enclosing `describe` with the issuer
 * and no INTROSPECTION_ENDPOINT: the endpoint comes from the issuer's metadata.
 */
function discoveringDemo(
  adapter: DemoAdapter,
  client: { clientId: string; clientSecret?: string },
  env: Record<string, string> = {},
): () => RunningDemo {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo(adapter, {
      INTROSPECTION_ISSUER: as.issuer,
      INTROSPECTION_CLIENT_ID: client.clientId,
      ...(client.clientSecret ? { INTROSPECTION_CLIENT_SECRET: client.clientSecret } : {}),
      INTROSPECTION_AUDIENCE: clients.audience,
      ...env,
    });
  });
  afterAll(async () => {
    await demo?.close();
  });
  return () => demo;
}

/** A token revoked at the server is refused with 401 invalid_token. */
async function expectRevokedTokenRefused(demo: RunningDemo): Promise<void> {
  const token = await as.mintToken();
  await as.revoke(token);
  const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
  expect(answer.status).toBe(401);
  expect(answer.headers['www-authenticate']).toBe(
    'Bearer error="invalid_token", error_description="The access token is not active."',
  );
}

describe.each(ADAPTERS)('discovery from the issuer, on %s', (adapter) => {
  const demo = discoveringDemo(adapter, basicClient);

  it('answers /me with 200 for an active token, introspected at the discovered endpoint', async () => {
    const before = await as.introspectionCount();
    const answer = await send(`${demo().url}/me`, { headers: bearer(await as.mintToken()) });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ active: true, iss: as.issuer });
    expect(await as.introspectionCount()).toBe(before + 1);
  });

  it('answers 401 invalid_token for a revoked token', () => expectRevokedTokenRefused(demo()));
});

describe('discovery that must stop the boot', () => {
  it('refuses an issuer that differs from the metadata by one character (RFC 8414 §3.3)', async () => {
    const boot = startDemo('express', {
      INTROSPECTION_ISSUER: `${as.issuer}/`,
      INTROSPECTION_CLIENT_ID: basicClient.clientId,
      INTROSPECTION_CLIENT_SECRET: basicClient.clientSecret,
    });
    await expect(boot).rejects.toBeInstanceOf(IntrospectionConfigurationError);
    await expect(boot).rejects.toThrow(/must be identical \(RFC 8414 §3\.3\)/);
  });
});

describe.each(ADAPTERS)('JWT introspection responses (RFC 9701) from oidc-provider, on %s', (adapter) => {
  describe.each(Object.entries(JWT_INTROSPECTION_CLIENTS))('authenticating with %s', (method, client) => {
    const demo = discoveringDemo(adapter, client, {
      INTROSPECTION_RESPONSE_FORMAT: 'jwt',
      INTROSPECTION_ENDPOINT_AUTH_METHOD: method,
      ...(method === 'private_key_jwt'
        ? {
            INTROSPECTION_SIGNING_ALGORITHM: 'ES256',
            INTROSPECTION_SIGNING_KEY: TEST_SIGNING_KEYS.ec.pem,
            INTROSPECTION_SIGNING_KEY_ID: TEST_SIGNING_KEYS.ec.kid,
          }
        : {}),
    });

    it('verifies the signed answer and keeps the JWT on the result, but not in what /me returns', async () => {
      const token = await as.mintToken();
      const answer = await send(`${demo().url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({ active: true, scopes: ['read:payments'] });
      expect(answer.json()).not.toHaveProperty('jwt');
      expect(answer.json()).not.toHaveProperty('claims');
      const result = await demo().app.get(IntrospectionService).introspect(token);
      expect(result).toMatchObject({ active: true, scopes: ['read:payments'] });
      const [header, payload] = result
        .jwt!.split('.')
        .slice(0, 2)
        .map(
          (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>,
        );
      expect(header).toMatchObject({ alg: 'RS256', typ: 'token-introspection+jwt' });
      expect(payload).toMatchObject({ iss: as.issuer, aud: client.clientId });
      expect(payload.token_introspection).toMatchObject({ active: true });
    });

    it('answers 401 for a revoked token, read from the signed answer', () =>
      expectRevokedTokenRefused(demo()));
  });
});

describe.each(ADAPTERS)('encrypted JWT introspection responses from oidc-provider, on %s', (adapter) => {
  const demo = discoveringDemo(adapter, ENCRYPTED_INTROSPECTION_CLIENT, {
    INTROSPECTION_RESPONSE_FORMAT: 'jwt',
    INTROSPECTION_RESPONSE_DECRYPTION_KEY: ENCRYPTION_KEY.privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  });

  it('decrypts the answer and verifies the signed JWT inside', async () => {
    const token = await as.mintToken();
    const answer = await send(`${demo().url}/me`, { headers: bearer(token) });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ active: true, scopes: ['read:payments'] });
    expect(answer.json()).not.toHaveProperty('jwt');
    const { jwt } = await demo().app.get(IntrospectionService).introspect(token);
    // The kept JWT is the signed one from inside the encryption.
    expect(jwt!.split('.')).toHaveLength(3);
  });

  it('answers 401 for a revoked token, read from the encrypted answer', () =>
    expectRevokedTokenRefused(demo()));
});
