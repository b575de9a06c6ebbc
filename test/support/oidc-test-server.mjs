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

let introspections = 0;
let delayMs = 0;
/** @type {Array<{ path: string, clientId?: string, authorization?: string, body: string, status?: number }>} */
const recorded = [];

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
  const chunks = [];
  for await (const chunk of ctx.req) {
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks).toString('utf8');
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
    // The client of the bearer method: it obtains its own access token to
    // call a bearer-protected introspection endpoint.
    {
      client_id: 'bearer-api',
      client_secret: process.env.TEST_BEARER_CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
    },
  ],
  use: [testControls],
  configuration: {
    ttl: {
      ClientCredentials: (_ctx, _token, client) =>
        client.clientId === 'bearer-api' ? BEARER_CLIENT_TOKEN_TTL : 600,
    },
  },
});
