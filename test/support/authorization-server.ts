import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import {
  AuthorizationServerProcess,
  demoClients,
  spawnAuthorizationServer,
} from '../../apps/demo/src/embedded-authorization-server';
import { send } from './http';

/**
 * The secret of the `hard-secret-api` client: characters that
 * client_secret_basic must form-encode (RFC 6749 §2.3.1). ASCII only, because
 * client secrets are VSCHAR (RFC 6749 Appendix A.2) and oidc-provider refuses
 * others; the unit tests cover non-ASCII.
 */
export const HARD_SECRET = 'p:a%s+s w&rd/=';

/** Clients registered with `introspection_signed_response_alg: RS256` (RFC 9701), per authentication method. */
export const JWT_INTROSPECTION_CLIENTS: Record<string, { clientId: string; clientSecret: string }> = {
  client_secret_basic: {
    clientId: 'jwt-introspection-basic',
    clientSecret: 'jwt-introspection-basic-secret',
  },
  client_secret_post: { clientId: 'jwt-introspection-post', clientSecret: 'jwt-introspection-post-secret' },
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

/** A running oidc-provider for the tests, with helpers to mint and revoke tokens. */
export class TestAuthorizationServer {
  private constructor(private readonly process: AuthorizationServerProcess) {}

  /** Starts oidc-provider in its own process on 127.0.0.1 with a random port. */
  static async start(): Promise<TestAuthorizationServer> {
    return new TestAuthorizationServer(
      await spawnAuthorizationServer(join(__dirname, 'oidc-test-server.mjs'), {
        TEST_HARD_SECRET: HARD_SECRET,
        TEST_JWT_INTROSPECTION_CLIENTS: JSON.stringify(JWT_INTROSPECTION_CLIENTS),
        TEST_ENCRYPTION_JWK: JSON.stringify({
          ...ENCRYPTION_KEY.publicKey.export({ format: 'jwk' }),
          use: 'enc',
          alg: 'RSA-OAEP-256',
          kid: 'enc-1',
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

  /** Obtains an access token with the client credentials grant. */
  async mintToken(scope = 'read:payments', resource?: string): Promise<string> {
    const { tokenClient } = demoClients();
    const body = new URLSearchParams({ grant_type: 'client_credentials', scope });
    if (resource) {
      body.set('resource', resource);
    }
    const answer = await send(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(tokenClient.clientId, tokenClient.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: body.toString(),
    });
    if (answer.status !== 200) {
      throw new Error(`Token request failed: ${answer.status} ${answer.body}`);
    }
    return answer.json<{ access_token: string }>().access_token;
  }

  /** Revokes a token at the server (RFC 7009). */
  async revoke(token: string): Promise<void> {
    const { tokenClient } = demoClients();
    const answer = await send(`${this.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: basic(tokenClient.clientId, tokenClient.clientSecret),
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
