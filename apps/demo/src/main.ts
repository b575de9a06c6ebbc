import { Logger } from '@nestjs/common';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDemoApp, DemoAdapter } from './create-demo-app';
import { developmentSigningKey } from './development-signing-key';
import { startTelemetry } from './telemetry';
import {
  authorizationServerDir,
  demoClients,
  spawnAuthorizationServer,
} from './embedded-authorization-server';

const logger = new Logger('Demo');

async function bootstrap(): Promise<void> {
  // First: the SDK must be registered before the module is created.
  startTelemetry();
  const embedded = !process.env.INTROSPECTION_ENDPOINT && !process.env.INTROSPECTION_ISSUER;
  const host = process.env.HOST ?? '127.0.0.1';
  // 4000, not 3000: a tutorial app made with `nest new` listens on 3000 beside it.
  // Port 0 is resolved first: the resource identifier names the port.
  const port = Number(process.env.PORT ?? 4000) || (await freePort(host));
  let issuer: string | undefined;
  if (embedded) {
    issuer = await startEmbeddedAuthorizationServer(`http://${host}:${port}`);
  }
  const adapter = (process.env.DEMO_ADAPTER ?? 'express') as DemoAdapter;
  if (embedded) {
    // DPoP proofs name the URL they are sent to (htu): the one the demo listens on.
    process.env.INTROSPECTION_PUBLIC_URL ??= `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  const app = await createDemoApp(adapter);
  await app.listen(port, host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  logger.log(`Demo API (${adapter}) listening on ${url}`);
  if (issuer) {
    printForYourOwnApp(issuer);
    printTryItOut(issuer, url);
  }
}

/**
 * Starts oidc-provider on loopback in its own process and points the
 * INTROSPECTION_* variables at it, for the client selected by
 * INTROSPECTION_ENDPOINT_AUTH_METHOD. The demo's own base URL is its
 * resource identifier (RFC 8707), with its protected resource metadata
 * document (RFC 9728) served, when it listens on a loopback address.
 */
async function startEmbeddedAuthorizationServer(baseUrl: string): Promise<string> {
  const clients = demoClients();
  const method = process.env.INTROSPECTION_ENDPOINT_AUTH_METHOD ?? 'client_secret_basic';
  const client = clients.introspectionClients[method];
  if (!client) {
    throw new Error(
      `The embedded authorization server has no client for INTROSPECTION_ENDPOINT_AUTH_METHOD="${method}"; it has: ${Object.keys(clients.introspectionClients).join(', ')}.`,
    );
  }
  // private_key_jwt: the server learns the public key of the API's
  // (generated or configured) development key.
  const signingKey = method === 'private_key_jwt' ? developmentSigningKey() : undefined;
  const server = await spawnAuthorizationServer(
    join(authorizationServerDir(), 'main.mjs'),
    signingKey ? { DEMO_PRIVATE_KEY_JWT_JWKS: JSON.stringify({ keys: [signingKey.publicJwk] }) } : {},
  );
  const clientSecret = process.env.INTROSPECTION_CLIENT_SECRET ?? client.clientSecret;
  // http is accepted for a resource on loopback only; elsewhere set INTROSPECTION_RESOURCE to the https URL.
  const resource = process.env.INTROSPECTION_RESOURCE ?? (isLoopback(baseUrl) ? baseUrl : undefined);
  Object.assign(process.env, {
    INTROSPECTION_ENDPOINT: `${server.issuer}/token/introspection`,
    INTROSPECTION_ISSUER: server.issuer,
    INTROSPECTION_CLIENT_ID: process.env.INTROSPECTION_CLIENT_ID ?? client.clientId,
    ...(clientSecret === undefined ? {} : { INTROSPECTION_CLIENT_SECRET: clientSecret }),
    // Tokens for the demo audience (what the printed curl commands get), and
    // for the resource (what an MCP client asks for with resource=).
    INTROSPECTION_AUDIENCE:
      process.env.INTROSPECTION_AUDIENCE ?? [clients.audience, ...(resource ? [resource] : [])].join(','),
    ...(resource
      ? {
          INTROSPECTION_RESOURCE: resource,
          INTROSPECTION_RESOURCE_METADATA: process.env.INTROSPECTION_RESOURCE_METADATA ?? 'true',
        }
      : {}),
    INTROSPECTION_REALM: process.env.INTROSPECTION_REALM ?? 'demo',
    // Answers are reused for 10 s, so a revoked token is refused at most 10 s later.
    INTROSPECTION_TTL: process.env.INTROSPECTION_TTL ?? '10s',
    // The embedded server publishes the key of the demo's security event
    // transmitter (npm run demo:security-event): the receiver is mounted.
    INTROSPECTION_SET_ISSUER: process.env.INTROSPECTION_SET_ISSUER ?? server.issuer,
    INTROSPECTION_SET_JWKS_URI:
      process.env.INTROSPECTION_SET_JWKS_URI ?? `${server.issuer}${transmitterJwksPath()}`,
    ...signingKey?.env,
  });
  const stop = () => void server.stop();
  process.once('exit', stop);
  logger.log(
    `Embedded development authorization server (oidc-provider) at ${server.issuer}, client "${process.env.INTROSPECTION_CLIENT_ID}" (${method})`,
  );
  return server.issuer;
}

/**
 * What an app of the user's own (the README tutorial's) needs to call the
 * embedded server: development-only credentials from demo-clients.json.
 */
function printForYourOwnApp(issuer: string): void {
  const method = process.env.INTROSPECTION_ENDPOINT_AUTH_METHOD ?? 'client_secret_basic';
  const developmentSecret = demoClients().introspectionClients[method]?.clientSecret;
  const fixedPort = process.env.DEV_AUTH_SERVER_PORT && process.env.DEV_AUTH_SERVER_PORT !== '0';
  process.stdout.write(
    [
      '',
      'For your own app (e.g. the README tutorial, on port 3000), paste into its shell:',
      `  export INTROSPECTION_ENDPOINT=${process.env.INTROSPECTION_ENDPOINT}`,
      `  export INTROSPECTION_CLIENT_ID=${process.env.INTROSPECTION_CLIENT_ID}`,
      // Only the embedded server's published development secret is printed, never one the user set.
      ...(developmentSecret === undefined || developmentSecret !== process.env.INTROSPECTION_CLIENT_SECRET
        ? []
        : [`  export INTROSPECTION_CLIENT_SECRET=${developmentSecret}`]),
      '  export INTROSPECTION_REALM=payments',
      `  (issuer ${issuer}; the API client's id and secret are the embedded server's development credentials)`,
      fixedPort
        ? ''
        : '  The authorization server port is random; start the demo with DEV_AUTH_SERVER_PORT=4001 npm start to fix it.',
    ].join('\n') + '\n',
  );
}

function printTryItOut(issuer: string, url: string): void {
  const { tokenClient } = demoClients();
  // Development-only credentials of the embedded server's token client.
  // The X-Demo-* headers stand in for a user who signed in with a second
  // factor (RFC 9470 step-up): the server puts acr and auth_time in the token.
  const getToken = (scope: string, headers = '') =>
    `TOKEN=$(curl -s -u ${tokenClient.clientId}:${tokenClient.clientSecret}${headers} -d grant_type=client_credentials -d 'scope=${scope}' ${issuer}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`;
  const metadata = process.env.INTROSPECTION_RESOURCE
    ? [
        `  curl -s ${url}/.well-known/oauth-protected-resource   # RFC 9728: where to get a token for this API`,
      ]
    : [];
  process.stdout.write(
    [
      '',
      'Try it (copy and paste):',
      `  ${getToken('read:payments')}`,
      `  curl -i ${url}/me -H "Authorization: Bearer $TOKEN"`,
      `  curl -i ${url}/payments -H "Authorization: Bearer $TOKEN"`,
      `  curl -i -X POST ${url}/payments -H "Authorization: Bearer $TOKEN"   # 403: needs write:payments`,
      `  ${getToken('read:payments write:payments')}`,
      `  curl -i -X POST ${url}/payments -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"amount": 10}'`,
      `  curl -i -X POST ${url}/payments/1/approve -H "Authorization: Bearer $TOKEN"   # 401 insufficient_user_authentication: needs MFA`,
      `  ${getToken('read:payments write:payments', " -H 'X-Demo-Acr: urn:example:mfa'")}`,
      `  curl -i -X POST ${url}/payments/1/approve -H "Authorization: Bearer $TOKEN"   # 200 for 5 minutes, then 401 again`,
      `  curl -i ${url}/me                                                 # 401: no token`,
      ...metadata,
      `  curl -s -u ${tokenClient.clientId}:${tokenClient.clientSecret} -d "token=$TOKEN" ${issuer}/token/revocation`,
      `  curl -i ${url}/me -H "Authorization: Bearer $TOKEN"   # 401 once the 10 s cache entry expires`,
      '',
      'DPoP-bound tokens (RFC 9449; curl cannot sign proofs, this script does; INTROSPECTION_DPOP=required refuses the others):',
      `  DEMO_ISSUER=${issuer} DEMO_API=${url} npm run demo:dpop -- /me`,
      `  DEMO_ISSUER=${issuer} DEMO_API=${url} npm run demo:dpop -- /payments POST 'read:payments'   # 403: needs write:payments`,
      '',
      `Security events (RFC 8935): revoke what the demo cached for the token client's tokens (sub ${tokenClient.clientId}):`,
      `  DEMO_ISSUER=${issuer} DEMO_API=${url} npm run demo:security-event -- --sub ${tokenClient.clientId}   # 202`,
      '',
    ].join('\n') + '\n',
  );
}

/** Where the embedded server publishes the demo transmitter's public key. */
function transmitterJwksPath(): string {
  const transmitter = JSON.parse(
    readFileSync(join(authorizationServerDir(), 'demo-transmitter.json'), 'utf8'),
  ) as { jwksPath: string };
  return transmitter.jwksPath;
}

/** A port nobody listens on right now, on `host`. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function isLoopback(url: string): boolean {
  const { hostname } = new URL(url);
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

bootstrap().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
