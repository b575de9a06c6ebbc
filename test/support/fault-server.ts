import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fault server answers an introspection request. */
export type FaultHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A local HTTP server standing in for an authorization server that misbehaves
 * in ways oidc-provider never does (500s, garbage bodies, slow replies).
 * The answer is swapped per test with {@link answerWith}.
 */
export class FaultServer {
  requests = 0;
  private handler: FaultHandler = (_req, res) => res.end();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FaultServer> {
    const server = createServer();
    const fault = new FaultServer(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fault.requests++;
      // Read the whole request before answering, as a real server does.
      req.resume();
      req.on('end', () => fault.handler(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fault;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/introspect`;
  }

  answerWith(handler: FaultHandler): void {
    this.handler = handler;
    this.requests = 0;
  }

  /** Answers with a status, a body and optional headers. */
  answer(status: number, body: string | object, headers: Record<string, string> = {}): void {
    this.answerWith((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
