import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the fake authorization server received, body read in full. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/introspect`. */
  readonly path: string;
  /** Header names in lower case, as Node parses them. */
  readonly headers: IncomingHttpHeaders;
  /** The raw body bytes as UTF-8 text, before any decoding. */
  readonly rawBody: string;
  /** The body decoded as `application/x-www-form-urlencoded`. */
  readonly form: URLSearchParams;
  /** Which TCP connection carried it: 1 for the first the server ever accepted, 2 for the next… */
  readonly connection: number;
}

/** How the fake authorization server answers; called once the request body is read. */
export type AnswerHandler = (request: RecordedRequest, res: ServerResponse) => void;

/**
 * A local stand-in for an authorization server's introspection endpoint, on
 * node:http at 127.0.0.1 and a random port. It records every request (and
 * every TCP connection) and answers with whatever the test sets through
 * {@link answerWith} or {@link answerJson}.
 *
 * @example
 * const as = await FakeAuthorizationServer.start();
 * as.answerJson(200, { active: true });
 * // … IntrospectionModule.forRoot({ endpoint: as.endpoint, … })
 * await as.close();
 */
export class FakeAuthorizationServer {
  /** Every request received since the last {@link reset}, in order. */
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted since the last {@link reset}. */
  connections = 0;

  private readonly connectionIds = new WeakMap<Socket, number>();
  private lastConnectionId = 0;
  private handler: AnswerHandler = (_request, res) => res.writeHead(204).end();

  private constructor(private readonly server: Server) {}

  /** Starts a server on 127.0.0.1 with a port the OS picks. */
  static async start(): Promise<FakeAuthorizationServer> {
    const server = createServer();
    const fake = new FakeAuthorizationServer(server);
    server.on('connection', (socket: Socket) => {
      fake.connections++;
      fake.connectionIds.set(socket, ++fake.lastConnectionId);
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.receive(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** URL of the introspection endpoint: `<origin>/introspect`. */
  get endpoint(): string {
    return `${this.origin}/introspect`;
  }

  /** The only request received since the last {@link reset}; fails when there were none or several. */
  get lastRequest(): RecordedRequest {
    if (this.requests.length !== 1) {
      throw new Error(
        `Expected exactly one request to the fake authorization server, got ${this.requests.length}.`,
      );
    }
    return this.requests[0];
  }

  /** Requests received for `path` since the last {@link reset}. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Sets how the next requests are answered and forgets the requests and connections seen so far. */
  answerWith(handler: AnswerHandler): void {
    this.handler = handler;
    this.reset();
  }

  /** Answers every request with `status`, a JSON (or given text) body and extra headers. */
  answerJson(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.answerWith((_request, res) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  /** Forgets the requests and connections seen so far. */
  reset(): void {
    this.requests.length = 0;
    this.connections = 0;
  }

  /** Stops listening and drops every open connection, including ones whose answer is still pending. */
  close(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        form: new URLSearchParams(rawBody),
        connection: this.connectionIds.get(req.socket) ?? 0,
      };
      this.requests.push(request);
      this.handler(request, res);
    });
  }
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on: one the OS just handed
 * out and that was closed again, so connecting to it is refused.
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}
