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

/** A running oidc-provider for the tests, with helpers to mint and revoke tokens. */
export class TestAuthorizationServer {
  private constructor(private readonly process: AuthorizationServerProcess) {}

  /** Starts oidc-provider in its own process on 127.0.0.1, on `port` or a random one. */
  static async start({ port }: { port?: number } = {}): Promise<TestAuthorizationServer> {
    recordSecret(HARD_SECRET);
    recordClientSecrets(demoClients());
    return new TestAuthorizationServer(
      await spawnAuthorizationServer(join(__dirname, 'oidc-test-server.mjs'), {
        TEST_HARD_SECRET: HARD_SECRET,
        ...(port === undefined ? {} : { AUTH_SERVER_PORT: String(port) }),
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
    const token = answer.json<{ access_token: string }>().access_token;
    recordSecret(token);
    return token;
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
