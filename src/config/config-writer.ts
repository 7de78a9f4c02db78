import { Worker } from 'node:worker_threads';
import { runFlushJob, WORKER_READY, type FlushJob, type FlushOutcome } from './flush-worker.js';

/**
 * Config flushes for the daemon, done by a worker thread (flush-worker.ts) so
 * that neither the rewrite nor the disk (fsync can take long under load) ever
 * holds up the event loop. Jobs run one at a time, in order; a worker that dies
 * fails its job and is replaced for the next one. Until the thread has loaded
 * (tens of ms idle, far longer on a loaded machine) a job is done at once on the
 * caller's thread, as before there was a thread: at start-up the first flush
 * (a new myid) would otherwise hold back the first connections.
 */
export class ConfigWriter {
  private worker: Worker | null = null;
  private workerReady = false;
  private nextId = 1;
  private readonly pending = new Map<number, (error: string | null) => void>();

  constructor(private readonly workerUrl: URL = new URL('./flush-worker.js', import.meta.url)) {}

  /** Starts the worker ahead of the first flush. */
  start(): void {
    this.ensureWorker();
  }

  write(job: Omit<FlushJob, 'id'>, done: (error: string | null) => void): void {
    const id = this.nextId++;
    if (!this.workerReady && this.pending.size === 0) {
      this.ensureWorker();
      done(runFlushJob({ ...job, id }).error);
      return;
    }
    this.pending.set(id, done);
    try {
      this.ensureWorker().postMessage({ ...job, id } satisfies FlushJob);
    } catch (e) {
      this.pending.delete(id);
      done(e instanceof Error ? e.message : String(e));
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.workerUrl);
    w.unref();
    w.on('message', (m: FlushOutcome | typeof WORKER_READY) => {
      if (m === WORKER_READY) {
        this.workerReady = this.worker === w;
        return;
      }
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m.error);
    });
    const fail = (reason: string) => {
      if (this.worker === w) {
        this.worker = null;
        this.workerReady = false;
      }
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const done of waiting) done(reason);
    };
    w.on('error', (e) => fail(e.message));
    w.on('exit', (code) => fail(`config writer exited with status ${code}`));
    this.worker = w;
    return w;
  }
}
