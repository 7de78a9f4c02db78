import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { createSentinel } from 'redis';
import type { Harness } from '../../harness/harness.js';
import type { ManagedProcess } from '../../harness/process.js';
import { LOOPBACK } from '../../harness/redis-server.js';

/**
 * The clients of the matrix. Each one writes in a loop and records every
 * acknowledged write with the time it was acknowledged and the port of the
 * server that acknowledged it: every write is a script that increments a key
 * and returns the server's `tcp_port`, so a write acknowledged by a stale
 * master (a hung one that was resumed, or an old master not yet demoted) is
 * told apart from one acknowledged by the new master. The script also returns
 * the counter's new value: the first value the new master returns tells which
 * of the old master's acknowledged writes reached it (the smaller values) and
 * which were lost with the old master (the others).
 */
export const WRITE_SCRIPT =
  "local n = redis.call('INCR', KEYS[1]) return string.match(redis.call('INFO', 'server'), 'tcp_port:(%d+)') .. ' ' .. n";

/** Pause between two writes of a client. */
export const WRITE_INTERVAL_MS = 10;

export interface Ack {
  /** Date.now() (or the child's clock) when the acknowledgement arrived. */
  t: number;
  /** The port of the server that executed the write. */
  port: number;
  /** The client's counter after the write. */
  n: number;
}

/** `<port> <counter>` as the write script returns it. */
export function parseWriteReply(reply: unknown): { port: number; n: number } {
  const m = /^(\d+) (\d+)$/.exec(String(reply));
  if (!m) throw new Error(`unexpected write reply ${JSON.stringify(reply)}`);
  return { port: Number(m[1]), n: Number(m[2]) };
}

export interface WriterInfo {
  /** Short stable identifier, e.g. `ioredis5-detector`. */
  id: string;
  client: string;
  version: string;
  mode: string;
}

export interface Writer extends WriterInfo {
  /** Every acknowledged write so far, in order (call `poll()` first). */
  readonly acks: Ack[];
  /** Reads what a child-process writer reported since the last call. */
  poll(): void;
  /** Last error and client state, for reports. */
  describe(): string;
  /** Throws the client away and starts a fresh one (after a stall, so every failover is a fresh trial). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** What every writer needs to find the master. */
export interface WriterContext {
  h: Harness;
  masterName: string;
  /** Sentinel ports as the clients see them (the delay proxies' when there is latency). */
  sentinelPorts: number[];
  /**
   * `127.0.0.1:<real sentinel port>` -> proxy, for the clients that learn the other
   * sentinels' real addresses from SENTINEL SENTINELS (ioredis natMap, node-redis
   * nodeAddressMap), so that they too only reach the sentinels through the proxies.
   */
  addressMap?: Record<string, { host: string; port: number }>;
  /** The HAProxy frontend that routes to the master. */
  haproxyPort: number;
}

interface LiveClient {
  write(): Promise<unknown>;
  close(): Promise<void> | void;
  state(): string;
}

const require = createRequire(import.meta.url);
function versionOf(pkg: string): string {
  return (require(`${pkg}/package.json`) as { version: string }).version;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client in this process, writing in a loop; a restart makes a new client and a new loop. */
class LoopWriter implements Writer {
  readonly acks: Ack[] = [];
  private generation = 0;
  private current: LiveClient | undefined;
  private lastError = '';
  private closed = false;

  constructor(
    readonly info: WriterInfo,
    private readonly make: () => LiveClient,
  ) {}

  get id() { return this.info.id; }
  get client() { return this.info.client; }
  get version() { return this.info.version; }
  get mode() { return this.info.mode; }

  start(): this {
    const generation = ++this.generation;
    const live = this.make();
    this.current = live;
    void this.loop(generation, live);
    return this;
  }

  private async loop(generation: number, live: LiveClient): Promise<void> {
    while (!this.closed && generation === this.generation) {
      try {
        const reply = parseWriteReply(await live.write());
        if (generation === this.generation) this.acks.push({ t: Date.now(), ...reply });
      } catch (e) {
        if (generation === this.generation) this.lastError = errorText(e);
      }
      await sleep(WRITE_INTERVAL_MS);
    }
  }

  poll(): void {}

  describe(): string {
    return `state=${this.current?.state() ?? 'none'} lastError=${this.lastError || '-'}`;
  }

  async restart(): Promise<void> {
    const old = this.current;
    this.generation++;
    await old?.close();
    this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    await this.current?.close();
  }
}

/** A client in a child process that prints `ack <ms> <port>` per acknowledged write and `err <ms> <text>` per failure. */
class ProcessWriter implements Writer {
  readonly acks: Ack[] = [];
  private proc: ManagedProcess | undefined;
  private offset = 0;
  private partial = '';
  private lastError = '';

  constructor(
    readonly info: WriterInfo,
    private readonly h: Harness,
    private readonly command: () => { command: string; args: string[] },
  ) {}

  get id() { return this.info.id; }
  get client() { return this.info.client; }
  get version() { return this.info.version; }
  get mode() { return this.info.mode; }

  start(): this {
    const { command, args } = this.command();
    this.proc = this.h.startProcess({ name: this.info.id, command, args });
    this.offset = 0;
    this.partial = '';
    return this;
  }

  poll(): void {
    const path = this.proc?.stdoutPath;
    if (!path || !existsSync(path)) return;
    const size = statSync(path).size;
    if (size <= this.offset) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.partial + buf.toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const ack = /^ack (\d+) (\d+) (\d+)$/.exec(line);
        if (ack) this.acks.push({ t: Number(ack[1]), port: Number(ack[2]), n: Number(ack[3]) });
        else if (line.startsWith('err ')) this.lastError = line.slice(4);
      }
    } finally {
      closeSync(fd);
    }
  }

  describe(): string {
    const p = this.proc;
    const state = !p ? 'none' : p.running ? `running pid ${p.pid}` : `exited ${JSON.stringify(p.exited)}`;
    const stderr = p ? p.logTail(3).replace(/\n/g, ' | ') : '';
    return `${state} lastError=${this.lastError || '-'}${p?.running ? '' : ` output: ${stderr}`}`;
  }

  async restart(): Promise<void> {
    this.poll();
    await this.proc?.stop();
    this.start();
  }

  async close(): Promise<void> {
    this.poll();
    await this.proc?.stop();
  }
}

/** Retry delays of a client that wants its writes back quickly: it is asking the sentinels most of the time a master is down. */
const SHORT_RETRY = { retryStrategy: () => 10, sentinelRetryStrategy: () => 10 } as const;

function ioredisSentinelClient(
  ctor: typeof Redis | typeof Redis6,
  ctx: WriterContext,
  key: string,
  failoverDetector: boolean,
  retry: Partial<typeof SHORT_RETRY> = {},
): LiveClient {
  // Sentinel mode with the library's defaults; only the address map is added, and only with latency.
  // The two majors' option types differ in parts this test does not use.
  const client = new (ctor as typeof Redis)({
    sentinels: ctx.sentinelPorts.map((port) => ({ host: LOOPBACK, port })),
    name: ctx.masterName,
    ...(failoverDetector ? { failoverDetector: true } : {}),
    ...retry,
    ...(ctx.addressMap ? { natMap: ctx.addressMap } : {}),
  });
  client.on('error', () => {});
  return {
    write: async () => client.eval(WRITE_SCRIPT, 1, key),
    close: () => client.disconnect(),
    state: () => client.status,
  };
}

function nodeRedisSentinelClient(ctx: WriterContext, key: string): LiveClient {
  const sentinel = createSentinel({
    name: ctx.masterName,
    sentinelRootNodes: ctx.sentinelPorts.map((port) => ({ host: LOOPBACK, port })),
    ...(ctx.addressMap ? { nodeAddressMap: ctx.addressMap } : {}),
  });
  sentinel.on('error', () => {});
  const connecting = sentinel.connect();
  connecting.catch(() => {});
  let closed = false;
  return {
    write: async () => {
      await connecting;
      return sentinel.eval(WRITE_SCRIPT, { keys: [key] });
    },
    close: () => {
      if (closed) return;
      closed = true;
      try {
        sentinel.destroy();
      } catch {
        // Already closed by the library.
      }
    },
    state: () => (closed ? 'closed' : sentinel.isReady ? 'ready' : sentinel.isOpen ? 'open' : 'not open'),
  };
}

/**
 * A client written the way Jedis's JedisSentinelPool works (test code, not
 * Jedis): it resolves the master once with GET-MASTER-ADDR-BY-NAME from the
 * first sentinel that answers, then listens on every sentinel for
 * `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>` and moves its
 * connection to fields 3 and 4. Socket timeout 2 s as Jedis's default; a
 * listener whose connection drops retries after 5 s, as Jedis's MasterListener.
 */
class JedisStyleSentinelClient implements LiveClient {
  private master: Redis | undefined;
  private masterAddr = '';
  private readonly listeners: Redis[] = [];
  private closed = false;

  constructor(
    private readonly ctx: WriterContext,
    private readonly key: string,
  ) {
    this.ready = this.init();
    this.ready.catch(() => {});
  }

  private readonly ready: Promise<void>;

  private async init(): Promise<void> {
    for (const port of this.ctx.sentinelPorts) {
      const listener = new Redis({ host: LOOPBACK, port, retryStrategy: () => 5000, maxRetriesPerRequest: 0 });
      listener.on('error', () => {});
      listener.on('message', (_channel: string, message: string) => {
        const fields = message.split(' ');
        if (fields.length === 5 && fields[0] === this.ctx.masterName) this.useMaster(fields[3], Number(fields[4]));
      });
      this.listeners.push(listener);
      void listener.subscribe('+switch-master').catch(() => {});
    }
    for (const port of this.ctx.sentinelPorts) {
      const once = new Redis({ host: LOOPBACK, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 2000 });
      once.on('error', () => {});
      try {
        const addr = (await once.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.ctx.masterName)) as [string, string] | null;
        if (addr) {
          if (!this.master) this.useMaster(addr[0], Number(addr[1]));
          return;
        }
      } catch {
        // Try the next sentinel, as Jedis does.
      } finally {
        once.disconnect();
      }
    }
    throw new Error('no sentinel knew the master');
  }

  private useMaster(host: string, port: number): void {
    if (this.closed || `${host}:${port}` === this.masterAddr) return;
    this.masterAddr = `${host}:${port}`;
    this.master?.disconnect();
    this.master = new Redis({
      host,
      port,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      commandTimeout: 2000,
      retryStrategy: () => 100,
    });
    this.master.on('error', () => {});
  }

  async write(): Promise<unknown> {
    await this.ready;
    if (!this.master) throw new Error('no master yet');
    return this.master.eval(WRITE_SCRIPT, 1, this.key);
  }

  close(): void {
    this.closed = true;
    this.master?.disconnect();
    for (const l of this.listeners) l.disconnect();
  }

  state(): string {
    return `master=${this.masterAddr || '-'} ${this.master?.status ?? ''}`;
  }
}

/** redis-py's Sentinel, as its documentation shows it: Sentinel([...]).master_for(name), default options. */
const REDIS_PY_SOURCE = String.raw`
import sys, time
import redis
from redis.sentinel import Sentinel
name, key, script = sys.argv[1], sys.argv[2], sys.argv[3]
sentinel = Sentinel([('127.0.0.1', int(p)) for p in sys.argv[4:]])
master = sentinel.master_for(name)
while True:
    try:
        reply = master.eval(script, 1, key)
        print('ack %d %s' % (time.time() * 1000, reply.decode()), flush=True)
    except Exception as e:
        print('err %d %s: %s' % (time.time() * 1000, type(e).__name__, str(e).replace('\n', ' ')), flush=True)
    time.sleep(0.01)
`;

/**
 * An operator's script: asks a sentinel (the next one if it does not answer)
 * for the master with redis-cli, then writes there with redis-cli. Each
 * redis-cli is bounded by coreutils timeout, so a hung master or sentinel
 * does not hang the script.
 */
const REDIS_CLI_LOOP = String.raw`
name=$1; key=$2; script=$3; shift 3
while :; do
  addr=()
  for s in "$@"; do
    mapfile -t addr < <(timeout 2 redis-cli -p "$s" --raw sentinel get-master-addr-by-name "$name" 2>/dev/null)
    [ "\${#addr[@]}" -eq 2 ] && break
  done
  if [ "\${#addr[@]}" -eq 2 ]; then
    out=$(timeout 1 redis-cli -h "\${addr[0]}" -p "\${addr[1]}" --raw eval "$script" 1 "$key" 2>&1)
    now=\${EPOCHREALTIME/./}
    if [[ "$out" =~ ^[0-9]+\ [0-9]+$ ]]; then echo "ack \${now:0:13} $out"; else echo "err \${now:0:13} \${out//$'\n'/ }"; fi
  fi
  sleep 0.01
done
`.replace(/\\\$/g, '$');

export interface ToolVersions {
  redisPy: string;
  redisCli: string;
  haproxy: string;
}

/** Every client of the matrix, started. */
export function startWriters(ctx: WriterContext, versions: ToolVersions): Writer[] {
  const key = (id: string) => `matrix:${id}`;
  const loop = (info: WriterInfo, make: () => LiveClient) => new LoopWriter(info, make).start();
  return [
    loop({ id: 'ioredis5', client: 'ioredis', version: versionOf('ioredis'), mode: 'sentinel, defaults' }, () =>
      ioredisSentinelClient(Redis, ctx, key('ioredis5'), false),
    ),
    loop({ id: 'ioredis5-detector', client: 'ioredis', version: versionOf('ioredis'), mode: 'sentinel, failoverDetector' }, () =>
      ioredisSentinelClient(Redis, ctx, key('ioredis5-detector'), true),
    ),
    loop({ id: 'ioredis5-detector-short-retry', client: 'ioredis', version: versionOf('ioredis'), mode: 'sentinel, failoverDetector, 10 ms retries' }, () =>
      ioredisSentinelClient(Redis, ctx, key('ioredis5-detector-short-retry'), true, SHORT_RETRY),
    ),
    loop({ id: 'ioredis6-detector', client: 'ioredis', version: versionOf('ioredis6'), mode: 'sentinel, failoverDetector' }, () =>
      ioredisSentinelClient(Redis6, ctx, key('ioredis6-detector'), true),
    ),
    loop({ id: 'node-redis', client: 'node-redis', version: versionOf('redis'), mode: 'createSentinel' }, () =>
      nodeRedisSentinelClient(ctx, key('node-redis')),
    ),
    new ProcessWriter({ id: 'redis-py', client: 'redis-py', version: versions.redisPy, mode: 'Sentinel.master_for' }, ctx.h, () => ({
      command: '/usr/bin/python3',
      args: ['-u', '-c', REDIS_PY_SOURCE, ctx.masterName, key('redis-py'), WRITE_SCRIPT, ...ctx.sentinelPorts.map(String)],
    })).start(),
    loop({ id: 'jedis-style', client: 'Jedis-style (test code)', version: '-', mode: '+switch-master fields 3-4' }, () =>
      new JedisStyleSentinelClient(ctx, key('jedis-style')),
    ),
    new ProcessWriter({ id: 'redis-cli', client: 'redis-cli script', version: versions.redisCli, mode: 'get-master-addr-by-name poll' }, ctx.h, () => ({
      command: 'bash',
      args: ['-c', REDIS_CLI_LOOP, 'redis-cli-loop', ctx.masterName, key('redis-cli'), WRITE_SCRIPT, ...ctx.sentinelPorts.map(String)],
    })).start(),
    loop({ id: 'haproxy', client: 'HAProxy + ioredis', version: versions.haproxy, mode: 'tcp-check role:master' }, () => {
      const client = new Redis({
        host: LOOPBACK,
        port: ctx.haproxyPort,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => 50,
      });
      client.on('error', () => {});
      return {
        write: () => client.eval(WRITE_SCRIPT, 1, key('haproxy')),
        close: () => client.disconnect(),
        state: () => client.status,
      };
    }),
  ];
}
