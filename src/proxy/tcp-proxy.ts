import { connect, createServer, type Server, type Socket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type ConnectionOptions, type TlsOptions } from 'node:tls';
import { bindAddress, skippedBindFailure } from '../server/bind-address.js';
import { pipeSockets, type Pipe, type PipeBytes } from './pipe.js';
import type { PipeWorkers } from './pipe-workers.js';

/** Where a new connection goes now: an address, or nowhere yet (held until `holdMs`, then closed). */
export type Route = { host: string; port: number } | { hold: string };

export interface ProxyCounters {
  accepted: number;
  refused: number;
  closedOnSwitch: number;
  bytesToServer: number;
  bytesToClient: number;
}

export interface TcpProxyOptions {
  port: number;
  bind: string[];
  /** How long a new connection waits for a route while there is none (a failover under way). */
  holdMs: number;
  tls?: TlsOptions;
  /** TLS towards Redis, as the sentinel's links use it. */
  upstreamTls?: ConnectionOptions;
  /** Asked for each new connection, and for held ones at each `recheck()`. */
  route: () => Route;
  /** Whether an open session to this `host:port` may stay open; asked at each `recheck()`. */
  keeps: (target: string) => boolean;
  log: (level: 'verbose' | 'notice' | 'warning', message: string) => void;
  label: string;
  /** Where plain (not TLS) sessions are piped; TLS ones are piped in this process. */
  workers: PipeWorkers;
}

interface Session {
  pipe: Pipe;
  target: string;
}

/** A client connection not yet piped to a node: there is no route, or its node has not answered yet. */
interface Waiting {
  client: Socket;
  deadline: number;
  timer: NodeJS.Timeout;
  /** The connection under way to its node, if any. */
  upstream: { socket: Socket; target: string } | null;
}

/** How soon a node that refused a connection is tried again. */
const RETRY_MS = 50;

/**
 * Beyond Redis: a TCP listener that pipes every client connection to the node `route()` names.
 * Bytes pass untouched (AUTH goes through to Redis as sent). Sessions to a node that may no
 * longer be used are cut so that their clients reconnect; while there is no route, new
 * connections wait (without being read from) for up to `holdMs`, then are closed.
 */
export class TcpProxy {
  private readonly connections = { accepted: 0, refused: 0, closedOnSwitch: 0 };
  private readonly bytes: PipeBytes = { toServer: 0, toClient: 0 };
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<Session>();
  private readonly held = new Set<Waiting>();

  constructor(private readonly opts: TcpProxyOptions) {}

  get port(): number {
    return this.opts.port;
  }

  get counters(): ProxyCounters {
    return { ...this.connections, bytesToServer: this.bytes.toServer, bytesToClient: this.bytes.toClient };
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  /** Listens on every `bind` address (Redis's syntax: `*`, `::*`, `-` for one the host may lack). */
  async listen(): Promise<void> {
    for (const entry of this.opts.bind) {
      const bind = bindAddress(entry);
      const onConnection = (socket: Socket) => this.accept(socket);
      // Not read from until its node answers: whatever the client sends waits in the kernel, and
      // goes with the socket when a worker takes the session.
      const server = this.opts.tls ? createTlsServer(this.opts.tls, onConnection) : createServer({ pauseOnConnect: true }, onConnection);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port: this.opts.port, host: bind.host, ipv6Only: bind.ipv6Only, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        // Not logged: the sentinel's own port, on the same addresses, has just said so.
        if (skippedBindFailure(bind, (e as NodeJS.ErrnoException).code ?? '')) continue;
        throw e;
      }
      server.on('error', (e) => this.opts.log('warning', `Proxy ${this.opts.label}: ${e.message}`));
      this.servers.push(server);
    }
  }

  /** Cuts the sessions to nodes that may no longer be used (their clients reconnect), and lets held clients go if there is a route now. */
  recheck(): void {
    let cut = 0;
    for (const s of this.sessions) {
      if (!this.opts.keeps(s.target)) {
        cut++;
        this.end(s);
      }
    }
    if (cut > 0) {
      this.connections.closedOnSwitch += cut;
      this.opts.log('notice', `-proxy-sessions ${this.opts.label} ${cut} cut`);
    }
    for (const entry of [...this.held]) {
      // A connection under way to a node that is no longer the route is dropped for the new one.
      if (entry.upstream !== null && !this.opts.keeps(entry.upstream.target)) {
        entry.upstream.socket.destroy();
        entry.upstream = null;
      }
      this.tryRoute(entry);
    }
  }

  async close(): Promise<void> {
    for (const entry of [...this.held]) this.drop(entry);
    for (const s of this.sessions) this.end(s);
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private accept(client: Socket): void {
    client.setNoDelay(true);
    // A TLS socket reads for its handshake; what its client sends next waits in its buffer.
    client.pause();
    const entry: Waiting = {
      client,
      deadline: Date.now() + this.opts.holdMs,
      timer: setTimeout(() => this.giveUp(entry), this.opts.holdMs),
      upstream: null,
    };
    this.held.add(entry);
    client.on('error', () => client.destroy());
    client.once('close', () => this.drop(entry));
    this.tryRoute(entry);
  }

  /**
   * Connects the waiting client to its route. A node that refuses (a master just killed, before
   * this sentinel sees it down) is tried again shortly, within the hold time, instead of
   * closing the client at once: a client reconnecting in a loop would gain nothing.
   */
  private tryRoute(entry: Waiting): void {
    if (entry.upstream !== null || entry.client.destroyed) return;
    const route = this.opts.route();
    if (!('host' in route)) return;
    const server = this.opts.upstreamTls
      ? connectTls({ ...this.opts.upstreamTls, host: route.host, port: route.port })
      : connect({ host: route.host, port: route.port });
    // Nothing is read from it before the session is piped (perhaps by another process).
    server.pause();
    server.setNoDelay(true);
    const target = `${route.host}:${route.port}`;
    entry.upstream = { socket: server, target };
    const failed = () => {
      server.destroy();
      if (entry.upstream?.socket !== server) return;
      entry.upstream = null;
      if (!this.held.has(entry)) return;
      if (Date.now() + RETRY_MS >= entry.deadline) this.giveUp(entry);
      else setTimeout(() => this.tryRoute(entry), RETRY_MS);
    };
    server.once('error', failed);
    server.once(this.opts.upstreamTls ? 'secureConnect' : 'connect', () => {
      server.off('error', failed);
      if (entry.upstream?.socket !== server) return;
      entry.upstream = null;
      if (!this.held.has(entry) || !this.opts.keeps(target)) {
        // Gone meanwhile, or the route moved while connecting.
        server.destroy();
        if (this.held.has(entry)) this.tryRoute(entry);
        return;
      }
      this.forget(entry);
      this.pipe(entry.client, server, target);
    });
  }

  private giveUp(entry: Waiting): void {
    if (!this.held.has(entry)) return;
    this.connections.refused++;
    this.drop(entry);
  }

  private forget(entry: Waiting): void {
    clearTimeout(entry.timer);
    this.held.delete(entry);
  }

  /** Drops a waiting client and the connection under way for it. */
  private drop(entry: Waiting): void {
    this.forget(entry);
    entry.upstream?.socket.destroy();
    entry.upstream = null;
    entry.client.destroy();
  }

  private pipe(client: Socket, server: Socket, target: string): void {
    this.connections.accepted++;
    this.opts.log('verbose', `Proxy ${this.opts.label}: ${client.remoteAddress}:${client.remotePort} -> ${target}`);
    const ended = () => this.sessions.delete(session);
    // A TLS session's state lives in this process: it is piped here.
    const inWorker = this.opts.tls === undefined && this.opts.upstreamTls === undefined;
    const session: Session = {
      target,
      pipe: inWorker ? this.opts.workers.hand(client, server, this.bytes, ended) : pipeSockets(client, server, this.bytes, ended),
    };
    this.sessions.add(session);
  }

  private end(s: Session): void {
    if (this.sessions.delete(s)) s.pipe.cut();
  }
}

