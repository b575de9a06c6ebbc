import { createHmac, createPublicKey, sign as cryptoSign } from 'node:crypto';
import {
  CompactEncrypt,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { IntrospectionService } from '@app/introspection';
import { FakeAuthorizationServer } from '../libs/introspection/test-support/fake-authorization-server';
import { ADAPTERS, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';

// JWT introspection responses (RFC 9701) that oidc-provider never produces,
// from a small local server that signs with its own key. Every refused
// answer is a 502 without a challenge: a fault of the server, never 200.

const TOKEN = 'c29tZS1vcGFxdWUtdG9rZW4';
const CLIENT_ID = 'demo-api';
const MEDIA_TYPE = 'application/token-introspection+jwt';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface Keys {
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
  privatePem: string;
}

async function keys(kid: string): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return {
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    publicPem: await exportSPKI(publicKey),
    privatePem: await exportPKCS8(privateKey),
  };
}

describe.each(ADAPTERS)('demo API on %s with JWT introspection responses from a local server', (adapter) => {
  let fault: FakeAuthorizationServer;
  let demo: RunningDemo;
  let serverKeys: Keys;
  let otherKeys: Keys;
  /** What /introspect answers: a body and its content type. */
  let answer: { body: string; type: string };

  const issuer = () => fault.origin;
  const introspection = (token_introspection: unknown = activeAnswer()) => ({
    iss: issuer(),
    aud: CLIENT_ID,
    iat: nowSeconds(),
    token_introspection,
  });
  const activeAnswer = () => ({
    active: true,
    token_type: 'Bearer',
    scope: 'read:payments',
    exp: nowSeconds() + 600,
  });
  const sign = (
    claims: Record<string, unknown> = introspection(),
    header: Record<string, unknown> = {},
    key: CryptoKey = serverKeys.privateKey,
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'server-key', ...header })
      .sign(key);
  const answerJwt = (body: string, type = MEDIA_TYPE) => {
    answer = { body, type };
  };
  const callMe = () => send(`${demo.url}/me`, { headers: bearer(TOKEN) });
  const expect502 = async () => {
    const response = await callMe();
    expect(response.status).toBe(502);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(fault.requestsTo('/introspect')).toHaveLength(1);
  };

  beforeAll(async () => {
    serverKeys = await keys('server-key');
    otherKeys = await keys('other-key');
    fault = await FakeAuthorizationServer.start();
    demo = await startDemo(adapter, {
      INTROSPECTION_ENDPOINT: fault.endpoint,
      INTROSPECTION_ISSUER: fault.origin,
      INTROSPECTION_JWKS_URI: `${fault.origin}/jwks`,
      INTROSPECTION_RESPONSE_FORMAT: 'jwt',
      INTROSPECTION_CLIENT_ID: CLIENT_ID,
      INTROSPECTION_CLIENT_SECRET: 'demo-api-secret',
      INTROSPECTION_REALM: 'demo',
      // Every case fails on purpose; the breaker has its own suite.
      INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '0',
    });
  });

  beforeEach(() => {
    fault.answerWith((request, res) => {
      if (request.path === '/jwks') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: [serverKeys.publicJwk] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': answer.type });
      res.end(answer.body);
    });
  });

  afterAll(async () => {
    await demo?.close();
    await fault?.close();
  });

  it('grants access for a well-signed answer, asking for a JWT and keeping it on the result', async () => {
    const jwt = await sign();
    answerJwt(jwt);
    const response = await callMe();
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ active: true, scopes: ['read:payments'] });
    expect(response.json()).not.toHaveProperty('jwt');
    expect((await demo.app.get(IntrospectionService).introspect(TOKEN)).jwt).toBe(jwt);
    expect(fault.requestsTo('/introspect')[0].headers.accept).toBe(MEDIA_TYPE);
  });

  it('accepts typ with the application/ prefix and in any case (RFC 8725 §3.11)', async () => {
    answerJwt(await sign(undefined, { typ: 'Application/Token-Introspection+JWT' }));
    expect((await callMe()).status).toBe(200);
  });

  it('reads the answer from token_introspection only: an inactive one is 401 whatever the other claims say', async () => {
    answerJwt(await sign({ ...introspection({ active: false }), active: true, scope: 'read:payments' }));
    const response = await callMe();
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
    );
  });

  it('refuses a wrong typ', async () => {
    answerJwt(await sign(undefined, { typ: 'JWT' }));
    await expect502();
  });

  it('refuses a wrong iss', async () => {
    answerJwt(await sign({ ...introspection(), iss: 'https://evil.example.com' }));
    await expect502();
  });

  it('refuses a wrong aud', async () => {
    answerJwt(await sign({ ...introspection(), aud: 'another-api' }));
    await expect502();
  });

  it('refuses a missing iat', async () => {
    const claims: Record<string, unknown> = introspection();
    delete claims.iat;
    answerJwt(await sign(claims));
    await expect502();
  });

  it('refuses an iat in the future beyond the tolerance', async () => {
    answerJwt(await sign({ ...introspection(), iat: nowSeconds() + 3600 }));
    await expect502();
  });

  it('refuses alg none', async () => {
    answerJwt(`${b64({ alg: 'none', typ: 'token-introspection+jwt' })}.${b64(introspection())}.`);
    await expect502();
  });

  it("refuses HS256 signed with the server's public key", async () => {
    const input = `${b64({ alg: 'HS256', typ: 'token-introspection+jwt', kid: 'server-key' })}.${b64(introspection())}`;
    for (const secret of [serverKeys.publicPem, JSON.stringify(serverKeys.publicJwk)]) {
      fault.reset();
      answerJwt(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`);
      await expect502();
    }
  });

  it('refuses a tampered signature', async () => {
    const [header, , signature] = (await sign()).split('.');
    const tampered = b64({ ...introspection(), token_introspection: { ...activeAnswer(), scope: 'admin' } });
    answerJwt(`${header}.${tampered}.${signature}`);
    await expect502();
  });

  it('refuses a key it does not know, fetching the key set again at a bounded rate', async () => {
    answerJwt(await sign(undefined, { kid: 'other-key' }, otherKeys.privateKey));
    await expect502();
    fault.reset();
    await expect502();
    // The second unknown kid within the cooldown does not fetch the key set again.
    expect(fault.requestsTo('/jwks')).toHaveLength(0);
  });

  it('never follows a jwk header to an attacker key', async () => {
    answerJwt(await sign(undefined, { kid: 'other-key', jwk: otherKeys.publicJwk }, otherKeys.privateKey));
    await expect502();
  });

  it('refuses a crit header, even on a valid signature', async () => {
    // jose will not sign an unknown critical extension, so the JWS is built by hand.
    const input = `${b64({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'server-key', crit: ['x-policy'], 'x-policy': 1 })}.${b64(introspection())}`;
    const signature = cryptoSign('sha256', Buffer.from(input), serverKeys.privatePem).toString('base64url');
    answerJwt(`${input}.${signature}`);
    await expect502();
  });

  it('refuses JSON when a JWT was asked for (a downgrade)', async () => {
    answerJwt(JSON.stringify(activeAnswer()), 'application/json');
    await expect502();
  });

  it('refuses a JWT answer with a JSON content type', async () => {
    answerJwt(await sign(), 'application/json');
    await expect502();
  });

  it('refuses an encrypted (five-part) answer when no decryption key is configured', async () => {
    answerJwt('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d');
    await expect502();
  });

  it('refuses an answer without token_introspection', async () => {
    const claims: Record<string, unknown> = { ...introspection(), active: true };
    delete claims.token_introspection;
    answerJwt(await sign(claims));
    await expect502();
  });
});

describe.each(ADAPTERS)('demo API on %s with encrypted JWT introspection responses', (adapter) => {
  let fault: FakeAuthorizationServer;
  let demo: RunningDemo;
  let signing: Keys;
  let encryption: Keys;
  let otherEncryption: Keys;
  let answer: string;

  const signed = () =>
    new SignJWT({
      iss: fault.origin,
      aud: CLIENT_ID,
      iat: nowSeconds(),
      token_introspection: {
        active: true,
        token_type: 'Bearer',
        scope: 'read:payments',
        exp: nowSeconds() + 600,
      },
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'server-key' })
      .sign(signing.privateKey);
  const encrypt = (plaintext: string, key: Keys) =>
    new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256', cty: 'JWT' })
      .encrypt(createPublicKey(key.publicPem));
  const callMe = () => send(`${demo.url}/me`, { headers: bearer(TOKEN) });

  beforeAll(async () => {
    signing = await keys('server-key');
    encryption = await keys('enc-key');
    otherEncryption = await keys('other-enc-key');
    fault = await FakeAuthorizationServer.start();
    fault.answerWith((request, res) => {
      if (request.path === '/jwks') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: [signing.publicJwk] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': MEDIA_TYPE });
      res.end(answer);
    });
    demo = await startDemo(adapter, {
      INTROSPECTION_ENDPOINT: fault.endpoint,
      INTROSPECTION_ISSUER: fault.origin,
      INTROSPECTION_JWKS_URI: `${fault.origin}/jwks`,
      INTROSPECTION_RESPONSE_FORMAT: 'jwt',
      INTROSPECTION_RESPONSE_DECRYPTION_KEY: encryption.privatePem,
      INTROSPECTION_CLIENT_ID: CLIENT_ID,
      INTROSPECTION_CLIENT_SECRET: 'demo-api-secret',
      // Every case fails on purpose; the breaker has its own suite.
      INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD: '0',
    });
  });

  afterAll(async () => {
    await demo?.close();
    await fault?.close();
  });

  it('decrypts, then verifies the signed JWT inside, and keeps that JWT on the result', async () => {
    const jwt = await signed();
    answer = await encrypt(jwt, encryption);
    const response = await callMe();
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ active: true });
    expect(response.json()).not.toHaveProperty('jwt');
    expect((await demo.app.get(IntrospectionService).introspect(TOKEN)).jwt).toBe(jwt);
  });

  it('refuses an answer encrypted for another key', async () => {
    answer = await encrypt(await signed(), otherEncryption);
    expect((await callMe()).status).toBe(502);
  });

  it('refuses an encrypted answer that is not signed inside', async () => {
    answer = await encrypt(JSON.stringify({ token_introspection: { active: true } }), encryption);
    expect((await callMe()).status).toBe(502);
  });

  it('refuses a signed answer inside whose signature is not the server key', async () => {
    const jwt = await new SignJWT({
      iss: fault.origin,
      aud: CLIENT_ID,
      iat: nowSeconds(),
      token_introspection: { active: true },
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'server-key' })
      .sign(otherEncryption.privateKey);
    answer = await encrypt(jwt, encryption);
    expect((await callMe()).status).toBe(502);
  });
});
