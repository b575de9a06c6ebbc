// A development authorization server: oidc-provider with the client
// credentials grant, token introspection (RFC 7662) and revocation (RFC 7009),
// listening on loopback. Used by the demo when no real server is configured,
// and by the end-to-end tests. Not for production.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const demo = JSON.parse(readFileSync(new URL('./demo-clients.json', import.meta.url), 'utf8'));
const transmitter = JSON.parse(readFileSync(new URL('./demo-transmitter.json', import.meta.url), 'utf8'));

/**
 * Where the server publishes the public key of the demo's security event
 * transmitter (npm run demo:security-event), which the demo API's receiver
 * verifies pushed SETs with (INTROSPECTION_SET_JWKS_URI).
 */
export const DEMO_TRANSMITTER_JWKS_PATH = transmitter.jwksPath;

/** The transmitter's JWK Set: the public members of its development key only. */
function transmitterJwks() {
  const { kty, crv, x, y, kid, alg, use } = transmitter.key;
  return JSON.stringify({ keys: [{ kty, crv, x, y, kid, alg, use }] });
}

/** The resource server's audience, given to every token by default. */
export const DEMO_AUDIENCE = demo.audience;

/** A resource whose access tokens are JWTs (RFC 9068), for local validation before introspection. */
export const DEMO_JWT_AUDIENCE = demo.jwtAudience;

/** Scopes the demo's routes require. */
export const DEMO_SCOPES = demo.scopes;

/**
 * Signature algorithms accepted for JWT client assertions: all the library
 * produces (oidc-provider's default list is HS256, RS256, PS256, ES256, EdDSA).
 */
export const CLIENT_AUTH_SIGNING_ALGS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/**
 * The demo's clients (development credentials only): one per
 * client-authentication method for the API to introspect with, plus a
 * client that obtains access tokens with the client credentials grant.
 *
 * The private_key_jwt client is registered only when its public keys are
 * given (a JWKS as JSON in `privateKeyJwtJwks`, by default the
 * DEMO_PRIVATE_KEY_JWT_JWKS environment variable): the demo generates its
 * development key pair at start and passes the public half here.
 */
export function demoClients(privateKeyJwtJwks = process.env.DEMO_PRIVATE_KEY_JWT_JWKS) {
  return [
    ...Object.entries(demo.introspectionClients).flatMap(([method, client]) => {
      if (method === 'private_key_jwt') {
        return privateKeyJwtJwks
          ? [
              {
                client_id: client.clientId,
                token_endpoint_auth_method: method,
                jwks: JSON.parse(privateKeyJwtJwks),
              },
            ]
          : [];
      }
      return [
        {
          client_id: client.clientId,
          client_secret: client.clientSecret,
          token_endpoint_auth_method: method,
        },
      ];
    }),
    tokenClient(),
  ];
}

function tokenClient() {
  return {
    client_id: demo.tokenClient.clientId,
    client_secret: demo.tokenClient.clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    scope: DEMO_SCOPES.join(' '),
  };
}

/**
 * Starts the server. `use` adds Koa middleware in front of the provider's
 * routes (the tests count and slow down introspection requests with it);
 * `configuration` is merged into oidc-provider's configuration (its `features`
 * feature by feature); `configure`
 * is called with the provider (e.g. to listen to its events).
 */
export async function startAuthorizationServer({
  port = 0,
  host = '127.0.0.1',
  clients = demoClients(),
  use = [],
  configuration = {},
  configure = () => {},
} = {}) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const issuer = `http://${host}:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: clients.map((client) => ({
      grant_types: [],
      response_types: [],
      redirect_uris: [],
      ...client,
    })),
    scopes: ['openid', ...DEMO_SCOPES],
    enabledJWA: { clientAuthSigningAlgValues: CLIENT_AUTH_SIGNING_ALGS },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      // RFC 9701 signed answers, for clients registered with introspection_signed_response_alg.
      jwtIntrospection: { enabled: true },
      // Encrypted answers, for clients registered with introspection_encrypted_response_alg.
      encryption: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DEMO_AUDIENCE,
        getResourceServerInfo: (ctx, resourceIndicator) => ({
          scope: DEMO_SCOPES.join(' '),
          audience: resourceIndicator,
          // Opaque by default; the demo's JWT audience and any resource ending
          // in ":jwt" get JWT access tokens (tests of issuer routing read their `iss`).
          accessTokenFormat:
            resourceIndicator === DEMO_JWT_AUDIENCE || resourceIndicator.endsWith(':jwt') ? 'jwt' : 'opaque',
        }),
      },
      // Features given in `configuration` are added to these, not put in their place.
      ...configuration.features,
    },
    extraTokenClaims: demoClaims,
    ...withoutFeatures(configuration),
  });
  provider.use(sessionOfDevelopmentTokens);
  for (const middleware of use) {
    provider.use(middleware);
  }
  configure(provider);
  const callback = provider.callback();
  const jwks = transmitterJwks();
  server.on('request', (req, res) => {
    if (req.method === 'GET' && req.url === DEMO_TRANSMITTER_JWKS_PATH) {
      res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' }).end(jwks);
      return;
    }
    callback(req, res);
  });
  return {
    issuer,
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Header naming the `acr` a development token claims its user authenticated with. */
export const DEMO_ACR_HEADER = 'x-demo-acr';
/** Header setting a development token's `auth_time` (seconds since the epoch). */
export const DEMO_AUTH_TIME_HEADER = 'x-demo-auth-time';

/** Header naming the user (`sub`) a development token stands for. */
export const DEMO_SUBJECT_HEADER = 'x-demo-subject';
/** Header naming the session (`sid`) a development token belongs to. */
export const DEMO_SESSION_HEADER = 'x-demo-session';

/** Where a development token keeps its session id: oidc-provider sets `sid` itself (from a real session). */
const DEMO_SID_CLAIM = 'demo_sid';

/**
 * User claims for client credentials tokens, which have no user and so no
 * `sub`, `sid`, `acr` or `auth_time` of their own: a development stand-in
 * for a signed-in user. `X-Demo-Subject` sets `sub`, `X-Demo-Session` sets
 * `sid` (revocation by subject or session, e.g. a security event);
 * `X-Demo-Acr` sets `acr` (and `auth_time` to now), `X-Demo-Auth-Time` sets
 * `auth_time` (step-up, RFC 9470). oidc-provider stores them with the token
 * and puts them in its introspection answers. Not for production.
 */
function demoClaims(ctx) {
  const acr = ctx?.get(DEMO_ACR_HEADER);
  const authTime = ctx?.get(DEMO_AUTH_TIME_HEADER);
  const subject = ctx?.get(DEMO_SUBJECT_HEADER);
  const session = ctx?.get(DEMO_SESSION_HEADER);
  const claims = {};
  if (subject) {
    claims.sub = subject;
  }
  if (session) {
    claims[DEMO_SID_CLAIM] = session;
  }
  if (acr) {
    claims.acr = acr;
    claims.auth_time = Math.floor(Date.now() / 1000);
  }
  if (authTime && /^\d+$/.test(authTime)) {
    claims.auth_time = Number(authTime);
  }
  return Object.keys(claims).length > 0 ? claims : undefined;
}

/** Introspection answers give a development token's session as `sid`, where a real session's would be. */
async function sessionOfDevelopmentTokens(ctx, next) {
  await next();
  const body = ctx.path.endsWith('/introspection') ? ctx.body : undefined;
  if (body && typeof body === 'object' && typeof body[DEMO_SID_CLAIM] === 'string') {
    body.sid ??= body[DEMO_SID_CLAIM];
    delete body[DEMO_SID_CLAIM];
  }
}

function withoutFeatures(configuration) {
  const rest = { ...configuration };
  delete rest.features;
  return rest;
}

/**
 * Runs a server as a child process: prints one JSON line
 * `{"event":"ready","issuer":...}` on stdout once it listens, and exits when
 * its parent goes away.
 */
export async function runAsChildProcess(options) {
  const { issuer } = await startAuthorizationServer(options);
  process.stdout.write(`${JSON.stringify({ event: 'ready', issuer })}\n`);
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}
