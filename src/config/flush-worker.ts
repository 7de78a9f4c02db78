/**
 * The config flush, off the daemon's event loop: a worker thread that reads
 * the current file, renders the rewrite and replaces the file atomically
 * (temp file, fsync, rename, directory fsync). One job at a time, in order.
 */
import { parentPort } from 'node:worker_threads';
import { flushConfigFile } from './atomic-write.js';
import type { SentinelConfig } from './model.js';
import { rewriteConfig, type RewriteDefaults } from './rewrite.js';
import type { ServerOptions } from './server-options.js';
import { strerror } from './strerror.js';

export interface FlushJob {
  id: number;
  path: string;
  server: ServerOptions;
  sentinel: SentinelConfig;
  defaults: RewriteDefaults;
  /** The daemon's umask (the new file gets 0644 & ~umask, as Redis gives it). */
  umask: number;
}

export interface FlushOutcome {
  id: number;
  /** null when the file is on disk, else the strerror text Redis would log. */
  error: string | null;
}

export function runFlushJob(job: FlushJob): FlushOutcome {
  try {
    flushConfigFile(job.path, (old) => rewriteConfig(old, job.server, job.sentinel, job.defaults), { umask: job.umask });
    return { id: job.id, error: null };
  } catch (e) {
    return { id: job.id, error: e instanceof Error ? e.message : strerror(e) };
  }
}

/** The thread's first message: it has loaded and takes jobs. */
export const WORKER_READY = 'ready';

parentPort?.on('message', (job: FlushJob) => parentPort?.postMessage(runFlushJob(job)));
parentPort?.postMessage(WORKER_READY);
