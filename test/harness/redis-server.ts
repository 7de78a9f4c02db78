import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REDIS_IMAGE } from './container.js';
import { freePort } from './ports.js';
import { ManagedProcess, type Signal } from './process.js';
import { RawConnection } from './raw-client.js';
import { waitFor } from './wait-for.js';

export const LOOPBACK = '127.0.0.1';
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export interface RedisServerOptions {
  /** Label for logs and the data dir; `redis-<port>` unless told. */
  name?: string;
  /** A fixed port; otherwise a free one is allocated. */
  port?: number;
  /** Start as a replica of this master. */
  replicaOf?: { host?: string; port: number };
  /** Extra `--directive value` arguments. */
  args?: string[];
}

/** Sends PING on a fresh connection and tells whether PONG came back. */
export async function answersPing(port: number): Promise<boolean> {
  const conn = await RawConnection.open(port, { timeoutMs: 1000 });
  try {
    const reply = await conn.command(['PING'], 1000);
    return reply.value.type === 'simple' && reply.value.value === 'PONG';
  } finally {
    conn.close();
  }
}

/**
 * Waits until a freshly spawned server answers PING. Gives up early when the
 * process exits, and says whether that was because the port was taken.
 */
export async function waitUntilServing(proc: ManagedProcess, port: number, timeoutMs: number): Promise<'ready' | 'port-taken'> {
  const state = await waitFor(
    async () => {
      if (!proc.running) return /Address already in use|EADDRINUSE|bind: /i.test(proc.log()) ? 'port-taken' : 'exited';
      return (await answersPing(port)) ? 'ready' : undefined;
    },
    { timeoutMs, intervalMs: 30, description: `${proc.spec.name} to answer PING on port ${port}` },
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n--- ${proc.spec.name} log tail ---\n${proc.logTail(30)}`);
  });
  if (state !== 'ready' && state !== 'port-taken') {
    throw new Error(`${proc.spec.name} exited during startup (${JSON.stringify(proc.exited)})\n--- log tail ---\n${proc.logTail(30)}`);
  }
  return state;
}

/** A real redis-server on loopback, with no persistence. */
export class RedisServerProcess {
  readonly host = LOOPBACK;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly process: ManagedProcess,
  ) {}

  /** Starts a server under `baseDir`; retries with another port if the chosen one was taken meanwhile. */
  static async start(baseDir: string, opts: RedisServerOptions = {}): Promise<RedisServerProcess> {
    for (let attempt = 0; ; attempt++) {
      const port = opts.port ?? (await freePort());
      const name = opts.name ?? `redis-${port}`;
      const dir = join(baseDir, name);
      mkdirSync(dir, { recursive: true });
      const args = [
        '--port', String(port),
        '--bind', LOOPBACK,
        '--save', '',
        '--appendonly', 'no',
        '--dir', dir,
        '--daemonize', 'no',
        '--logfile', '',
        // The 7.0 default waits 5 s before a diskless full sync; replicas should be in sync at once.
        '--repl-diskless-sync-delay', '0',
        ...(opts.replicaOf ? ['--replicaof', opts.replicaOf.host ?? LOOPBACK, String(opts.replicaOf.port)] : []),
        ...(opts.args ?? []),
      ];
      const container = { image: REDIS_IMAGE, command: ['redis-server', ...args], mounts: [baseDir] };
      const proc = new ManagedProcess({ name, command: REDIS_SERVER_BIN, args, cwd: dir, logDir: dir, container }).start();
      const state = await waitUntilServing(proc, port, 10_000).catch(async (e: unknown) => {
        await proc.stop();
        throw e;
      });
      if (state === 'ready') return new RedisServerProcess(port, dir, proc);
      if (opts.port !== undefined || attempt >= 3) {
        throw new Error(`redis-server could not bind port ${port}\n${proc.logTail(20)}`);
      }
    }
  }

  get pid(): number {
    return this.process.pid;
  }

  kill(signal: Signal): void {
    this.process.kill(signal);
  }

  /** Kill if running, start again with the same arguments, wait for PING. */
  async restart(): Promise<void> {
    await this.process.restart();
    const state = await waitUntilServing(this.process, this.port, 10_000);
    if (state !== 'ready') throw new Error(`redis-server could not re-bind port ${this.port}`);
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
