/**
 * Helpers for the SentinelServer tests: a server on a free loopback port with
 * stub sentinel hooks, and a raw RESP connection that keeps each reply's bytes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { SentinelInfo } from '../../src/core/operations.js';
import { ReplyParser, type RespValue } from '../../src/resp/reply-parser.js';
import { bulk, type Reply } from '../../src/resp/reply.js';
import type { ClientView, SentinelHooks } from '../../src/server/sentinel-hooks.js';
import { SentinelServer, type SentinelServerOptions, type ShutdownRequest } from '../../src/server/server.js';
import { freePort } from '../harness/ports.js';
import { makeTempDir, removeDir } from '../harness/temp-dir.js';
import { waitFor } from '../harness/wait-for.js';
import { realSentinelBinary, withoutRealSentinel } from '../harness/real-sentinel.js';

export const SENTINEL_SECTION =
  '# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\nmaster0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=0,sentinels=1\r\n';

/** Hooks that answer fixed values (INFO's sentinel section is SENTINEL_SECTION) and remember what the server asked of them. */
export class StubHooks implements SentinelHooks {
  readonly sentinelCalls: Array<{ argv: string[]; client: ClientView }> = [];
  readonly hellos: string[] = [];
  sentinelReply: Reply = bulk('sentinel reply');

  sentinelCommand(argv: string[], client: ClientView): Reply {
    this.sentinelCalls.push({ argv, client });
    return this.sentinelReply;
  }
  sentinelInfo(): SentinelInfo {
    return {
      tiltMs: null,
      runningScripts: 0,
      queuedScripts: 0,
      simulatedFailureFlags: 0,
      masters: [{ name: 'mymaster', status: 'ok', host: '127.0.0.1', port: 6379, replicas: 0, sentinels: 1 }],
    };
  }
  currentHz(): number {
    return 13;
  }
  masterNames(): string[] {
    return ['mymaster'];
  }
  hello(payload: string): void {
    this.hellos.push(payload);
  }
  configFile(): string {
    return '/etc/sentinel/sentinel.conf';
  }
}

export interface TestServer {
  server: SentinelServer;
  port: number;
  hooks: StubHooks;
  logs: Array<{ level: string; message: string }>;
  shutdowns: ShutdownRequest[];
  close(): Promise<void>;
}

export async function startServer(overrides: Partial<SentinelServerOptions> = {}): Promise<TestServer> {
  const hooks = new StubHooks();
  const logs: TestServer['logs'] = [];
  const shutdowns: ShutdownRequest[] = [];
  for (let attempt = 0; ; attempt++) {
    const port = overrides.port ?? (await freePort());
    const server = new SentinelServer({
      hooks,
      logger: { log: (level, message) => logs.push({ level, message }) },
      requirepass: null,
      protectedMode: false,
      maxclients: 10000,
      port,
      bind: ['127.0.0.1'],
      executable: '/usr/bin/redis-sentinel',
      startTime: Date.now(),
      onShutdown: (request) => shutdowns.push(request),
      ...overrides,
    });
    try {
      await server.listen();
      return { server, port, hooks, logs, shutdowns, close: () => server.close() };
    } catch (e) {
      if (attempt >= 3 || overrides.port !== undefined) throw e;
    }
  }
}

/**
 * A fresh server for every test of the calling file, and connections to it that
 * are closed after each test.
 */
export function useServer(): {
  readonly t: TestServer;
  connection(protocol?: 2 | 3): Promise<RawConnection>;
  restart(overrides: Partial<SentinelServerOptions>): Promise<void>;
} {
  let current: TestServer | undefined;
  const connections: RawConnection[] = [];
  beforeEach(async () => {
    current = await startServer();
  });
  afterEach(async () => {
    connections.splice(0).forEach((c) => c.close());
    await current?.close();
  });
  return {
    get t(): TestServer {
      if (current === undefined) throw new Error('the server is not started');
      return current;
    },
    async connection(protocol: 2 | 3 = 2): Promise<RawConnection> {
      const conn = await RawConnection.open(this.t.port);
      connections.push(conn);
      if (protocol === 3) await conn.call('HELLO', '3');
      return conn;
    },
    async restart(overrides: Partial<SentinelServerOptions>): Promise<void> {
      await current?.close();
      current = await startServer(overrides);
    },
  };
}

export interface RawReply {
  value: RespValue;
  bytes: Buffer;
}

/** One TCP connection; what is sent is exactly what the server receives. */
export class RawConnection {
  private readonly parser = new ReplyParser();
  private readonly replies: RawReply[] = [];
  private received = Buffer.alloc(0);
  private consumed = 0;
  private ended = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.parser.feed(chunk);
      for (let value = this.parser.next(); value !== undefined; value = this.parser.next()) {
        const end = this.received.length - this.parser.bufferedBytes;
        this.replies.push({ value, bytes: this.received.subarray(this.consumed, end) });
        this.consumed = end;
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** A multibulk request. */
  send(...args: Array<string | Buffer>): void {
    this.socket.write(encodeRequest(args));
  }

  sendRaw(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  async read(timeoutMs = 2000): Promise<RawReply> {
    await this.until(() => this.replies.length > 0 || this.ended, timeoutMs);
    const reply = this.replies.shift();
    if (reply === undefined) throw new Error(this.ended ? 'connection closed before a reply' : `no reply within ${timeoutMs} ms`);
    return reply;
  }

  async readMany(count: number, timeoutMs = 2000): Promise<RawReply[]> {
    const out: RawReply[] = [];
    for (let i = 0; i < count; i++) out.push(await this.read(timeoutMs));
    return out;
  }

  /** Sends one command and returns the bytes of its reply. */
  async call(...args: Array<string | Buffer>): Promise<string> {
    this.send(...args);
    return (await this.read()).bytes.toString('utf8');
  }

  /** Whether the server closed the connection within the time. */
  async closedWithin(timeoutMs = 2000): Promise<boolean> {
    await this.until(() => this.ended, timeoutMs);
    return this.ended;
  }

  /** Waits a little and returns true if nothing more arrived. */
  async quiet(ms = 150): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.replies.length === 0;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }

  private async until(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

export function encodeRequest(args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** The real redis-sentinel 7.0.15 in a temporary directory, for byte comparisons. */
export class RealSentinel {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(configLines: string[] = []): Promise<RealSentinel> {
    const dir = makeTempDir('server-conformance');
    const port = await freePort();
    const config = join(dir, 'sentinel.conf');
    writeFileSync(config, [`port ${port}`, 'bind 127.0.0.1', `dir "${dir}"`, ...configLines, ''].join('\n'));
    const child = spawn(realSentinelBinary() ?? 'redis-sentinel', [config], { cwd: dir, stdio: 'ignore' });
    const sentinel = new RealSentinel(port, child, dir);
    try {
      await waitFor(
        async () => {
          const conn = await RawConnection.open(port);
          try {
            return await conn.call('PING');
          } finally {
            conn.close();
          }
        },
        { timeoutMs: 10_000, description: `redis-sentinel answering PING on port ${port}` },
      );
    } catch (e) {
      await sentinel.stop();
      throw e;
    }
    return sentinel;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    removeDir(this.dir);
  }
}

export function realSentinelAvailable(): boolean {
  return !withoutRealSentinel('SentinelServer against redis-sentinel 7.0.15');
}
