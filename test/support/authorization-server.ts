import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { join } from 'node:path';
import {
  AuthorizationServerProcess,
  demoClients,
  spawnAuthorizationServer,
} from '../../apps/demo/src/embedded-authorization-server';
import { send } from './http';
import { recordSecret } from './log-capture';

/**
 * The secret of the `hard-secret-api` client: characters that
 * client_secret_basic must form-encode (RFC 6749 §2.3.1). ASCII only, because
 * client secrets are VSCHAR (RFC 6749 Appendix A.2) and oidc-provider refuses
 * others; the unit tests cover non-ASCII.
 */
export const HARD_SECRET = 'p:a%s+s w&rd/=';

/** Clients registered with `introspection_signed_response_alg: RS256` (RFC 9701), per authentication method. */
export const JWT_INTROSPECTION_CLIENTS: Record<string, { clientId: string; clientSecret?: string }> = {
  client_secret_basic: {
    clientId: 'jwt-introspection-basic',
    clientSecret: 'jwt-introspection-basic-secret',
  },
  client_secret_post: { clientId: 'jwt-introspection-post', clientSecret: 'jwt-introspection-post-secret' },
  // HS256 needs a secret of at least 32 bytes (RFC 7518 §3.2).
  client_secret_jwt: {
    clientId: 'jwt-introspection-secret-jwt',
    clientSecret: 'jwt-introspection-secret-jwt-secret-0123456789',
  },
  // Signs with TEST_SIGNING_KEYS.ec; the server holds the public keys.
  private_key_jwt: { clientId: 'jwt-introspection-private-key-jwt' },
};

/**
 * The client whose introspection answers oidc-provider signs and then
 * encrypts to {@link ENCRYPTION_KEY}'s public half (RFC 9701 §5).
 */
export const ENCRYPTED_INTROSPECTION_CLIENT = {
  clientId: 'jwt-introspection-encrypted',
  clientSecret: 'jwt-introspection-encrypted-secret',
};

/** The private key that decrypts the answers to {@link ENCRYPTED_INTROSPECTION_CLIENT}; generated per run. */
export const ENCRYPTION_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** The client whose access tokens are bound to its TLS client certificate (RFC 8705 §3). */
export const CERTIFICATE_BOUND_CLIENT = {
  clientId: 'certificate-bound-client',
  clientSecret: 'certificate-bound-client-secret',
};

/** Secret of the `bearer-api` client, which obtains its own token for the bearer method. */
export const BEARER_CLIENT_SECRET = 'bearer-api-secret';

/** A key pair generated for this test run; the server knows the public half under `kid`. */
export interface TestSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** PKCS #8 PEM of the private key, as INTROSPECTION_SIGNING_KEY takes it. */
  readonly pem: string;
}

function testKey(kid: string, pair: { privateKey: KeyObject }): TestSigningKey {
  return {
    kid,
    privateKey: pair.privateKey,
    pem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}

/**
 * Keys of the private_key_jwt client, generated per test run (never
 * committed): the server is given their public JWKs.
 */
export const TEST_SIGNING_KEYS = {
  rsa: testKey('rsa-2048', generateKeyPairSync('rsa', { modulusLength: 2048 })),
  ec: testKey('ec-p256', generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  ed25519: testKey('ed25519', generateKeyPairSync('ed25519')),
};

/** A key the server does not hold, under the kid of one it does. */
export const WRONG_SIGNING_KEY = testKey('ec-p256', generateKeyPairSync('ec', { namedCurve: 'P-256' }));

/** One request the server received at /token or /token/introspection, as it came over the wire. */
export interface RecordedRequest {
  path: '/token' | '/token/introspection';
  clientId?: string;
  /** The Authorization scheme, if any (never the credentials). */
  authorization?: string;
  /** The raw form body. */
  body: string;
  status?: number;
}

/** A running oidc-provider for the tests, with helpers to mint and revoke tokens. */
export class TestAuthorizationServer {
  private constructor(private readonly process: AuthorizationServerProcess) {}

  /** Starts oidc-provider in its own process on 127.0.0.1, on `port` or a random one. */
  static async start({ port }: { port?: number } = {}): Promise<TestAuthorizationServer> {
    recordSecret(HARD_SECRET);
    recordSecret(CERTIFICATE_BOUND_CLIENT.clientSecret);
    recordClientSecrets(demoClients());
    return new TestAuthorizationServer(
      await spawnAuthorizationServer(join(__dirname, 'oidc-test-server.mjs'), {
        TEST_HARD_SECRET: HARD_SECRET,
        ...(port === undefined ? {} : { AUTH_SERVER_PORT: String(port) }),
        TEST_JWT_INTROSPECTION_CLIENTS: JSON.stringify(JWT_INTROSPECTION_CLIENTS),
        TEST_ENCRYPTION_JWK: JSON.stringify({
          ...ENCRYPTION_KEY.publicKey.export({ format: 'jwk' }),
          use: 'enc',
          alg: 'RSA-OAEP-256',
          kid: 'enc-1',
        }),
        TEST_BEARER_CLIENT_SECRET: BEARER_CLIENT_SECRET,
        TEST_CERTIFICATE_BOUND_CLIENT_SECRET: CERTIFICATE_BOUND_CLIENT.clientSecret,
        TEST_PRIVATE_KEY_JWT_JWKS: JSON.stringify({
          keys: Object.values(TEST_SIGNING_KEYS).map(({ kid, privateKey }) => ({
            ...createPublicKey(privateKey).export({ format: 'jwk' }),
            kid,
          })),
        }),
      }),
    );
  }

  get issuer(): string {
    return this.process.issuer;
  }

  get introspectionEndpoint(): string {
    return `${this.issuer}/token/introspection`;
  }

  get tokenEndpoint(): string {
    return `${this.issuer}/token`;
  }

  /** Every token and introspection request received so far, oldest first. */
  async requests(): Promise<RecordedRequest[]> {
    return (await send(`${this.issuer}/__test/requests`)).json<RecordedRequest[]>();
  }

  /**
   * Obtains an access token with the client credentials grant, for the
   * demo's token client unless another `client` is given.
   */
  async mintToken(
    scope = 'read:payments',
    resource?: string,
    client: { clientId: string; clientSecret: string } = demoClients().tokenClient,
    headers: Record<string, string> = {},
  ): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) {
      body.set('scope', scope);
    }
    if (resource) {
      body.set('resource', resource);
    }
    const answer = await send(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        ...headers,
        authorization: basic(client.clientId, client.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: body.toString(),
    });
    if (answer.status !== 200) {
      throw new Error(`Token request failed: ${answer.status} ${answer.body}`);
    }
    const token = answer.json<{ access_token: string }>().access_token;
    recordSecret(token);
    return token;
  }

  /**
   * Obtains an access token standing for a signed-in user: `sub` and, when
   * given, the session `sid` in its introspection answers (the demo server's
   * development stand-in, see `demoClaims`).
   */
  mintUserToken(user: { sub: string; sid?: string }, scope = 'read:payments'): Promise<string> {
    return this.mintToken(scope, undefined, demoClients().tokenClient, {
      'x-demo-subject': user.sub,
      ...(user.sid === undefined ? {} : { 'x-demo-session': user.sid }),
    });
  }

  /**
   * Obtains an access token bound to `certificate` (base64 DER), as if the
   * {@link CERTIFICATE_BOUND_CLIENT} had presented it in its TLS handshake.
   */
  mintCertificateBoundToken(certificate: string, scope = 'read:payments'): Promise<string> {
    return this.mintToken(scope, undefined, CERTIFICATE_BOUND_CLIENT, {
      'x-test-client-certificate': certificate,
    });
  }

  /**
   * Revokes a token at the server (RFC 7009), as the client it was issued to
   * (by default the demo's token client).
   */
  async revoke(token: string, client = demoClients().tokenClient): Promise<void> {
    const answer = await send(`${this.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: basic(client.clientId, client.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    if (answer.status !== 200) {
      throw new Error(`Revocation failed: ${answer.status}`);
    }
  }

  /** How many introspection requests the server has received so far. */
  async introspectionCount(): Promise<number> {
    return (await send(`${this.issuer}/__test/stats`)).json<{ introspections: number }>().introspections;
  }

  /**
   * A refresh token of this server for `clientId`, stored by oidc-provider
   * itself (its introspection answers it active, without token_type and aud).
   */
  async refreshToken(clientId: string): Promise<string> {
    const answer = await send(
      `${this.issuer}/__test/refresh-token?client_id=${encodeURIComponent(clientId)}`,
      {
        method: 'POST',
      },
    );
    return answer.json<{ refresh_token: string }>().refresh_token;
  }

  /** Delays every introspection answer by `ms` (0 to stop). */
  async delayIntrospection(ms: number): Promise<void> {
    await send(`${this.issuer}/__test/delay?ms=${ms}`, { method: 'POST' });
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Records every `clientSecret` in the demo clients file for the log-hygiene check. */
function recordClientSecrets(value: unknown): void {
  if (typeof value !== 'object' || value === null) {
    return;
  }
  for (const [key, member] of Object.entries(value)) {
    if (key === 'clientSecret' && typeof member === 'string') {
      recordSecret(member);
    } else {
      recordClientSecrets(member);
    }
  }
}

/**
 * Starts oidc-provider before the tests of the enclosing suite and stops it
 * after them; once started, `readToken` is a `read:payments` token for the
 * demo audience.
 */
export function authorizationServerForSuite(): { as: TestAuthorizationServer; readToken: string } {
  const suite = {} as { as: TestAuthorizationServer; readToken: string };
  beforeAll(async () => {
    suite.as = await TestAuthorizationServer.start();
    suite.readToken = await suite.as.mintToken('read:payments', demoClients().audience);
  });
  afterAll(async () => {
    await (suite.as as TestAuthorizationServer | undefined)?.stop();
  });
  return suite;
}
