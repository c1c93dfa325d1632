import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port on 127.0.0.1 that forwards to the target. */
  port: number;
  /** Drops every open connection and stops listening (new ones are refused), as if the server had died. */
  cut(): Promise<void>;
  /** Listens on the same port again; clients reconnect by themselves. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP forwarder the test can cut and restore, to make PostgreSQL or Redis "unreachable"
 * from the app's point of view without touching the real servers. Cut, it resets the open
 * connections and stops listening, so new ones are refused (ECONNREFUSED) as with a stopped
 * server; restored, it listens on the same port again.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const drop = (s: Socket) => {
    open.delete(s);
    s.destroy();
  };
  const server = createServer((client) => {
    const upstream = createConnection(target);
    open.add(client);
    open.add(upstream);
    const end = () => {
      drop(client);
      drop(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    async cut() {
      const closed = stop();
      for (const s of [...open]) {
        open.delete(s);
        s.resetAndDestroy();
      }
      await closed;
    },
    async restore() {
      if (!server.listening) await listen(port);
    },
    async close() {
      const closed = stop();
      for (const s of [...open]) drop(s);
      await closed;
    },
  };
}

/** host and port of a URL, for the proxy's target. */
export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : defaultPort };
}

/** The same URL with host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: Pick<TcpProxy, 'port'>): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}
