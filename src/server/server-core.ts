import type { Socket } from 'node:net';
import { encodeBytes } from '../resp/byte-text.js';
import type { ProtocolError } from '../resp/request-parser.js';
import { AclLog } from './acl-log.js';
import { AclStore } from './acl.js';
import { bytesToText, textToBytes } from './bytes.js';
import { Client, peerIp, type ClientHost, type Outcome } from './client.js';
import { clientInfoLine } from './client-info.js';
import { ClientPause } from './client-pause.js';
import { CommandCatalog } from './command-catalog.js';
import { buildHandlers } from './commands/index.js';
import type { LogLevel, ServerContext, ServerIdentity, ShutdownRequest } from './context.js';
import { Dispatcher } from './dispatch.js';
import { PubSub } from './pubsub.js';
import type { SentinelHooks } from './sentinel-hooks.js';
import { ServerStats } from './stats.js';
import type { ClientLimits } from './limits.js';

export interface CoreOptions {
  hooks: SentinelHooks;
  logger: { log(level: LogLevel, message: string): void };
  identity: ServerIdentity;
  protectedMode: boolean;
  requirepass: string | null;
  aclUsers: string[][];
  onShutdown: ((request: ShutdownRequest) => void) | undefined;
  firstClientId: number;
  now: () => number;
  limits: ClientLimits;
}

const MAX_CLIENTS_ERROR = '-ERR max number of clients reached\r\n';
const PROTECTED_MODE_ERROR =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
/** Redis's first client fd once its listeners and internal files are open; shown as `fd=` in CLIENT LIST. */
const FIRST_CLIENT_FD = 8;
const IDLE_SWEEP_MS = 100;
/** Redis logs at most this many bytes of the query buffer after a protocol error. */
const PROTOCOL_DUMP_BYTES = 128;

/** The log wording of each protocol error, which differs from the reply's. */
const PROTOCOL_ERROR_LOG_REASON: Record<string, string> = {
  'invalid multibulk length': 'invalid mbulk count',
  'unbalanced quotes in request': 'unbalanced quotes in inline request',
  'unauthenticated multibulk length': 'unauth mbulk count',
  'unauthenticated bulk length': 'unauth bulk length',
};

/** Connections, clients and shared state behind the listener; what handlers see as ServerContext. */
export class ServerCore implements ServerContext, ClientHost {
  readonly hooks: SentinelHooks;
  readonly catalog = CommandCatalog.load();
  readonly acl: AclStore;
  readonly aclLog = new AclLog();
  readonly pubsub = new PubSub();
  readonly stats = new ServerStats();
  readonly pause: ClientPause;
  readonly identity: ServerIdentity;
  readonly limits: ClientLimits;
  onShutdown: ((request: ShutdownRequest) => void) | undefined;

  private readonly clientsById = new Map<number, Client>();
  private idleSweep: NodeJS.Timeout | null = null;
  private readonly usedFds = new Set<number>();
  private nextClientId: number;
  private readonly dispatcher: Dispatcher;
  /**
   * Why a configured user could not be created (a rule the config loader lets through, such as an
   * unknown command name): redis-sentinel logs it once it is up, then exits (see Daemon.start).
   */
  readonly aclLoadError: string | null = null;

  constructor(private readonly opts: CoreOptions) {
    this.hooks = opts.hooks;
    this.identity = opts.identity;
    this.limits = opts.limits;
    if (opts.limits.idleTimeoutSeconds > 0) {
      // Redis's clientsCron visits every client about hz times a second.
      this.idleSweep = setInterval(() => this.closeIdleClients(), IDLE_SWEEP_MS);
      this.idleSweep.unref();
    }
    this.onShutdown = opts.onShutdown;
    this.nextClientId = opts.firstClientId;
    this.acl = new AclStore(this.catalog);
    for (const [name, ...rules] of opts.aclUsers) {
      // As in Redis, a user that already exists (`default`) is reset before its configured rules apply.
      const existing = this.acl.list().some((u) => u.name === textToBytes(name));
      const refused = this.acl.setUser(textToBytes(name), (existing ? ['reset', ...rules] : rules).map(textToBytes));
      if (refused !== null) {
        this.aclLoadError = `Error loading ACL rule '${bytesToText(refused.rule)}' for the user named '${name}': ${refused.reason}`;
        break;
      }
    }
    if (opts.requirepass !== null) this.setRequirepass(opts.requirepass);
    this.pause = new ClientPause(() => this.resumeBlockedClients(), opts.now);
    this.dispatcher = new Dispatcher(this, buildHandlers(this.catalog));
  }

  setRequirepass(password: string | null): void {
    this.acl.setDefaultPassword(password === null || password === '' ? null : textToBytes(password));
  }

  /** A new TCP connection: refused when full or (protected mode) from outside, else a client. */
  accept(socket: Socket): void {
    socket.on('error', () => {});
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 300_000);
    if (this.clientsById.size >= this.identity.maxclients) {
      this.refuse(socket, MAX_CLIENTS_ERROR);
      return;
    }
    const id = this.nextClientId++;
    const ip = peerIp(socket);
    const defaultUser = this.acl.defaultUser;
    if (this.opts.protectedMode && defaultUser.nopass && ip !== '127.0.0.1' && ip !== '::1') {
      this.refuse(socket, PROTECTED_MODE_ERROR);
      return;
    }
    const client = new Client(socket, this, {
      id,
      fd: this.allocateFd(),
      user: defaultUser,
      authenticated: defaultUser.nopass && defaultUser.enabled,
    });
    this.clientsById.set(id, client);
    this.stats.connectionsReceived++;
    this.log('verbose', `Accepted ${ip}:${socket.remotePort ?? 0}`);
    client.start();
  }

  /**
   * `timeout`: a client idle longer than that many seconds (both moments in whole seconds, as
   * Redis keeps them) is closed, unless it is subscribed or waiting for a CLIENT PAUSE to end.
   */
  private closeIdleClients(): void {
    const now = Math.floor(this.opts.now() / 1000);
    for (const client of this.clientsById.values()) {
      if (client.subscriptionCount > 0 || client.blocked) continue;
      if (now - Math.floor(client.lastInteraction / 1000) > this.limits.idleTimeoutSeconds) {
        this.log('verbose', 'Closing idle client');
        client.kill();
      }
    }
  }

  /** Sends `message` to the subscribers of `channel`; returns how many received it. */
  publish(channel: string, message: string): number {
    return this.pubsub.publish(textToBytes(channel), encodeBytes(message));
  }

  closeAllClients(): void {
    if (this.idleSweep !== null) clearInterval(this.idleSweep);
    for (const client of this.clients()) client.kill();
    this.pause.dispose();
  }

  // ServerContext

  now(): number {
    return this.opts.now();
  }

  log(level: LogLevel, message: string): void {
    this.opts.logger.log(level, message);
  }

  clients(): Client[] {
    return [...this.clientsById.values()];
  }

  clientById(id: number): Client | undefined {
    return this.clientsById.get(id);
  }

  shutdown(_client: Client, request: ShutdownRequest): boolean {
    if (this.onShutdown === undefined) return false;
    try {
      this.onShutdown(request);
      return true;
    } catch (e) {
      this.log('warning', `Error during shutdown: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  clientInfo(client: Client): string {
    return clientInfoLine(client, this.now());
  }

  authRequired(client: Client): boolean {
    return this.dispatcher.authRequired(client);
  }

  // ClientHost

  execute(client: Client, argv: Buffer[]): Outcome {
    return this.dispatcher.execute(client, argv);
  }

  protocolError(client: Client, error: ProtocolError, queryBuffer: Buffer): void {
    this.stats.errorReplies++;
    const text = error.message.replace(/^Protocol error: /, '');
    const reason = PROTOCOL_ERROR_LOG_REASON[text] ?? (text.startsWith('expected ') ? 'expected $ but got something else' : text);
    this.log(
      'verbose',
      `Protocol error (${reason}) from client: ${this.clientInfo(client)}. Query buffer during protocol error: '${dumpQuery(queryBuffer)}'`,
    );
  }

  detached(client: Client, peerClosed: boolean): void {
    if (peerClosed) this.log('verbose', `Client closed connection ${this.clientInfo(client)}`);
    this.clientsById.delete(client.id);
    this.usedFds.delete(client.fd);
    this.pubsub.forget(client);
  }

  private refuse(socket: Socket, message: string): void {
    this.stats.rejectedConnections++;
    socket.end(message, () => socket.destroy());
  }

  private allocateFd(): number {
    let fd = FIRST_CLIENT_FD;
    while (this.usedFds.has(fd)) fd++;
    this.usedFds.add(fd);
    return fd;
  }

  private resumeBlockedClients(): void {
    for (const client of this.clients()) if (client.blocked) client.resume();
  }
}

/** Printable bytes as they are, others as '.'; long buffers as head, count, tail. */
/** As Redis samples the query buffer into its log: printf's %s (up to a NUL), non-printables as dots. */
function dumpQuery(bytes: Buffer): string {
  const printable = (b: Buffer) => {
    const nul = b.indexOf(0);
    return [...(nul === -1 ? b : b.subarray(0, nul))].map((c) => (c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '.')).join('');
  };
  if (bytes.length < PROTOCOL_DUMP_BYTES) return printable(bytes);
  const half = PROTOCOL_DUMP_BYTES / 2;
  return `${printable(bytes.subarray(0, half))}' (... more ${bytes.length - PROTOCOL_DUMP_BYTES} bytes ...) '${printable(bytes.subarray(bytes.length - half))}`;
}
