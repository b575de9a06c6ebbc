// The end-to-end tests' authorization server: the demo's oidc-provider set-up
// plus a client with a hard secret, and test controls (introspection request
// count, artificial introspection delay) under /__test/.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEMO_CLIENTS,
  runAsChildProcess,
} from '../../apps/demo/authorization-server/authorization-server.mjs';

const JWT_INTROSPECTION_CLIENTS = JSON.parse(process.env.TEST_JWT_INTROSPECTION_CLIENTS ?? '{}');
const ENCRYPTION_JWK = process.env.TEST_ENCRYPTION_JWK
  ? JSON.parse(process.env.TEST_ENCRYPTION_JWK)
  : undefined;
let introspections = 0;
let delayMs = 0;

async function testControls(ctx, next) {
  if (ctx.path === '/__test/delay' && ctx.method === 'POST') {
    delayMs = Number(ctx.query.ms ?? 0);
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/__test/stats') {
    ctx.body = { introspections };
    return;
  }
  if (ctx.path === '/token/introspection') {
    introspections++;
    if (delayMs > 0) {
      await sleep(delayMs);
    }
  }
  await next();
}

// oidc-provider neither stores nor introspects JWT access tokens (RFC 9068):
// it refuses any JWT at its introspection and revocation endpoints
// (reject_structured_tokens.js). Servers that issue revocable JWT access
// tokens keep a record by jti; this test server does the same, so the tests
// can introspect and revoke them: a JWT access token is stored under its jti
// when issued, and a JWT sent to introspection or revocation is looked up by
// its jti. Only tokens this server issued are ever found that way.
function persistJwtAccessTokens(provider) {
  provider.on('client_credentials.issued', (token) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iat: token.iat ?? now, exp: token.exp ?? now + token.expiration };
    for (const key of token.constructor.IN_PAYLOAD) {
      if (token[key] !== undefined) {
        payload[key] = token[key];
      }
    }
    void token.adapter.upsert(token.jti, payload, payload.exp - now);
  });
}

async function lookUpJwtsByJti(ctx, next) {
  if (ctx.method !== 'POST' || !['/token/introspection', '/token/revocation'].includes(ctx.path)) {
    return next();
  }
  const chunks = [];
  for await (const chunk of ctx.req) {
    chunks.push(chunk);
  }
  const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const token = params.get('token') ?? '';
  const segments = token.split('.');
  if (segments.length === 3) {
    try {
      const { jti } = JSON.parse(Buffer.from(segments[1], 'base64url').toString('utf8'));
      if (typeof jti === 'string') {
        params.set('token', jti);
      }
    } catch {
      // Not a JWT after all: passed on unchanged.
    }
  }
  // oidc-provider reads an already parsed body from ctx.request.body.
  ctx.request.body = Object.fromEntries(params);
  return next();
}

await runAsChildProcess({
  port: Number(process.env.AUTH_SERVER_PORT ?? 0),
  clients: [
    ...DEMO_CLIENTS,
    // A secret with every character client_secret_basic must form-encode,
    // given by the test harness.
    {
      client_id: 'hard-secret-api',
      client_secret: process.env.TEST_HARD_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // Clients that receive signed introspection responses (RFC 9701).
    ...Object.entries(JWT_INTROSPECTION_CLIENTS).map(([method, client]) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      token_endpoint_auth_method: method,
      introspection_signed_response_alg: 'RS256',
    })),
    // A client whose introspection answers are signed, then encrypted to its key.
    ...(ENCRYPTION_JWK
      ? [
          {
            client_id: 'jwt-introspection-encrypted',
            client_secret: 'jwt-introspection-encrypted-secret',
            token_endpoint_auth_method: 'client_secret_basic',
            introspection_signed_response_alg: 'RS256',
            introspection_encrypted_response_alg: 'RSA-OAEP-256',
            introspection_encrypted_response_enc: 'A128CBC-HS256',
            jwks: { keys: [ENCRYPTION_JWK] },
          },
        ]
      : []),
  ],
  use: [testControls, lookUpJwtsByJti],
  configure: persistJwtAccessTokens,
});
