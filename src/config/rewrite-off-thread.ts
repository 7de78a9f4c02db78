import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { SentinelConfig } from './model.js';
import { rewriteConfig, rewriteStateFile, type RewriteDefaults } from './rewrite.js';
import type { ServerOptions } from './server-options.js';

/**
 * Renders the rewritten config text. A rewrite is pure CPU work, proportional to the
 * number of masters: measured 30-110 ms with 2,000 masters, which would stall every
 * client and link. Small configs are rendered in place (no thread costs memory for
 * them); from BIG_CONFIG_MASTERS masters on, or once an in-place rendering took longer
 * than SLOW_RENDER_MS, they are rendered in a worker thread and the event loop only
 * copies the config over.
 */

const BIG_CONFIG_MASTERS = 500;
const SLOW_RENDER_MS = 5;
const WORKER_ROLE = 'sentinel-config-rewrite';

interface RenderRequest {
  id: number;
  oldText: string | null;
  /** null renders the state file (Beyond Redis: `sentinel state-file`), which holds no server option. */
  server: ServerOptions | null;
  sentinel: SentinelConfig;
  defaults: RewriteDefaults;
}

type RenderResult = { id: number; text: string } | { id: number; error: string };

export class ConfigRenderer {
  private worker: Worker | null = null;
  private slow = false;
  /** The first rendering runs cold code: its time says little about the next ones. */
  private warm = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void }>();

  render(oldText: string | null, server: ServerOptions | null, sentinel: SentinelConfig, defaults: RewriteDefaults): Promise<string> {
    if (!this.slow && sentinel.masters.length < BIG_CONFIG_MASTERS) {
      const started = performance.now();
      const text = renderFile(oldText, server, sentinel, defaults);
      this.slow = this.warm && performance.now() - started > SLOW_RENDER_MS;
      this.warm = true;
      return Promise.resolve(text);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.thread().postMessage({ id, oldText, server, sentinel, defaults } satisfies RenderRequest);
    });
  }

  /** Ends the thread (at shutdown); renderings still waiting fail. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL(import.meta.url), { workerData: WORKER_ROLE });
    // The thread must not keep the process alive on its own.
    w.unref();
    w.on('message', (r: RenderResult) => {
      const waiter = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      if (!waiter) return;
      if ('text' in r) waiter.resolve(r.text);
      else waiter.reject(new Error(r.error));
    });
    const failAll = (e: Error) => {
      if (this.worker === w) this.worker = null;
      for (const { reject } of this.waiting.values()) reject(e);
      this.waiting.clear();
    };
    w.on('error', failAll);
    w.on('exit', () => failAll(new Error('the config rewrite thread exited')));
    this.worker = w;
    return w;
  }
}

function renderFile(oldText: string | null, server: ServerOptions | null, sentinel: SentinelConfig, defaults: RewriteDefaults): string {
  return server === null ? rewriteStateFile(oldText, sentinel, defaults) : rewriteConfig(oldText, server, sentinel, defaults);
}

if (!isMainThread && workerData === WORKER_ROLE && parentPort) {
  const port = parentPort;
  port.on('message', (req: RenderRequest) => {
    try {
      port.postMessage({ id: req.id, text: renderFile(req.oldText, req.server, req.sentinel, req.defaults) } satisfies RenderResult);
    } catch (e) {
      port.postMessage({ id: req.id, error: e instanceof Error ? e.message : String(e) } satisfies RenderResult);
    }
  });
}
