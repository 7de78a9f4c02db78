import type { Timings } from './timing.js';

/** notification-script and client-reconfig-script jobs, queued, retried and timed out as Redis does (§10). */

export const SCRIPT_MAX_QUEUE = 256;
export const SCRIPT_MAX_RUNNING = 16;
export const SCRIPT_MAX_RETRY = 10;

export interface ScriptJob {
  id: number;
  argv: string[];
  running: boolean;
  pid: number;
  /** When it started, or when a retry becomes allowed. */
  startTime: number;
  retryNum: number;
}

export type ScriptAction =
  | { kind: 'run-script'; job: number; argv: string[] }
  | { kind: 'kill-script'; pid: number };

export interface ScriptReport {
  level: 'warning' | 'debug';
  type: string;
  message: string;
}

export class ScriptQueue {
  readonly jobs: ScriptJob[] = [];
  private nextId = 1;

  get running(): number {
    return this.jobs.filter((j) => j.running).length;
  }

  add(argv: string[]): void {
    this.jobs.push({ id: this.nextId++, argv, running: false, pid: 0, startTime: 0, retryNum: 0 });
    if (this.jobs.length > SCRIPT_MAX_QUEUE) {
      const oldestIdle = this.jobs.findIndex((j) => !j.running);
      if (oldestIdle >= 0) this.jobs.splice(oldestIdle, 1);
    }
  }

  /** Jobs to start now, oldest first, while fewer than 16 run. */
  startPending(now: number): ScriptAction[] {
    const out: ScriptAction[] = [];
    let running = this.running;
    for (const job of this.jobs) {
      if (running >= SCRIPT_MAX_RUNNING) break;
      if (job.running || (job.startTime !== 0 && job.startTime > now)) continue;
      job.running = true;
      job.startTime = now;
      job.retryNum++;
      running++;
      out.push({ kind: 'run-script', job: job.id, argv: job.argv });
    }
    return out;
  }

  started(jobId: number, pid: number): ScriptReport | null {
    const job = this.jobs.find((j) => j.id === jobId);
    if (!job) return null;
    job.pid = pid;
    return { level: 'debug', type: '+script-child', message: String(pid) };
  }

  /** The process could not be created at all; it stays queued for the next tick. */
  forkFailed(jobId: number): ScriptReport | null {
    const job = this.jobs.find((j) => j.id === jobId);
    if (!job) return null;
    job.running = false;
    job.startTime = 0;
    return { level: 'warning', type: '-script-error', message: `${job.argv[0]} 99 0` };
  }

  /** A script ended with an exit code or was killed by a signal (0 when none). */
  exited(pid: number, exitCode: number, signal: number, now: number, timings: Timings): ScriptReport[] {
    const reports: ScriptReport[] = [{ level: 'debug', type: '-script-child', message: `${pid} ${exitCode} ${signal}` }];
    const index = this.jobs.findIndex((j) => j.running && j.pid === pid);
    if (index < 0) {
      reports.push({ level: 'warning', type: '', message: `waitpid() returned a pid (${pid}) we can't find in our scripts execution queue!` });
      return reports;
    }
    const job = this.jobs[index];
    if ((signal !== 0 || exitCode === 1) && job.retryNum !== SCRIPT_MAX_RETRY) {
      job.running = false;
      job.pid = 0;
      job.startTime = now + timings.scriptRetryDelay * 2 ** (job.retryNum - 1);
      return reports;
    }
    if (exitCode !== 0 || signal !== 0) {
      reports.push({ level: 'warning', type: '-script-error', message: `${job.argv[0]} ${signal} ${exitCode}` });
    }
    this.jobs.splice(index, 1);
    return reports;
  }

  /** Scripts running longer than script-max-runtime are killed with SIGKILL. */
  killTimedOut(now: number, timings: Timings): { actions: ScriptAction[]; reports: ScriptReport[] } {
    const actions: ScriptAction[] = [];
    const reports: ScriptReport[] = [];
    for (const job of this.jobs) {
      if (job.running && job.pid !== 0 && now - job.startTime > timings.scriptMaxRuntime) {
        reports.push({ level: 'warning', type: '-script-timeout', message: `${job.argv[0]} ${job.pid}` });
        actions.push({ kind: 'kill-script', pid: job.pid });
      }
    }
    return { actions, reports };
  }
}
