import { Redis, ReplyError } from 'ioredis';
import type { Action, ConnKind, ObservedReply, ReplyTag } from '../core/actions.js';

/** Where link events go: the core, followed by a drain of whatever it queued in response. */
export interface LinkSink {
  connected(link: number, conn: ConnKind, generation: number, localIp: string): void;
  closed(link: number, conn: ConnKind, generation: number, reason: string, neverConnected: boolean): void;
  reply(link: number, conn: ConnKind, generation: number, tag: ReplyTag, reply: ObservedReply): void;
  message(link: number, generation: number, channel: string, payload: string): void;
}

interface OpenConnection {
  client: Redis;
  generation: number;
}

export interface LinkOptions {
  /** Source address for outgoing connections (bind-source-addr). */
  sourceAddress?: string;
  connectTimeoutMs?: number;
}

/**
 * Carries out the core's connect/send/close actions with one ioredis client
 * per connection. Reconnection is the core's decision, so ioredis never
 * reconnects or retries on its own, and never sends anything we did not ask for.
 */
export class LinkManager {
  private readonly open = new Map<string, OpenConnection>();

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
    for (const { client } of this.open.values()) client.disconnect(false);
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
    const client = new Redis({
      host,
      port,
      lazyConnect: true,
      enableReadyCheck: false,
      enableOfflineQueue: true,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => null,
      reconnectOnError: () => false,
      maxRetriesPerRequest: null,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      ...(this.options.sourceAddress ? { localAddress: this.options.sourceAddress } : {}),
    });
    const entry: OpenConnection = { client, generation };
    this.open.set(this.key(link, conn), entry);
    let connected = false;
    let reported = false;
    const current = () => this.open.get(this.key(link, conn)) === entry;
    const reportClosed = (reason: string) => {
      if (reported) return;
      reported = true;
      if (current()) this.open.delete(this.key(link, conn));
      this.sink.closed(link, conn, generation, reason, !connected);
    };

    client.on('connect', () => {
      connected = true;
      const socket = (client as unknown as { stream?: { localAddress?: string } }).stream;
      this.sink.connected(link, conn, generation, normaliseIp(socket?.localAddress ?? ''));
    });
    client.on('error', (e: Error) => {
      if (!connected) reportClosed(`${e.message}`);
    });
    client.on('close', () => reportClosed('Connection closed'));
    client.on('end', () => reportClosed('Connection closed'));
    if (conn === 'pc') {
      client.on('message', (channel: string, message: string) => this.sink.message(link, generation, channel, message));
    }
    client.connect().catch(() => {
      // Reported through the 'error'/'close' events.
    });
  }

  private send(link: number, conn: ConnKind, generation: number, args: string[], tag: ReplyTag): void {
    const entry = this.open.get(this.key(link, conn));
    if (!entry || entry.generation !== generation) return;
    const [name, ...rest] = args;
    // ioredis only enters its subscriber mode through subscribe(); a renamed SUBSCRIBE goes out as it is.
    const pending =
      tag.purpose === 'subscribe' && name.toUpperCase() === 'SUBSCRIBE'
        ? entry.client.subscribe(...rest)
        : entry.client.call(name, ...rest);
    pending.then(
      (value: unknown) => this.sink.reply(link, conn, generation, tag, observe(value)),
      (e: unknown) => {
        if (e instanceof ReplyError) this.sink.reply(link, conn, generation, tag, { type: 'error', value: (e as Error).message });
      },
    );
  }

  private close(link: number, conn: ConnKind, generation: number | undefined): void {
    const k = this.key(link, conn);
    const entry = this.open.get(k);
    if (!entry || (generation !== undefined && entry.generation !== generation)) return;
    this.open.delete(k);
    entry.client.disconnect(false);
  }
}

function observe(value: unknown): ObservedReply {
  if (value === null || value === undefined) return { type: 'null' };
  if (typeof value === 'number') return { type: 'integer', value };
  if (typeof value === 'string') return { type: 'string', value };
  if (Buffer.isBuffer(value)) return { type: 'string', value: value.toString() };
  if (Array.isArray(value)) return { type: 'array', items: value.map(observe) };
  if (value instanceof Error) return { type: 'error', value: value.message };
  return { type: 'string', value: String(value) };
}

/** IPv4 peers seen through a dual-stack socket report `::ffff:1.2.3.4`; hello messages carry `1.2.3.4`. */
function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
