import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { harnessBackend, REDIS_IMAGE, SENTINEL_IMAGE, type ContainerSpec } from './container.js';
import { freePort } from './ports.js';
import { ManagedProcess, type Signal } from './process.js';
import { LOOPBACK, waitUntilServing } from './redis-server.js';

/** `ours`: node bin/sentinel.js (needs `npm run build`); `redis`: the real redis-sentinel. */
export type SentinelImpl = 'ours' | 'redis';

export const REDIS_SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? 'redis-sentinel';
/** The repository root, found from this file whether it runs as TS source or compiled under dist/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || basename(dir) === 'dist') {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const OUR_BIN = join(repoRoot(), 'bin', 'sentinel.js');
const OUR_BUILD = join(repoRoot(), 'dist', 'src', 'cli.js');

/** The implementation under test: env SENTINEL_IMPL (`ours` | `redis`), `ours` by default. */
export function implUnderTest(): SentinelImpl {
  const value = process.env.SENTINEL_IMPL ?? 'ours';
  if (value !== 'ours' && value !== 'redis') throw new Error(`SENTINEL_IMPL must be 'ours' or 'redis', not '${value}'`);
  return value;
}

export interface MonitorSpec {
  name: string;
  host?: string;
  port: number;
  quorum: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  parallelSyncs?: number;
}

export interface SentinelOptions {
  impl?: SentinelImpl;
  /** Label for logs and the data dir; `sentinel-<port>` unless told. */
  name?: string;
  port?: number;
  monitors: MonitorSpec[];
  /** More lines for sentinel.conf, appended after the monitors. */
  configLines?: string[];
  /** More command line arguments after the config path, e.g. ['--loglevel', 'debug']. */
  args?: string[];
  /** The process's environment; the test runner's unless told. */
  env?: NodeJS.ProcessEnv;
}

/** The sentinel.conf a test starts from: the user-written part only; the daemon adds its state. */
export function sentinelConfigText(port: number, dir: string, opts: SentinelOptions): string {
  const lines = [`port ${port}`, `bind ${LOOPBACK}`, `dir "${dir}"`];
  for (const m of opts.monitors) {
    lines.push(`sentinel monitor ${m.name} ${m.host ?? LOOPBACK} ${m.port} ${m.quorum}`);
    if (m.downAfterMs !== undefined) lines.push(`sentinel down-after-milliseconds ${m.name} ${m.downAfterMs}`);
    if (m.failoverTimeoutMs !== undefined) lines.push(`sentinel failover-timeout ${m.name} ${m.failoverTimeoutMs}`);
    if (m.parallelSyncs !== undefined) lines.push(`sentinel parallel-syncs ${m.name} ${m.parallelSyncs}`);
  }
  lines.push(...(opts.configLines ?? []));
  return `${lines.join('\n')}\n`;
}

function commandLine(impl: SentinelImpl, configPath: string, extra: string[]): { command: string; args: string[] } {
  if (impl === 'redis') return { command: REDIS_SENTINEL_BIN, args: [configPath, ...extra] };
  if (!existsSync(OUR_BUILD)) {
    throw new Error(`our sentinel is not built (${OUR_BUILD} is missing): run 'npm run build' first`);
  }
  return { command: process.execPath, args: [OUR_BIN, configPath, ...extra] };
}

/** The same sentinel in a container: ours from its image, the real one as Debian's `redis-server --sentinel`. */
function containerSpec(impl: SentinelImpl, configPath: string, extra: string[], baseDir: string): ContainerSpec {
  const command =
    impl === 'redis' ? ['redis-server', configPath, '--sentinel', ...extra] : ['node', '/app/bin/sentinel.js', configPath, ...extra];
  return { image: impl === 'redis' ? REDIS_IMAGE : SENTINEL_IMAGE, command, mounts: [baseDir] };
}

/** A sentinel (real or ours) started from its own sentinel.conf in its own directory. */
export class SentinelProcess {
  readonly host = LOOPBACK;

  private constructor(
    readonly impl: SentinelImpl,
    readonly port: number,
    readonly dir: string,
    readonly configPath: string,
    readonly process: ManagedProcess,
  ) {}

  static async start(baseDir: string, opts: SentinelOptions): Promise<SentinelProcess> {
    const impl = opts.impl ?? implUnderTest();
    for (let attempt = 0; ; attempt++) {
      const port = opts.port ?? (await freePort());
      const name = opts.name ?? `sentinel-${port}`;
      const dir = join(baseDir, name);
      mkdirSync(dir, { recursive: true });
      const configPath = join(dir, 'sentinel.conf');
      writeFileSync(configPath, sentinelConfigText(port, dir, opts));
      const container = containerSpec(impl, configPath, opts.args ?? [], baseDir);
      // In a container the host needs no build of ours: the command is the image's.
      const { command, args } =
        harnessBackend() === 'containers'
          ? { command: container.command[0], args: container.command.slice(1) }
          : commandLine(impl, configPath, opts.args ?? []);
      const proc = new ManagedProcess({ name, command, args, cwd: dir, logDir: dir, env: opts.env, container }).start();
      const state = await waitUntilServing(proc, port, 15_000).catch(async (e: unknown) => {
        await proc.stop();
        throw e;
      });
      if (state === 'ready') return new SentinelProcess(impl, port, dir, configPath, proc);
      if (opts.port !== undefined || attempt >= 3) {
        throw new Error(`${impl} sentinel could not bind port ${port}\n${proc.logTail(20)}`);
      }
    }
  }

  get name(): string {
    return this.process.spec.name;
  }

  get pid(): number {
    return this.process.pid;
  }

  kill(signal: Signal): void {
    this.process.kill(signal);
  }

  /** Kill if running, start again from the (possibly rewritten) config file, wait for PING. */
  async restart(): Promise<void> {
    await this.process.restart();
    const state = await waitUntilServing(this.process, this.port, 15_000);
    if (state !== 'ready') throw new Error(`${this.name} could not re-bind port ${this.port}`);
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  /** The config file as it is on disk now. */
  readConfig(): string {
    return readFileSync(this.configPath, 'utf8');
  }

  /** The config lines whose words start with the given words, e.g. `configLines('sentinel known-replica')`. */
  configLines(prefix: string): string[] {
    return this.readConfig()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l === prefix || l.startsWith(`${prefix} `));
  }

  describe(): string {
    return `${this.name} (${this.impl}, port ${this.port}, pid ${this.process.running ? this.pid : 'not running'})`;
  }
}
