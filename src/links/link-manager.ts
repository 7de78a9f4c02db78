import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Action, ConnKind, ObservedReply, ReplyTag } from '../core/actions.js';
import { argumentText, encodeBytes, encodedLength, escapesSeen } from '../resp/byte-text.js';
import { ReplyParser, type RespValue } from '../resp/reply-parser.js';

/** Where link events go: the core, followed by a drain of whatever it queued in response. */
export interface LinkSink {
  connected(link: number, conn: ConnKind, generation: number, localIp: string): void;
  closed(link: number, conn: ConnKind, generation: number, reason: string, neverConnected: boolean): void;
  reply(link: number, conn: ConnKind, generation: number, tag: ReplyTag, reply: ObservedReply): void;
  message(link: number, generation: number, channel: string, payload: string): void;
}

export interface LinkOptions {
  /** Source address for outgoing connections (bind-source-addr). */
  sourceAddress?: string;
  connectTimeoutMs?: number;
  /** tls-replication: every link speaks TLS with these settings. */
  tls?: ConnectionOptions;
}

const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Beyond Redis: a reply longer than this, nested deeper or with more elements closes the link
 * as a malformed one would. hiredis takes any reply whole, so an instance or a peer could make
 * redis-sentinel allocate without limit or stall it decoding; what a sentinel asks for is far
 * smaller (the INFO of a master with 10,000 replicas is about 1 MB), never nests beyond two
 * levels and has a handful of elements (an EXEC's replies, a vote).
 */
export const LINK_REPLY_LIMITS = { maxReplyBytes: 8 * 1024 * 1024, maxDepth: 8, maxElements: 1024 };

/**
 * One connection to an instance or a peer: RESP commands out, replies matched to them in
 * order, and on a subscribed connection the `message` pushes told apart from replies.
 * A plain socket costs 16 KB of RSS where a client library's connection costs about 52 KB
 * (ioredis, measured; plus 17 MB to load it), and the core decides every reconnection and
 * retry anyway.
 */
class Link {
  readonly socket: Socket;
  /** Nothing kept between replies: hundreds of links are idle almost all the time. */
  // An integer hiredis refuses ("Bad integer value", an epoch past 64 bits) closes the link as in Redis.
  private readonly parser = new ReplyParser({ retainBytes: 0, strictIntegers: true, ...LINK_REPLY_LIMITS });
  /** Tags of the commands awaiting a reply, oldest first from `pendingHead`. */
  private pending: ReplyTag[] = [];
  private pendingHead = 0;
  private connected = false;
  private reported = false;
  private subscribed = false;
  /** Commands asked for in this turn of the event loop, written together at its end. */
  private outgoing = '';

  constructor(
    private readonly sink: LinkSink,
    private readonly link: number,
    private readonly conn: ConnKind,
    readonly generation: number,
    host: string,
    port: number,
    options: LinkOptions,
    private readonly onGone: (l: Link) => void,
  ) {
    const local = options.sourceAddress ? { localAddress: options.sourceAddress } : {};
    this.socket = options.tls
      ? tlsConnect({ ...options.tls, host, port, ...local })
      : netConnect({
          host,
          port,
          ...local,
          // Read into one buffer shared by every link (the parser copies what it keeps), past
          // the stream machinery: with hundreds of links, each read's allocation and 'data'
          // event were a good part of an idle sentinel's CPU.
          onread: { buffer: SHARED_READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.read(buf, n) },
        });
    if (options.tls) this.socket.on('data', (chunk: Buffer) => this.read(chunk, chunk.length));
    this.socket.setNoDelay(true);
    this.socket.setTimeout(options.connectTimeoutMs ?? 10_000, () => this.socket.destroy(new Error('connect ETIMEDOUT')));
    this.socket.on(options.tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      this.socket.setTimeout(0);
      this.sink.connected(link, conn, generation, normaliseIp(this.socket.localAddress ?? ''));
    });
    this.socket.on('error', (e: Error) => {
      if (!this.connected) this.gone(e.message);
    });
    this.socket.on('close', () => this.gone('Connection closed'));
  }

  send(args: string[], tag: ReplyTag): void {
    if (this.reported) return;
    this.pending.push(tag);
    if (tag.purpose === 'subscribe') this.subscribed = true;
    // As hiredis does for Redis: what a tick sends to one instance (PING, INFO, a hello)
    // goes out in one write.
    if (this.outgoing === '') process.nextTick(this.flush);
    this.outgoing += encodeCommand(args);
  }

  private readonly flush = (): void => {
    const out = this.outgoing;
    this.outgoing = '';
    // A master name that came as bytes other than UTF-8 goes out (in a hello) as those bytes.
    if (!this.reported && out !== '') this.socket.write(escapesSeen ? encodeBytes(out) : out);
  };

  /** Closed by us: no event for it. */
  destroy(): void {
    this.flush();
    this.reported = true;
    this.socket.destroy();
  }

  /** Always true: returning false would pause the socket. */
  private read(buf: Uint8Array, n: number): boolean {
    this.parser.feed(Buffer.from(buf.buffer, buf.byteOffset, n));
    let value: RespValue | undefined;
    try {
      while ((value = this.parser.next()) !== undefined) this.dispatch(value);
    } catch {
      // A malformed reply: the connection cannot be trusted any further.
      this.socket.destroy();
    }
    return true;
  }

  private dispatch(value: RespValue): void {
    if (this.subscribed && value.type === 'array' && value.items.length === 3 && text(value.items[0]) === 'message') {
      this.sink.message(this.link, this.generation, text(value.items[1]), text(value.items[2]));
      return;
    }
    // Not shift(): a peer's link shared by thousands of masters has thousands of commands
    // in flight, and shifting a long array copies it.
    if (this.pendingHead === this.pending.length) return;
    const tag = this.pending[this.pendingHead++];
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else if (this.pendingHead >= 1024 && this.pendingHead * 2 >= this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    // A SUBSCRIBE is confirmed with [subscribe, channel, count]: the count is its answer.
    const reply = tag.purpose === 'subscribe' && value.type === 'array' && value.items.length === 3 ? observe(value.items[2]) : observe(value);
    this.sink.reply(this.link, this.conn, this.generation, tag, reply);
  }

  private gone(reason: string): void {
    if (this.reported) return;
    this.reported = true;
    this.onGone(this);
    this.sink.closed(this.link, this.conn, this.generation, reason, !this.connected);
  }
}

/**
 * Carries out the core's connect/send/close actions, one socket per connection. Reconnection
 * is the core's decision: a link never reconnects or retries on its own, and never sends
 * anything it was not asked to.
 */
export class LinkManager {
  private readonly open = new Map<string, Link>();

  constructor(
    private readonly sink: LinkSink,
    private readonly options: LinkOptions = {},
  ) {}

  execute(action: Action): void {
    switch (action.kind) {
      case 'connect':
        this.connect(action.link, action.conn, action.generation, action.host, action.port);
        break;
      case 'send':
        this.send(action.link, action.conn, action.generation, action.args, action.tag);
        break;
      case 'close':
        this.close(action.link, action.conn, action.generation);
        break;
      default:
        break;
    }
  }

  closeAll(): void {
    for (const l of this.open.values()) l.destroy();
    this.open.clear();
  }

  private key(link: number, conn: ConnKind): string {
    return `${link}:${conn}`;
  }

  private connect(link: number, conn: ConnKind, generation: number, host: string, port: number): void {
    this.close(link, conn, undefined);
    if (host === '') {
      // A name left unresolved at start-up: an empty host would make Node connect to localhost.
      setImmediate(() => this.sink.closed(link, conn, generation, 'Name or service not known', true));
      return;
    }
    const k = this.key(link, conn);
    const entry = new Link(this.sink, link, conn, generation, host, port, this.options, (l) => {
      if (this.open.get(k) === l) this.open.delete(k);
    });
    this.open.set(k, entry);
  }

  private send(link: number, conn: ConnKind, generation: number, args: string[], tag: ReplyTag): void {
    const entry = this.open.get(this.key(link, conn));
    if (!entry || entry.generation !== generation) return;
    entry.send(args, tag);
  }

  private close(link: number, conn: ConnKind, generation: number | undefined): void {
    const k = this.key(link, conn);
    const entry = this.open.get(k);
    if (!entry || (generation !== undefined && entry.generation !== generation)) return;
    this.open.delete(k);
    entry.destroy();
  }
}

/** A command as a RESP array of bulk strings. */
function encodeCommand(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${encodedLength(a)}\r\n${a}\r\n`;
  return out;
}

/** A string element of a pub/sub frame. */
function text(v: RespValue): string {
  if (v.type === 'bulk') return argumentText(v.value);
  return v.type === 'simple' ? v.value : '';
}

/** A reply as the core observes it: status and bulk replies are both strings. */
function observe(v: RespValue): ObservedReply {
  switch (v.type) {
    case 'simple':
      return { type: 'string', value: v.value };
    case 'bulk':
    case 'verbatim':
      return { type: 'string', value: v.value.toString() };
    case 'error':
      return { type: 'error', value: v.value };
    case 'integer':
      return { type: 'integer', value: v.value };
    case 'null':
      return { type: 'null' };
    case 'array':
    case 'set':
    case 'push':
      return { type: 'array', items: v.items.map(observe) };
    case 'map':
      return { type: 'array', items: v.entries.flatMap(([k, x]) => [observe(k), observe(x)]) };
    case 'attribute':
      return observe(v.value);
    default:
      return { type: 'string', value: String(v.value) };
  }
}

/** IPv4 peers seen through a dual-stack socket report `::ffff:1.2.3.4`; hello messages carry `1.2.3.4`. */
function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
