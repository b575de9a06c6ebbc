// The end-to-end tests' authorization server: the demo's oidc-provider set-up
// plus a client with a hard secret, and test controls (introspection request
// count, artificial introspection delay) under /__test/.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEMO_CLIENTS,
  runAsChildProcess,
} from '../../apps/demo/authorization-server/authorization-server.mjs';

const JWT_INTROSPECTION_CLIENTS = JSON.parse(process.env.TEST_JWT_INTROSPECTION_CLIENTS ?? '{}');
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
  ],
  use: [testControls],
});
