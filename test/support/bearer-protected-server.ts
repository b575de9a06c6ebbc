import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from './http';

/** Where the bearer-protected endpoint checks tokens and forwards introspections. */
export interface UpstreamIntrospection {
  /** oidc-provider's introspection endpoint. */
  readonly endpoint: string;
  /** Basic credentials of the client the front end introspects with. */
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * An introspection endpoint that authenticates its callers with a bearer
 * access token instead of client credentials, as Janssen does; oidc-provider
 * cannot be set up that way, so this small front end does it in front of
 * oidc-provider. It checks the caller's token by introspecting it at
 * oidc-provider (active, and issued to `callerClientId`) and then forwards
 * the caller's introspection request there. Refusals are RFC 6750 401s.
 */
export class BearerProtectedIntrospectionServer {
  /** The bearer token of every request received, in order. */
  readonly callerTokens: string[] = [];
  /** The status answered to every request, in order. */
  readonly statuses: number[] = [];

  private constructor(
    private readonly server: Server,
    private readonly upstream: UpstreamIntrospection,
    private readonly callerClientId: string,
  ) {}

  static async start(
    upstream: UpstreamIntrospection,
    callerClientId: string,
  ): Promise<BearerProtectedIntrospectionServer> {
    const server = createServer();
    const front = new BearerProtectedIntrospectionServer(server, upstream, callerClientId);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        front
          .handle(req.headers.authorization, Buffer.concat(chunks).toString())
          .then(({ status, body }) => {
            front.statuses.push(status);
            res.writeHead(status, {
              'content-type': 'application/json',
              ...(status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {}),
            });
            res.end(body);
          })
          .catch(() => {
            res.writeHead(500);
            res.end();
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return front;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/introspect`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    authorization: string | undefined,
    body: string,
  ): Promise<{ status: number; body: string }> {
    const callerToken = /^Bearer ([^\s]+)$/.exec(authorization ?? '')?.[1];
    if (callerToken === undefined) {
      return { status: 401, body: JSON.stringify({ error: 'invalid_token' }) };
    }
    this.callerTokens.push(callerToken);
    const caller = await this.introspect(new URLSearchParams({ token: callerToken }).toString());
    const claims = caller.json<{ active?: boolean; client_id?: string }>();
    if (caller.status !== 200 || claims.active !== true || claims.client_id !== this.callerClientId) {
      return { status: 401, body: JSON.stringify({ error: 'invalid_token' }) };
    }
    // The caller's own client credentials are not forwarded: only its question.
    const params = new URLSearchParams(body);
    const question = new URLSearchParams({ token: params.get('token') ?? '' });
    const hint = params.get('token_type_hint');
    if (hint) {
      question.set('token_type_hint', hint);
    }
    const answer = await this.introspect(question.toString());
    return { status: answer.status, body: answer.body };
  }

  private introspect(body: string) {
    const { endpoint, clientId, clientSecret } = this.upstream;
    return send(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
    });
  }
}
