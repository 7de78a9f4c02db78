import type { ConnKind, ObservedReply, ReplyTag } from '../../src/core/actions.js';
import type { Rng, Scheduler } from './rng.js';

/** Anything that accepts connections: a simulated Redis, or a sentinel's 26379 listener. */
export interface Server {
  readonly node: string;
  readonly address: string;
  isUp(): boolean;
  accept(c: Connection): void;
  /** The reply, undefined when the command gets none, or `later` when it comes after something else (a config write). */
  handle(c: Connection, args: string[]): ObservedReply | undefined | LaterReply;
  forget(c: Connection): void;
}

/** A reply the server sends when it is ready, through `send` (at most once). */
export interface LaterReply {
  later(send: (reply: ObservedReply) => void): void;
}

/** The side that opened the connection: always a sentinel. */
export interface Client {
  readonly node: string;
  readonly ip: string;
  connected(c: Connection): void;
  closed(c: Connection, reason: string, neverConnected: boolean): void;
  reply(c: Connection, tag: ReplyTag, args: string[], reply: ObservedReply): void;
  message(c: Connection, channel: string, payload: string): void;
}

export class Connection {
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** The server dropped it; the client learns when the FIN (or an RST) reaches it. */
  serverClosed = false;
  /** A segment was lost: nothing more gets through, in either direction. */
  broken = false;
  queued: Array<{ args: string[]; tag: ReplyTag }> = [];
  /** FIFO horizons: nothing overtakes what was sent earlier in the same direction. */
  upHorizon = 0;
  downHorizon = 0;
  // Server-side session state.
  subscribed = false;
  multi: string[][] | null = null;

  constructor(
    readonly id: number,
    readonly client: Client,
    readonly server: Server,
    readonly link: number,
    readonly kind: ConnKind,
    readonly generation: number,
  ) {}
}

export interface NetworkQuality {
  /** Chance that a message is lost, which breaks its connection (reset or stall). */
  dropRate: number;
  /** Chance that a hello is delivered twice. */
  dupRate: number;
  minDelay: number;
  maxDelay: number;
  /** Chance of an occasional long delay (up to stallMs). */
  stallRate: number;
  stallMs: number;
}

export const CLEAN_NETWORK: NetworkQuality = { dropRate: 0, dupRate: 0, minDelay: 1, maxDelay: 5, stallRate: 0, stallMs: 0 };
export const CONNECT_TIMEOUT_MS = 1500;
/** How often data held up by a partition is tried again. */
const RETRANSMIT_MS = 300;

/**
 * TCP between simulated nodes: ordered per direction, with latency, stalls,
 * loss (which breaks a connection), duplicated hellos, and partitions (nodes in
 * different islands cannot talk; what they send waits until the path heals).
 */
export class Network {
  quality: NetworkQuality = CLEAN_NETWORK;
  private readonly island = new Map<string, number>();
  private readonly servers = new Map<string, Server>();
  private nextId = 1;

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Rng,
  ) {}

  register(server: Server): void {
    this.servers.set(server.address, server);
  }

  canTalk(a: string, b: string): boolean {
    return (this.island.get(a) ?? 0) === (this.island.get(b) ?? 0);
  }

  /** Each group becomes an island of its own; unlisted nodes stay together in island 0. */
  partition(groups: string[][]): void {
    this.island.clear();
    groups.forEach((g, i) => g.forEach((n) => this.island.set(n, i + 1)));
  }

  heal(): void {
    this.island.clear();
    this.quality = CLEAN_NETWORK;
  }

  private delay(): number {
    const q = this.quality;
    if (this.rng.chance(q.stallRate)) return this.rng.int(q.maxDelay, Math.max(q.maxDelay, q.stallMs));
    return this.rng.int(q.minDelay, q.maxDelay);
  }

  connect(client: Client, host: string, port: number, link: number, kind: ConnKind, generation: number): Connection {
    const server = this.servers.get(`${host}:${port}`) ?? NOWHERE;
    const c = new Connection(this.nextId++, client, server, link, kind, generation);
    this.sched.after(this.delay(), () => {
      if (c.state !== 'connecting') return;
      if (!this.canTalk(client.node, server.node)) {
        this.sched.after(CONNECT_TIMEOUT_MS, () => this.failConnect(c, 'connect ETIMEDOUT'));
        return;
      }
      if (!server.isUp()) {
        this.sched.after(this.delay(), () => this.failConnect(c, 'connect ECONNREFUSED'));
        return;
      }
      c.state = 'open';
      server.accept(c);
      client.connected(c);
      const queued = c.queued;
      c.queued = [];
      for (const q of queued) this.send(c, q.args, q.tag);
    });
    return c;
  }

  private failConnect(c: Connection, reason: string): void {
    if (c.state !== 'connecting') return;
    c.state = 'closed';
    c.client.closed(c, reason, true);
  }

  send(c: Connection, args: string[], tag: ReplyTag): void {
    if (c.state === 'connecting') {
      c.queued.push({ args, tag });
      return;
    }
    if (c.state === 'closed') return;
    this.carry(c, 'up', false, () => {
      if (c.serverClosed) {
        // Data for a socket the server no longer has: it answers with a reset.
        this.toClient(c, () => this.dropByServer(c, 'Connection reset by peer'), true);
        return;
      }
      const reply = c.server.handle(c, args);
      if (reply === undefined) return;
      if ('later' in reply) reply.later((r) => this.toClient(c, () => c.client.reply(c, tag, args, r)));
      else this.toClient(c, () => c.client.reply(c, tag, args, reply));
    });
  }

  /** A pub/sub message pushed by the server; hellos may arrive twice. */
  push(c: Connection, channel: string, payload: string): void {
    const copies = this.rng.chance(this.quality.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) this.toClient(c, () => c.client.message(c, channel, payload));
  }

  private toClient(c: Connection, deliver: () => void, reliable = false): void {
    this.carry(c, 'down', reliable, deliver);
  }

  /**
   * TCP in one direction: in order, after a delay; across a partition the data
   * waits and is retransmitted until the path heals or a side closes. A lost
   * segment breaks the connection (`reliable`: FIN/RST, never lost).
   */
  private carry(c: Connection, direction: 'up' | 'down', reliable: boolean, deliver: () => void): void {
    const attempt = () => {
      if (c.state === 'closed' || c.broken) return;
      if (!this.canTalk(c.client.node, c.server.node)) {
        this.sched.at(this.horizon(c, direction, RETRANSMIT_MS), attempt);
        return;
      }
      if (!reliable && this.rng.chance(this.quality.dropRate)) {
        this.breakConnection(c);
        return;
      }
      deliver();
    };
    this.sched.at(this.horizon(c, direction, this.delay()), attempt);
  }

  /** The time `delay` from now, but never before what was sent earlier in the same direction. */
  private horizon(c: Connection, direction: 'up' | 'down', delay: number): number {
    const at = Math.max(this.sched.now + delay, direction === 'up' ? c.upHorizon : c.downHorizon);
    if (direction === 'up') c.upHorizon = at;
    else c.downHorizon = at;
    return at;
  }

  /** A lossy path kills the connection: half the time the client gets a reset, otherwise it just stalls. */
  private breakConnection(c: Connection): void {
    c.broken = true;
    if (!this.rng.chance(0.5)) return;
    this.sched.after(this.delay(), () => {
      if (c.state === 'closed') return;
      c.state = 'closed';
      c.server.forget(c);
      c.client.closed(c, 'Connection reset by peer', false);
    });
  }

  /** The client closed it: the server forgets it at once. */
  closeByClient(c: Connection): void {
    if (c.state === 'closed') return;
    c.state = 'closed';
    if (!c.serverClosed) c.server.forget(c);
  }

  /** The server closed it (CLIENT KILL, process death): the client hears of it after what is in flight. */
  closeByServer(c: Connection, reason: string): void {
    if (c.state !== 'open' || c.serverClosed) return;
    c.serverClosed = true;
    c.server.forget(c);
    this.toClient(c, () => this.dropByServer(c, reason), true);
  }

  private dropByServer(c: Connection, reason: string): void {
    if (c.state === 'closed') return;
    c.state = 'closed';
    c.client.closed(c, reason, false);
  }
}

/** Where a connection to an address nobody listens on goes. */
const NOWHERE: Server = {
  node: '',
  address: '',
  isUp: () => false,
  accept: () => {},
  handle: () => undefined,
  forget: () => {},
};
