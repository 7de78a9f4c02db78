import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { bindAddress, skippedBindFailure, type BindAddress } from './bind-address.js';
import { bytesToText } from './bytes.js';
import type { LogLevel, ShutdownRequest } from './context.js';
import { DEFAULT_CLIENT_LIMITS, type ClientLimits } from './limits.js';
import { ServerCore } from './server-core.js';
import type { SentinelHooks } from './sentinel-hooks.js';
import { acceptsPeer, opensslText } from './tls-context.js';

export type { ShutdownRequest } from './context.js';

export interface SentinelServerOptions {
  hooks: SentinelHooks;
  logger: { log(level: LogLevel, message: string): void };
  /** The default user's password (`requirepass`); null or '' for none. */
  requirepass: string | null;
  protectedMode: boolean;
  maxclients: number;
  /** TCP port; 0 means no TCP listener, as in Redis (listen() then fails: nothing else to listen on). */
  port: number;
  /** The tls-port listener, beside or instead of the TCP one. */
  tls?: { port: number; options: TlsOptions };
  /** `bind` addresses (Redis's default is `* -::*`: all IPv4, and all IPv6 if available); a leading `-` makes an address optional. */
  bind: string[];
  /** Absolute path shown as INFO `executable`. */
  executable: string;
  /** ms since the epoch, for INFO uptime. */
  startTime: number;
  /** SHUTDOWN from a client: the daemon exits. Without it SHUTDOWN is refused. Can also be set later. */
  onShutdown?: (request: ShutdownRequest) => void;
  /** `user` config lines, each as its arguments: `['alice', 'on', '>pw', '+@all']`. Applied before requirepass. */
  aclUsers?: string[][];
  /** INFO `process_supervised`. */
  supervised?: 'no' | 'upstart' | 'systemd' | 'unknown';
  /** INFO `run_id`; random by default. */
  runId?: string;
  /** proto-max-bulk-len, client-query-buffer-limit, timeout, client-output-buffer-limit; Redis's defaults if absent. */
  limits?: ClientLimits;
  /** The first client id; 3 in a real sentinel, which creates two internal clients first. */
  firstClientId?: number;
  now?: () => number;
}

const TCP_BACKLOG = 511;
const STRERROR: Record<string, string> = {
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EINVAL: 'Invalid argument',
  EPROTONOSUPPORT: 'Protocol not supported',
};

/**
 * The sentinel's client-facing server (port 26379): connections, authentication,
 * the generic Redis commands, pub/sub; SENTINEL commands go to the hooks.
 */
export class SentinelServer {
  private readonly core: ServerCore;
  private readonly listeners: Server[] = [];

  constructor(private readonly opts: SentinelServerOptions) {
    this.core = new ServerCore({
      hooks: opts.hooks,
      logger: opts.logger,
      identity: {
        // INFO's tcp_port: the TLS port when there is no plain one, as in Redis.
        port: opts.port !== 0 ? opts.port : (opts.tls?.port ?? 0),
        maxclients: opts.maxclients,
        executable: opts.executable,
        startTime: opts.startTime,
        runId: opts.runId ?? randomBytes(20).toString('hex'),
        supervised: opts.supervised ?? 'no',
      },
      protectedMode: opts.protectedMode,
      requirepass: opts.requirepass,
      aclUsers: opts.aclUsers ?? [],
      onShutdown: opts.onShutdown,
      firstClientId: opts.firstClientId ?? 3,
      limits: opts.limits ?? DEFAULT_CLIENT_LIMITS,
      now: opts.now ?? Date.now,
    });
  }

  /** Called by SHUTDOWN; the caller's connection is closed without a reply. */
  get onShutdown(): ((request: ShutdownRequest) => void) | undefined {
    return this.core.onShutdown;
  }

  set onShutdown(callback: ((request: ShutdownRequest) => void) | undefined) {
    this.core.onShutdown = callback;
  }

  /**
   * Opens one listener per bind address. A failure is logged as Redis does
   * (`Warning: Could not create server TCP listening socket *:26379: bind: Address
   * already in use`) and rejects with `Failed listening on port 26379 (TCP), aborting.`
   */
  async listen(): Promise<void> {
    try {
      await this.listenAll(this.opts.port, 'TCP');
      if (this.opts.tls && this.opts.tls.port !== 0) await this.listenAll(this.opts.tls.port, 'TLS');
      if (this.listeners.length === 0) throw new Error('Configured to not listen anywhere, exiting.');
    } catch (e) {
      for (const socket of this.held.splice(0)) socket.destroy();
      throw e;
    }
    // Redis serves nobody until every listener is open: connections that came meanwhile are taken now.
    this.serving = true;
    for (const socket of this.held.splice(0)) this.accept(socket);
    this.core.stats.startSampling(this.opts.now);
  }

  private serving = false;
  /** Connections accepted by the kernel before every listener was open. */
  private readonly held: Socket[] = [];

  private accept(socket: Socket): void {
    if (!this.serving) {
      this.held.push(socket);
      return;
    }
    try {
      this.core.accept(socket);
    } catch (e) {
      this.core.log('warning', `Error accepting a client: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    }
  }

  private async listenAll(port: number, kind: 'TCP' | 'TLS'): Promise<void> {
    if (port === 0) return;
    // `bind ""` leaves the list empty: nothing to listen on, as in Redis (the config's default is Redis's list).
    for (const entry of this.opts.bind) {
      const bind = bindAddress(entry);
      try {
        this.listeners.push(await this.listenOn(bind, port, kind));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        const reason = STRERROR[code] ?? (e as Error).message;
        this.core.log('warning', `Warning: Could not create server ${kind} listening socket ${bind.address}:${port}: bind: ${reason}`);
        if (skippedBindFailure(bind, code)) continue;
        await this.closeListeners();
        throw new Error(`Failed listening on port ${port} (${kind}), aborting.`);
      }
    }
  }

  /** Where the server listens (useful with several bind addresses). */
  addresses(): AddressInfo[] {
    return this.listeners.map((l) => l.address()).filter((a): a is AddressInfo => a !== null && typeof a === 'object');
  }

  /**
   * Delivers a message to SUBSCRIBE/PSUBSCRIBE clients (RESP2 arrays, RESP3
   * pushes): the sentinel's events, channel = event type (`+sdown`). Returns the
   * number of deliveries.
   */
  publish(channel: string, message: string): number {
    return this.core.publish(channel, message);
  }

  /** CONFIG-time change of requirepass: the default user's only password, or none. */
  setRequirepass(password: string | null): void {
    this.core.setRequirepass(password);
  }

  /** `user <name> <rules>` lines for the config rewrite, sorted by user name. */
  aclUserLines(): string[] {
    return this.core.acl.list().map((u) => bytesToText(`user ${u.name} ${u.describe()}`));
  }

  /** Why a configured user could not be created; null when every one was. */
  get aclLoadError(): string | null {
    return this.core.aclLoadError;
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.core.clients().length;
  }

  /** Stops listening and closes every client connection. */
  async close(): Promise<void> {
    this.core.stats.stopSampling();
    this.core.closeAllClients();
    await this.closeListeners();
  }

  private listenOn({ address, host, ipv6Only }: BindAddress, port: number, kind: 'TCP' | 'TLS'): Promise<Server> {
    const accept = (socket: Socket) => this.accept(socket);
    return new Promise((resolve, reject) => {
      // Half-open: a client that closes its side right after a command still gets the reply, even one that waits for the disk.
      const server = kind === 'TCP' ? createServer({ noDelay: true, allowHalfOpen: true }, accept) : this.tlsServer(accept);
      server.once('error', reject);
      server.listen({ host, port, ipv6Only, backlog: TCP_BACKLOG, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.core.log('warning', `Listener error on ${address}:${port}: ${e.message}`));
        resolve(server);
      });
    });
  }

  private tlsServer(accept: (socket: Socket) => void): Server {
    const options = this.opts.tls!.options;
    const server = createTlsServer({ ...options, allowHalfOpen: true }, (socket: TLSSocket) => {
      if (options.requestCert && !acceptsPeer(socket)) {
        this.core.log('warning', `Error accepting a client connection: ${opensslText(socket.authorizationError)}`);
        socket.destroy();
        return;
      }
      accept(socket);
    });
    // A failed handshake (a plain client, no or a bad certificate) is logged and the connection dropped.
    server.on('tlsClientError', (e, socket) => {
      this.core.log('warning', `Error accepting a client connection: ${opensslText(e)}`);
      socket.destroy();
    });
    return server;
  }

  private async closeListeners(): Promise<void> {
    const closing = this.listeners.splice(0).map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
    await Promise.all(closing);
  }
}
