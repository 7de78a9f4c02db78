/**
 * A synchronous getaddrinfo, for the few places where Redis blocks on DNS and a
 * client sees the answer at once (SENTINEL MONITOR with a hostname). Node has no
 * synchronous lookup, so a worker thread does dns.lookup while this thread waits
 * on shared memory (Atomics.wait), bounded by a timeout.
 */
import { Worker } from 'node:worker_threads';

/** The address; null when the name does not exist; undefined when no answer came (timeout, transient failure). */
export type BlockingLookupFn = (host: string, timeoutMs: number) => string | null | undefined;

const FOUND = 1;
const NO_SUCH_NAME = 2;
const FAILED = 3;
/** The longest textual IPv6 address, with room to spare. */
const RESULT_BYTES = 64;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const dns = require('node:dns');
parentPort.on('message', ({ host, state, result }) => {
  const view = new Int32Array(state);
  dns.lookup(host, { verbatim: true }, (err, address) => {
    let status = ${FOUND};
    if (err) {
      status = err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? ${NO_SUCH_NAME} : ${FAILED};
    } else {
      const bytes = Buffer.from(address, 'latin1');
      new Uint8Array(result).set(bytes.subarray(0, ${RESULT_BYTES}));
      view[1] = Math.min(bytes.length, ${RESULT_BYTES});
    }
    Atomics.store(view, 0, status);
    Atomics.notify(view, 0);
  });
});
`;

export class BlockingLookup {
  private worker: Worker | null = null;
  private broken = false;

  readonly lookup: BlockingLookupFn = (host, timeoutMs) => {
    const worker = this.ensureWorker();
    if (worker === null) return undefined;
    const state = new SharedArrayBuffer(8);
    const result = new SharedArrayBuffer(RESULT_BYTES);
    worker.postMessage({ host, state, result });
    const view = new Int32Array(state);
    if (Atomics.wait(view, 0, 0, timeoutMs) === 'timed-out') return undefined;
    const status = Atomics.load(view, 0);
    if (status === NO_SUCH_NAME) return null;
    if (status !== FOUND) return undefined;
    return Buffer.from(new Uint8Array(result, 0, view[1])).toString('latin1');
  };

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }

  private ensureWorker(): Worker | null {
    if (this.worker !== null || this.broken) return this.worker;
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      // Never keeps the daemon alive.
      worker.unref();
      worker.on('error', () => {
        this.broken = true;
        this.worker = null;
      });
      this.worker = worker;
    } catch {
      this.broken = true;
    }
    return this.worker;
  }
}
