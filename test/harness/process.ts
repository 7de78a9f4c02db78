import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerRun, harnessBackend, type ContainerSpec } from './container.js';
import { forgetOrphan, reapIfOrphaned } from './reaper.js';
import { waitFor } from './wait-for.js';

export type Signal = 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' | 'SIGTERM' | 'SIGINT';

export interface ProcessSpec {
  /** Short label, also the stem of the log file names. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** Directory that receives `<name>.stdout.log` and `<name>.stderr.log`. */
  logDir: string;
  env?: NodeJS.ProcessEnv;
  /** How to run it in a container instead (HARNESS_BACKEND=containers); a host process otherwise. */
  container?: ContainerSpec;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started process: a spawned child or a container. */
interface Launch {
  readonly pid: number | undefined;
  readonly exit: Promise<ExitStatus>;
  kill(signal: Signal): void;
}

/** Every process any harness started in this worker, for the last-resort exit hook. */
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Runs even when a test run is torn down without afterAll (uncaught error, process.exit).
  process.on('exit', () => {
    for (const p of live) p.killNow();
  });
}

/**
 * A child process with its output captured to files. It can be signalled by
 * PID (SIGSTOP/SIGCONT/SIGKILL) and started again with the same command line,
 * which is how a crashed daemon is restarted from its own config file.
 */
export class ManagedProcess {
  readonly stdoutPath: string;
  readonly stderrPath: string;
  private child: Launch | undefined;
  private exitStatus: ExitStatus | undefined;
  private exitPromise: Promise<ExitStatus> = Promise.resolve({ code: null, signal: null });
  /** Log sizes when the current run started, so log searches can skip earlier runs. */
  private runStart = { stdout: 0, stderr: 0 };
  private generation = 0;

  constructor(readonly spec: ProcessSpec) {
    this.stdoutPath = join(spec.logDir, `${spec.name}.stdout.log`);
    this.stderrPath = join(spec.logDir, `${spec.name}.stderr.log`);
  }

  /**
   * Spawns the process (or, when the spec says how and HARNESS_BACKEND is `containers`,
   * starts its container); a previous run must have exited.
   */
  start(): this {
    if (this.running) throw new Error(`${this.spec.name} is already running (pid ${this.child?.pid})`);
    installExitHook();
    this.runStart = { stdout: fileSize(this.stdoutPath), stderr: fileSize(this.stderrPath) };
    const inContainer = this.spec.container !== undefined && harnessBackend() === 'containers';
    const launch = inContainer ? this.startContainer() : this.spawnChild();
    this.child = launch;
    this.generation++;
    this.exitStatus = undefined;
    this.exitPromise = launch.exit.then((status) => {
      this.exitStatus = status;
      live.delete(this);
      return status;
    });
    live.add(this);
    return this;
  }

  private spawnChild(): Launch {
    const out = openSync(this.stdoutPath, 'a');
    const err = openSync(this.stderrPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env ?? process.env,
        stdio: ['ignore', out, err],
      });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const pid = child.pid;
    if (pid !== undefined) reapIfOrphaned('pid', String(pid));
    const exit = new Promise<ExitStatus>((resolve) => {
      const exited = (status: ExitStatus) => {
        if (pid !== undefined) forgetOrphan('pid', String(pid));
        resolve(status);
      };
      child.once('exit', (code, signal) => exited({ code, signal }));
      child.once('error', () => exited({ code: null, signal: null }));
    });
    return {
      pid,
      exit,
      kill: (signal) => {
        if (pid !== undefined) process.kill(pid, signal);
      },
    };
  }

  private startContainer(): Launch {
    // The files exist before the container appends to them, as they do for a spawned child.
    closeSync(openSync(this.stdoutPath, 'a'));
    closeSync(openSync(this.stderrPath, 'a'));
    const spec = this.spec.container;
    if (spec === undefined) throw new Error(`${this.spec.name} has no container spec`);
    return new ContainerRun(this.spec.name, spec, this.spec.cwd, this.spec.env, this.stderrPath, this.stdoutPath);
  }

  /** The PID on this host (for a container, its PID 1 as the host sees it, once it has started). */
  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`${this.spec.name} has no pid (spawn failed, not started yet, or never started)`);
    return pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitStatus === undefined;
  }

  /** How many times the process was started. */
  get runs(): number {
    return this.generation;
  }

  get exited(): ExitStatus | undefined {
    return this.exitStatus;
  }

  kill(signal: Signal): void {
    if (!this.running || this.child === undefined) throw new Error(`cannot send ${signal} to ${this.spec.name}: it is not running`);
    this.child.kill(signal);
  }

  async waitForExit(timeoutMs = 5000): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.spec.name} (pid ${this.child?.pid}) did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL (works on a stopped process too) and wait until it is gone. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.killNow();
    // A container is removed before it counts as exited, and may still be starting.
    await this.waitForExit(this.child instanceof ContainerRun ? 30_000 : 5000);
  }

  /** Kill (if needed), then start again with the same command line and config. */
  async restart(): Promise<this> {
    await this.stop();
    return this.start();
  }

  /** Synchronous SIGKILL by PID, usable from an 'exit' handler. */
  killNow(): void {
    if (!this.running || this.child === undefined) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // Already gone: nothing to clean up.
    }
  }

  /** stdout then stderr of the current run (or of every run with `allRuns`). */
  log(opts: { allRuns?: boolean } = {}): string {
    const from = opts.allRuns ? { stdout: 0, stderr: 0 } : this.runStart;
    return readFrom(this.stdoutPath, from.stdout) + readFrom(this.stderrPath, from.stderr);
  }

  /** Waits for a line of the current run's output that matches `pattern`. */
  async waitForLog(pattern: RegExp, opts: { timeoutMs?: number; description?: string } = {}): Promise<RegExpMatchArray> {
    const lineMatch = (): RegExpMatchArray | undefined => {
      for (const line of this.log().split('\n')) {
        const m = line.match(pattern);
        if (m) return m;
      }
      return undefined;
    };
    return waitFor(lineMatch, {
      timeoutMs: opts.timeoutMs ?? 5000,
      intervalMs: 50,
      description: opts.description ?? `a line matching ${pattern} in the log of ${this.spec.name}`,
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n--- ${this.spec.name} log tail ---\n${this.logTail(20)}`);
    }) as Promise<RegExpMatchArray>;
  }

  /** The last lines of output, across runs, for failure reports. */
  logTail(lines: number): string {
    return this.log({ allRuns: true }).trimEnd().split('\n').slice(-lines).join('\n');
  }
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function readFrom(path: string, offset: number): string {
  if (!existsSync(path)) return '';
  return readFileSync(path).subarray(offset).toString('utf8');
}

/** Whether a process with this PID exists (signal 0 checks without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A field of /proc/<pid>/status as Linux writes it ("0-1", "45176 kB"). */
export function procStatusField(pid: number, field: string): string {
  const value = new RegExp(`^${field}:\\s*(.+)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (value === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return value.trim();
}

/** Resident memory of `pid`, in bytes. */
export function residentBytes(pid: number): number {
  return Number(procStatusField(pid, 'VmRSS').split(/\s+/)[0]) * 1024;
}
