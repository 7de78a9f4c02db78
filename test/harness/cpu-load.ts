import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ManagedProcess } from './process.js';
import { makeTempDir, removeDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/**
 * Busy-loop child processes that keep every core contended, to measure what a
 * loaded machine does to timing-sensitive behaviour (elections, failure
 * detection). Each loop is a ManagedProcess: registered with the reaper by
 * PID and killed by the process-exit hook, so none outlives the test worker.
 */

/** Pure CPU, no allocation, no output: the smallest program that never yields. */
const BUSY_LOOP = 'for (;;) {}';

export interface CpuLoadOptions {
  /** How many loops; `perCore × cores` unless told. */
  processes?: number;
  /** Loops per core (os.availableParallelism()); 2 unless told. */
  perCore?: number;
  /** Label of the temp dir that holds their (empty) logs. */
  label?: string;
}

export interface CpuLoad {
  readonly pids: readonly number[];
  /** Cores seen by this process when the load started. */
  readonly cores: number;
  /** SIGKILL every loop by PID, wait until they are gone, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the loops and returns once each has been seen burning CPU (on Linux,
 * from /proc/<pid>/stat; elsewhere once each is running).
 */
export async function startCpuLoad(opts: CpuLoadOptions = {}): Promise<CpuLoad> {
  const cores = availableParallelism();
  const count = opts.processes ?? (opts.perCore ?? 2) * cores;
  const dir = makeTempDir(opts.label ?? 'cpu-load');
  const loops: ManagedProcess[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled(loops.map((p) => p.stop()));
    removeDir(dir);
  };
  try {
    for (let i = 0; i < count; i++) {
      loops.push(
        new ManagedProcess({
          name: `busy${i + 1}`,
          command: process.execPath,
          args: ['-e', BUSY_LOOP],
          cwd: dir,
          logDir: dir,
          // Nothing of the test runner's environment (NODE_OPTIONS, loaders) is needed to spin.
          env: { PATH: process.env.PATH ?? '' },
        }).start(),
      );
    }
    await waitFor(() => loops.every((p) => p.running && cpuTicks(p.pid) !== 0), {
      timeoutMs: 5000,
      intervalMs: 20,
      description: `${count} busy loops to be running and using CPU`,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { pids: loops.map((p) => p.pid), cores, stop };
}

/** Runs `body` with the load on, and always stops the load afterwards. */
export async function withCpuLoad<T>(opts: CpuLoadOptions, body: (load: CpuLoad) => Promise<T>): Promise<T> {
  const load = await startCpuLoad(opts);
  try {
    return await body(load);
  } finally {
    await load.stop();
  }
}

/** utime + stime of a process in clock ticks, or undefined where /proc is not available. */
export function cpuTicks(pid: number): number | undefined {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  // The command name (field 2) may contain spaces; the fields after it are counted from its closing parenthesis.
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the man page (utime, stime) are at 11 and 12 after the command name.
  return Number(fields[11]) + Number(fields[12]);
}
