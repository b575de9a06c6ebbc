import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of `target` (`host:port`), for tests of
 * connections that break: `cut()` closes every connection and refuses new
 * ones (the server is gone), `blackhole()` keeps them open and forwards
 * nothing (a connection that died silently), `restore()` undoes both.
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private mode: 'open' | 'cut' | 'blackhole' = 'open';

  private constructor(
    private readonly server: Server,
    /** The proxy's port on 127.0.0.1. */
    readonly port: number,
  ) {}

  /** A proxy to `target`, a URL such as `redis://127.0.0.1:6379`. */
  static async start(target: string): Promise<TcpProxy> {
    const { hostname, port } = new URL(target);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.accept(client, hostname, Number(port)));
    return proxy;
  }

  /** Closes every connection; new ones are closed at once. */
  cut(): void {
    this.mode = 'cut';
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Stops forwarding, in both directions, without closing anything. */
  blackhole(): void {
    this.mode = 'blackhole';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream).pause();
      upstream.unpipe(client).pause();
    }
  }

  /** Forwards again; the connections held while blackholed are closed (their streams are out of sync). */
  restore(): void {
    if (this.mode === 'blackhole') {
      this.cut();
    }
    this.mode = 'open';
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host, port });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (this.mode === 'open') {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  }
}
