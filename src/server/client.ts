import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeForWrite, type WriteSize } from '../resp/encode.js';
import type { Reply } from '../resp/reply.js';
import { ProtocolError, RequestParser } from '../resp/request-parser.js';
import { quoteReprBytes } from '../config/split-args.js';
import type { AclUser } from './acl.js';
import { OutputLimitWatch, type ClientLimits } from './limits.js';
import type { Subscriber } from './pubsub.js';
import type { ServerStats } from './stats.js';
import type { LogLevel } from '../core/events.js';

/** CLIENT TRACKING state; nothing is ever invalidated (a sentinel has no keys). */
export interface TrackingState {
  /** Client id receiving the invalidations, 0 for none. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING yes|no, valid for the next command only. */
  caching: boolean;
  prefixes: string[];
}

/** What running one request did to the connection; a promise while its reply waits (the client reads no further). */
export type Outcome = 'done' | 'postponed' | 'aborted' | Promise<void>;

/** The server side of a connection: what the client needs from it. */
export interface ClientHost {
  readonly stats: ServerStats;
  readonly limits: ClientLimits;
  now(): number;
  authRequired(client: Client): boolean;
  execute(client: Client, argv: Buffer[]): Outcome;
  /** A malformed request; `queryBuffer` is what was left unparsed. */
  protocolError(client: Client, error: ProtocolError, queryBuffer: Buffer): void;
  /** The connection is gone; `peerClosed` when the client hung up. */
  detached(client: Client, peerClosed: boolean): void;
  clientInfo(client: Client): string;
  log(level: LogLevel, message: string): void;
}

export interface ClientInit {
  id: number;
  fd: number;
  user: AclUser;
  authenticated: boolean;
}

/**
 * One client connection: reads requests (pipelined, in any fragmentation),
 * runs them through the host in order, and sends the replies of one read
 * together, as Redis does when it flushes before going back to the event loop.
 */
/** How long one client's pipeline may run before others get a turn, checked every few commands. */
const INPUT_SLICE_MS = 2;
const INPUT_SLICE_COMMANDS = 16;

export class Client implements Subscriber {
  readonly id: number;
  readonly fd: number;
  /** `ip:port`, `[ipv6]:port` for IPv6. */
  readonly addr: string;
  readonly laddr: string;
  readonly remoteIp: string;
  readonly createdAt: number;
  lastInteraction: number;

  name: string | null = null;
  protocol: 2 | 3 = 2;
  user: AclUser;
  authenticated: boolean;
  noEvict = false;
  tracking: TrackingState | null = null;
  /** CLIENT REPLY OFF / SKIP. */
  replyOff = false;
  replySkipNext = false;
  replySkip = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** Full name of the last command looked up, null when it did not exist. */
  lastCommand: string | null = null;
  closeAfterReply = false;
  /**
   * Redis closes a CLOSE_AFTER_REPLY client once it has written to it: when the protocol error
   * that asked for the close was silenced (CLIENT REPLY OFF/SKIP) with nothing else to send,
   * the client stays connected, its input no longer read, until something is written to it.
   */
  private closeNeedsOutput = false;

  /** Query buffer figures for CLIENT LIST. */
  queryBytes = 0;
  queryCapacity = 0;
  argvBytes = 0;
  lastFlushBytes = 0;

  private readonly parser: RequestParser;
  private readonly outputLimit = new OutputLimitWatch();
  /** Replies not yet written: text (sent as UTF-8) or bytes, in order. */
  private pending: Array<string | Buffer> = [];
  private pendingText = true;
  private pendingLength = 0;
  private flushScheduled = false;
  /** Serving a read: its replies are flushed when it is done, without a microtask. */
  private reading = false;
  private postponed: Buffer[] | null = null;
  /** A reply is waiting (for a config write): later requests wait behind it, in order. */
  private awaitingReply = false;
  private endAfterReply = false;
  private isDetached = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: ClientHost,
    init: ClientInit,
  ) {
    this.id = init.id;
    this.fd = init.fd;
    this.user = init.user;
    this.authenticated = init.authenticated;
    this.remoteIp = peerIp(socket);
    this.addr = formatAddress(this.remoteIp, socket.remotePort ?? 0);
    this.laddr = formatAddress(normalizeIp(socket.localAddress ?? '?'), socket.localPort ?? 0);
    this.createdAt = host.now();
    this.lastInteraction = this.createdAt;
    this.parser = new RequestParser({ authRequired: () => host.authRequired(this), maxBulkLength: host.limits.maxBulkLength });
  }

  /** Starts reading; kept out of the constructor so the host can register the client first. */
  start(): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => {
      // A client that half-closes right after its command still gets the reply it waits for.
      if (this.awaitingReply) this.endAfterReply = true;
      else this.finish();
    });
    this.socket.on('error', (e: NodeJS.ErrnoException) => {
      if (!this.isDetached) this.host.log('verbose', `Error reading from client: ${e.message}`);
    });
    this.socket.on('close', () => this.detach(false));
  }

  private finish(): void {
    this.flush();
    this.detach(true);
    this.socket.end();
  }

  get closed(): boolean {
    return this.isDetached;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** Waiting for the end of a CLIENT PAUSE. */
  get blocked(): boolean {
    return this.postponed !== null;
  }

  /** Bytes waiting to be sent. */
  get outputBytes(): number {
    return this.pendingLength + this.socket.writableLength;
  }

  /** Bytes the kernel did not take yet (Redis then waits for the socket to become writable). */
  get socketBacklog(): number {
    return this.socket.writableLength;
  }

  /**
   * A reply (or push) for this client, encoded in its current protocol. CLIENT REPLY OFF/SKIP
   * silence replies but not pushes: Redis 7.0 marks the pub/sub confirmations and messages
   * (arrays in RESP2 too) as pushing, and writes them whatever the reply mode.
   */
  write(reply: Reply): void {
    if (this.isDetached || ((this.replyOff || this.replySkip) && reply.type !== 'push')) return;
    const bytes = encodeForWrite(reply, this.protocol, this.replySize);
    this.writeBytes(bytes, this.replySize.bytes);
  }

  private readonly replySize: WriteSize = { bytes: 0 };

  deliver(message: Reply): void {
    this.write(message);
  }

  /** Closes the connection now, dropping any unsent output (CLIENT KILL, protocol attack). */
  kill(): void {
    this.pending = [];
    this.pendingText = true;
    this.pendingLength = 0;
    this.detach(false);
    this.socket.destroy();
  }

  /** Runs the request that waited for a CLIENT PAUSE to end, then what followed it. */
  resume(): void {
    const argv = this.postponed;
    if (argv === null || this.isDetached) return;
    this.postponed = null;
    this.run(argv);
    this.processInput();
  }

  private onData(chunk: Buffer): void {
    if (this.isDetached) return;
    const stats = this.host.stats;
    stats.netInputBytes += chunk.length;
    stats.readsProcessed++;
    this.lastInteraction = this.host.now();
    this.parser.feed(chunk);
    this.queryBytes = this.parser.bufferedBytes;
    this.queryCapacity = Math.max(this.queryCapacity, QUERY_BUFFER_CAPACITY, this.queryBytes);
    // As Redis, checked after the read and before anything in it runs.
    if (this.queryBytes > this.host.limits.queryBufferLimit) {
      const head = quoteReprBytes(this.parser.head(64));
      this.host.log('warning', `Closing client that reached max query buffer length: ${this.host.clientInfo(this)} (qbuf initial bytes: ${head})`);
      this.kill();
      return;
    }
    this.reading = true;
    try {
      this.processInput();
    } finally {
      this.reading = false;
    }
    this.queryBytes = this.parser.bufferedBytes;
    // The replies of one read go out together, before the event loop moves on (as Redis writes before it polls again).
    if (this.pendingLength > 0 || this.closeAfterReply) this.flush();
  }

  private yielding = false;

  private processInput(): void {
    const started = performance.now();
    let served = 0;
    while (!this.isDetached && !this.closeAfterReply && this.postponed === null && !this.yielding && !this.awaitingReply) {
      const empties = this.parser.emptyCommands;
      let argv: Buffer[] | null;
      try {
        argv = this.parser.next();
        this.passedEmpty(this.parser.emptyCommands - empties);
      } catch (e) {
        this.passedEmpty(this.parser.emptyCommands - empties);
        if (!(e instanceof ProtocolError)) {
          this.fail(e);
          return;
        }
        if ((this.replyOff || this.replySkip) && this.pendingLength === 0) this.closeNeedsOutput = true;
        this.write(e.reply);
        this.host.protocolError(this, e, this.parser.leftAtFailure);
        this.closeAfterReply = true;
        this.scheduleFlush();
        return;
      }
      if (argv === null) return;
      this.run(argv);
      if (++served % INPUT_SLICE_COMMANDS === 0 && performance.now() - started > INPUT_SLICE_MS) this.yieldInput();
    }
  }

  /**
   * An empty command (blank inline line, `*0`, `*-1`) resets the client as a command does in
   * Redis: the reply that CLIENT REPLY SKIP silenced was its, and CLIENT CACHING lapses.
   */
  private passedEmpty(count: number): void {
    for (let i = 0; i < count; i++) {
      if (this.tracking !== null) this.tracking.caching = false;
      this.replySkip = this.replySkipNext;
      this.replySkipNext = false;
    }
  }

  /**
   * A long pipeline is served in slices, so one client's burst cannot hold up
   * every other client (and the sentinel's timer) for its whole length.
   */
  private yieldInput(): void {
    this.yielding = true;
    this.socket.pause();
    setImmediate(() => {
      this.yielding = false;
      if (this.isDetached) return;
      if (!this.awaitingReply) this.socket.resume();
      this.processInput();
    });
  }

  private run(argv: Buffer[]): void {
    let argvBytes = 0;
    for (let i = 0; i < argv.length; i++) argvBytes += argv[i].length;
    this.argvBytes = argvBytes;
    let outcome: Outcome;
    try {
      outcome = this.host.execute(this, argv);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.argvBytes = 0;
    if (outcome === 'postponed') this.postponed = argv;
    else if (typeof outcome === 'object') {
      this.awaitingReply = true;
      // Nothing more is read until the reply goes (as Redis, blocked in its write, reads nothing):
      // a client pipelining commands that wait for the disk meets TCP backpressure, not a growing buffer.
      this.socket.pause();
      outcome.then(
        () => this.replied(),
        (e: unknown) => this.fail(e),
      );
    }
    if (this.closeAfterReply) this.scheduleFlush();
  }

  private replied(): void {
    this.awaitingReply = false;
    if (this.isDetached) return;
    if (!this.yielding) this.socket.resume();
    if (this.endAfterReply) {
      this.processInput();
      if (!this.awaitingReply) this.finish();
      return;
    }
    if (this.closeAfterReply) this.scheduleFlush();
    this.processInput();
  }

  /** A bug met while serving this client costs the client its connection, never the server. */
  private fail(e: unknown): void {
    this.host.log('warning', `Closing client id=${this.id} after an internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    this.kill();
  }

  /** `length`: the bytes it takes on the wire. */
  private writeBytes(bytes: string | Buffer, length: number): void {
    if (length === 0) return;
    this.pending.push(bytes);
    this.pendingLength += length;
    if (typeof bytes !== 'string') this.pendingText = false;
    // As Redis, judged as output is added: what waits here plus what the kernel did not take yet.
    const limit = this.subscriptionCount > 0 ? this.host.limits.output.pubsub : this.host.limits.output.normal;
    if (this.outputLimit.exceeded(limit, this.pendingLength + this.socket.writableLength, this.host)) {
      this.host.log('warning', `Client ${this.host.clientInfo(this)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.kill();
      return;
    }
    this.scheduleFlush();
  }

  /** What is pending as one write: one string when it is all text, else one buffer. */
  private takePending(): string | Buffer {
    const pending = this.pending;
    const out =
      pending.length === 1
        ? pending[0]
        : this.pendingText
          ? pending.join('')
          : Buffer.concat(
              pending.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)),
              this.pendingLength,
            );
    this.pending = [];
    this.pendingText = true;
    this.pendingLength = 0;
    return out;
  }

  /** Output written outside a read (a delayed reply, a published message) goes out once the current step is over. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.reading) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.socket.destroyed) return;
    const wrote = this.pendingLength > 0;
    if (wrote) {
      const length = this.pendingLength;
      this.socket.write(this.takePending());
      this.lastFlushBytes = length;
      this.lastInteraction = this.host.now();
      this.host.stats.netOutputBytes += length;
      this.host.stats.writesProcessed++;
    }
    if (this.closeAfterReply && !this.isDetached && (wrote || !this.closeNeedsOutput)) {
      this.detach(false);
      this.socket.end(() => this.socket.destroy());
    }
  }

  private detach(peerClosed: boolean): void {
    if (this.isDetached) return;
    this.isDetached = true;
    this.postponed = null;
    this.host.detached(this, peerClosed);
  }
}

/** What Redis's query buffer holds after its first read (its reported qbuf + qbuf-free). */
const QUERY_BUFFER_CAPACITY = 20474;

/** The peer's IP as Redis shows it. */
export function peerIp(socket: Socket): string {
  return normalizeIp(socket.remoteAddress ?? '?');
}

/** A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
