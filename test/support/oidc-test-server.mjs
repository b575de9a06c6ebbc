// The end-to-end tests' authorization server: the demo's oidc-provider set-up
// plus test clients, and test controls under /__test/: introspection request
// count, artificial introspection delay, and a record of every token and
// introspection request as it came over the wire (to prove, e.g., that no
// client assertion is sent twice).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  demoClients,
  runAsChildProcess,
} from '../../apps/demo/authorization-server/authorization-server.mjs';

const JWT_INTROSPECTION_CLIENTS = JSON.parse(process.env.TEST_JWT_INTROSPECTION_CLIENTS ?? '{}');
const ENCRYPTION_JWK = process.env.TEST_ENCRYPTION_JWK
  ? JSON.parse(process.env.TEST_ENCRYPTION_JWK)
  : undefined;
let introspections = 0;
let delayMs = 0;
/** @type {Array<{ path: string, clientId?: string, authorization?: string, body: string, status?: number }>} */
const recorded = [];

const CERTIFICATE_BOUND_CLIENT_ID = 'certificate-bound-client';
const CLIENT_CERTIFICATE_HEADER = 'x-test-client-certificate';

/** Lifetime of the bearer-api client's access tokens, short enough for the renewal tests. */
const BEARER_CLIENT_TOKEN_TTL = 60;

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
  if (ctx.path === '/__test/requests') {
    ctx.body = recorded;
    return;
  }
  if (ctx.path === '/__test/refresh-token' && ctx.method === 'POST') {
    ctx.body = { refresh_token: await mintRefreshToken(String(ctx.query.client_id)) };
    return;
  }
  if (ctx.method !== 'POST' || (ctx.path !== '/token' && ctx.path !== '/token/introspection')) {
    await next();
    return;
  }
  let entry;
  try {
    entry = await recordRequest(ctx);
  } catch {
    // The client went away before its body arrived (e.g. the demo's
    // deadline passed): nobody is left to answer.
    ctx.status = 400;
    return;
  }
  if (ctx.path === '/token/introspection') {
    introspections++;
    if (delayMs > 0) {
      await sleep(delayMs);
    }
  }
  try {
    await next();
  } finally {
    entry.status = ctx.status;
  }
}

/**
 * Reads the raw form body and hands it on to oidc-provider, which then parses
 * it from `req.body` (it says so once with a warning on stderr).
 */
async function recordRequest(ctx) {
  const body = await readBody(ctx.req);
  ctx.req.body = body;
  const entry = {
    path: ctx.path,
    clientId: clientIdOf(ctx.headers.authorization, new URLSearchParams(body)),
    authorization: ctx.headers.authorization?.split(' ')[0],
    body,
  };
  recorded.push(entry);
  return entry;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function clientIdOf(authorization, params) {
  if (authorization?.startsWith('Basic ')) {
    return decodeURIComponent(Buffer.from(authorization.slice(6), 'base64').toString().split(':')[0]);
  }
  const assertion = params.get('client_assertion');
  if (assertion) {
    return JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString()).sub;
  }
  return params.get('client_id') ?? undefined;
}

/** The provider, once started (for the controls that use its models). */
let provider;

/**
 * A real refresh token of this server, stored by oidc-provider's own model
 * for `clientId`, as the refresh_token grant would issue it after an
 * authorization code flow (which needs a browser): oidc-provider then
 * introspects it as active, without token_type and without aud.
 */
async function mintRefreshToken(clientId) {
  const client = await provider.Client.find(clientId);
  const token = new provider.RefreshToken({
    client,
    accountId: 'refresh-token-owner',
    scope: 'read:payments',
    gty: 'authorization_code',
  });
  return token.save();
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
  // testControls may have read the body already (it records introspection requests).
  const params = new URLSearchParams(
    typeof ctx.req.body === 'string' ? ctx.req.body : await readBody(ctx.req),
  );
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
  // oidc-provider reads an already read body from ctx.req.body.
  ctx.req.body = params.toString();
  return next();
}

await runAsChildProcess({
  port: Number(process.env.AUTH_SERVER_PORT ?? 0),
  clients: [
    // The private_key_jwt client holds the public keys the test harness generated.
    ...demoClients(process.env.TEST_PRIVATE_KEY_JWT_JWKS),
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
      ...(method === 'private_key_jwt'
        ? { jwks: JSON.parse(process.env.TEST_PRIVATE_KEY_JWT_JWKS) }
        : { client_secret: client.clientSecret }),
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
    // A client whose access tokens are bound to its TLS client certificate
    // (RFC 8705 §3): oidc-provider answers their introspection with
    // token_type Bearer and cnf.x5t#S256.
    {
      client_id: CERTIFICATE_BOUND_CLIENT_ID,
      client_secret: process.env.TEST_CERTIFICATE_BOUND_CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      scope: 'read:payments',
      tls_client_certificate_bound_access_tokens: true,
    },
    // The client of the bearer method: it obtains its own access token to
    // call a bearer-protected introspection endpoint.
    {
      client_id: 'bearer-api',
      client_secret: process.env.TEST_BEARER_CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
    },
  ],
  use: [testControls, lookUpJwtsByJti],
  configure: (started) => {
    provider = started;
    persistJwtAccessTokens(started);
  },
  configuration: {
    features: {
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        // No TLS in the tests: the client certificate (base64 DER) comes in a
        // header, the way a TLS-terminating proxy passes it on.
        getCertificate: (ctx) => ctx.get(CLIENT_CERTIFICATE_HEADER) || undefined,
      },
    },
    // Not the default: oidc-provider then serves the refresh_token grant,
    // and introspects refresh tokens (it answers them inactive otherwise).
    // No flow here issues one; /__test/refresh-token mints them.
    issueRefreshToken: async () => false,
    ttl: {
      ClientCredentials: (_ctx, _token, client) =>
        client.clientId === 'bearer-api' ? BEARER_CLIENT_TOKEN_TTL : 600,
    },
  },
});
