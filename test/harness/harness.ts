import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { createClient, SentinelQueries } from './clients.js';
import { EventCollector } from './events.js';
import { freePort } from './ports.js';
import { ManagedProcess, type ProcessSpec } from './process.js';
import { RawConnection } from './raw-client.js';
import { RedisServerProcess, type RedisServerOptions } from './redis-server.js';
import { SentinelProcess, type SentinelOptions } from './sentinel.js';
import { makeTempDir, removeDir } from './temp-dir.js';

type Closable = { close(): void } | { disconnect(): void };

/**
 * Owns everything a test starts: processes, connections, temp dirs. `cleanup()`
 * kills every process by PID and removes the dirs; after it the harness can be
 * used again (a new temp dir is made on demand). `dispose()` is the last
 * cleanup: it also refuses any later start.
 */
export class Harness {
  private rootDir: string | undefined;
  private readonly servers: RedisServerProcess[] = [];
  private readonly sentinels: SentinelProcess[] = [];
  private readonly others: ManagedProcess[] = [];
  private readonly connections: Closable[] = [];
  private readonly failures: string[] = [];
  private readonly usedNames = new Set<string>();
  /** Starts still under way: cleanup waits for them, or what they start would outlive it. */
  private readonly starting = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(readonly label: string) {}

  /** This harness's temp dir; every process gets a subdirectory of it. */
  get root(): string {
    this.rootDir ??= makeTempDir(this.label);
    return this.rootDir;
  }

  port(): Promise<number> {
    return freePort();
  }

  startRedis(opts: RedisServerOptions = {}): Promise<RedisServerProcess> {
    return this.startTracked(() => RedisServerProcess.start(this.root, { ...opts, name: this.uniqueName(opts.name) }), this.servers);
  }

  startSentinel(opts: SentinelOptions): Promise<SentinelProcess> {
    return this.startTracked(() => SentinelProcess.start(this.root, { ...opts, name: this.uniqueName(opts.name) }), this.sentinels);
  }

  /**
   * Any other child process (a client script, a proxy, HAProxy), started at once with
   * its own directory under the temp dir (its cwd and the home of its logs), killed by
   * PID at cleanup like the servers.
   */
  startProcess(spec: Omit<ProcessSpec, 'cwd' | 'logDir'>): ManagedProcess {
    if (this.disposed) throw new Error(`harness ${this.label} is disposed: nothing more may be started`);
    const name = this.uniqueName(spec.name) ?? spec.name;
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const proc = new ManagedProcess({ ...spec, name, cwd: dir, logDir: dir });
    this.others.push(proc);
    return proc.start();
  }

  /** An ioredis client closed at cleanup. */
  client(port: number, overrides: Partial<RedisOptions> = {}): Redis {
    return this.closeAtCleanup(createClient(port, overrides));
  }

  /** SENTINEL queries over a fresh ioredis client closed at cleanup. */
  queries(port: number): SentinelQueries {
    return new SentinelQueries(this.client(port));
  }

  async raw(port: number): Promise<RawConnection> {
    return this.closeAtCleanup(await RawConnection.open(port));
  }

  async events(port: number, pattern = '*'): Promise<EventCollector> {
    return this.closeAtCleanup(await EventCollector.start(port, pattern));
  }

  /** Remembers a failed test so cleanup prints the processes' log tails. */
  noteFailure(testName: string): void {
    this.failures.push(testName);
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled([...this.starting]);
    for (const c of this.connections.splice(0)) {
      try {
        if ('disconnect' in c) c.disconnect();
        else c.close();
      } catch {
        // A connection that is already gone needs no closing.
      }
    }
    const processes = [...this.servers.splice(0), ...this.sentinels.splice(0)];
    const others = this.others.splice(0);
    if (this.failures.length > 0) this.reportLogs(processes, others);
    const stopped = await Promise.allSettled([...processes, ...others].map((p) => p.stop()));
    if (this.rootDir !== undefined) {
      if (process.env.HARNESS_KEEP_TMP) console.error(`[harness] kept ${this.rootDir}`);
      else removeDir(this.rootDir);
      this.rootDir = undefined;
    }
    this.failures.length = 0;
    this.usedNames.clear();
    const stuck = stopped.find((r) => r.status === 'rejected');
    if (stuck) throw stuck.reason;
  }

  /** The final cleanup: afterwards every start is refused, so a setup still running cannot leak processes. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.cleanup();
  }

  private reportLogs(processes: Array<RedisServerProcess | SentinelProcess>, others: ManagedProcess[]): void {
    const parts = [
      ...processes.map((p) => `--- ${p.process.spec.name} (port ${p.port}) ---\n${p.process.logTail(40)}`),
      ...others.map((p) => `--- ${p.spec.name} ---\n${p.logTail(40)}`),
    ];
    console.error(`[harness] failed: ${this.failures.join('; ')}\nlogs under ${this.rootDir}\n${parts.join('\n')}`);
  }

  /** Two processes must never share a directory (and so a config file). */
  private uniqueName(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    let candidate = name;
    for (let n = 2; this.usedNames.has(candidate); n++) candidate = `${name}-${n}`;
    this.usedNames.add(candidate);
    return candidate;
  }

  private async startTracked<T extends { stop(): Promise<void> }>(start: () => Promise<T>, into: T[]): Promise<T> {
    if (this.disposed) throw new Error(`harness ${this.label} is disposed: nothing more may be started`);
    // Registration is part of the tracked promise, so cleanup never misses a process that just started.
    const starting = start().then((started) => {
      into.push(started);
      return started;
    });
    this.starting.add(starting);
    try {
      return await starting;
    } finally {
      this.starting.delete(starting);
    }
  }

  private closeAtCleanup<T extends Closable>(c: T): T {
    this.connections.push(c);
    return c;
  }
}

/**
 * A harness wired into vitest: cleaned up after the file (`scope: 'file'`, the
 * default, for a topology shared by the file's tests) or after every test.
 */
export function useHarness(label: string, opts: { scope?: 'file' | 'test' } = {}): Harness {
  const harness = new Harness(label);
  beforeEach((ctx) => {
    ctx.onTestFailed(() => harness.noteFailure(ctx.task.name));
  });
  if (opts.scope === 'test') afterEach(() => harness.cleanup());
  // Vitest 4 only passes the suite to a hook whose first parameter is a destructuring pattern.
  // eslint-disable-next-line no-empty-pattern
  afterAll(({}, suite) => {
    // A failed beforeAll (e.g. discovery timed out) fails no test but deserves the logs too.
    if (suite.result?.state === 'fail') harness.noteFailure(`${suite.name} (setup or teardown)`);
    return harness.dispose();
  });
  return harness;
}
