import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay to a server, which a test can cut (every connection reset, new ones refused, as
 * when the server goes down) and restore on the same port: an outage without stopping the shared server.
 */
export class TcpProxy {
  #port = 0;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Listens on a free loopback port. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    proxy.#port = await proxy.#listen(0);
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  #listen(port: number): Promise<number> {
    const server = createServer((client) => {
      const upstream = createConnection(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** The server "goes down": open connections are reset and new ones refused. */
  cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.resetAndDestroy();
    this.#sockets.clear();
    // close() stops listening at once; its callback would also wait for connections already reset.
    server?.close();
    server?.unref();
    return Promise.resolve();
  }

  /** The server "comes back" on the same port. */
  async restore(): Promise<void> {
    if (this.#server === null) await this.#listen(this.port);
  }

  close(): Promise<void> {
    return this.cut();
  }
}
