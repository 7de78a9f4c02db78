import { execFile, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pipeSockets, type Pipe, type PipeBytes } from './pipe.js';

export type ToWorker = { kind: 'client' | 'server' | 'cut'; id: number };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'ended'; id: number; toServer: number; toClient: number }
  /** [session id, bytes to the server, bytes to the client] since the last report. */
  | { kind: 'bytes'; counts: Array<[number, number, number]> };

const WORKER_SCRIPT = fileURLToPath(new URL('./pipe-worker.js', import.meta.url));

/** Workers that exit before they are ready, in a row, after which none is started again. */
const FAILED_STARTS = 3;

interface Handed {
  bytes: PipeBytes;
  ended: () => void;
  /** Cut by the sentinel: already ended for it, kept until the worker's last byte count. */
  cut: boolean;
}

/** The CPUs this process may run on (Linux's Cpus_allowed_list), or none if it cannot say. */
function allowedCpus(): number[] {
  try {
    const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    return list.split(',').flatMap((range) => {
      const [first, last = first] = range.split('-').map(Number);
      return Array.from({ length: last - first + 1 }, (_, i) => first + i);
    });
  } catch {
    return [];
  }
}

class Worker {
  readonly child: ChildProcess;
  readonly sessions = new Map<number, Handed>();
  /** Settles once it can take sessions, or once it has exited (its channel then is closed). */
  readonly ready: Promise<void>;
  started = false;

  constructor(
    readonly slot: number,
    script: string,
    onExit: (w: Worker) => void,
  ) {
    this.child = fork(script, [], { execArgv: [], serialization: 'json', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve) => {
      this.child.on('exit', () => resolve());
      this.child.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') {
          this.started = true;
          resolve();
        } else if (m.kind === 'ended') {
          this.count(m.id, m.toServer, m.toClient);
          this.end(m.id);
        } else for (const [id, toServer, toClient] of m.counts) this.count(id, toServer, toClient);
      });
    });
    this.child.on('exit', () => {
      for (const id of [...this.sessions.keys()]) this.end(id);
      onExit(this);
    });
    // Its channel closes when it dies; 'exit' reports that.
    this.child.on('error', () => undefined);
  }

  get load(): number {
    return this.sessions.size;
  }

  end(id: number): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.sessions.delete(id);
    if (!s.cut) s.ended();
  }

  private count(id: number, toServer: number, toClient: number): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    s.bytes.toServer += toServer;
    s.bytes.toClient += toClient;
  }
}

/**
 * Beyond Redis: the proxies' worker processes, one per CPU as HAProxy starts a thread per CPU,
 * each kept on its own CPU. A session whose two sockets are connected is handed to the worker
 * with the fewest sessions (both file descriptors pass over its IPC channel); the sentinel keeps
 * the session's record, to cut it when its node stops being the route.
 */
export class PipeWorkers {
  private readonly workers: Worker[] = [];
  private readonly cpus = allowedCpus();
  private nextId = 0;
  private closing = false;
  private failedStarts = 0;

  constructor(
    private readonly count: number,
    private readonly log: (level: 'verbose' | 'warning', message: string) => void,
    private readonly script = WORKER_SCRIPT,
  ) {}

  start(): void {
    for (let slot = 0; slot < this.count; slot++) this.spawn(slot);
  }

  /**
   * Hands a connected pair to a worker, or pipes it in this process if no worker can run;
   * `ended` is called once the session is over (or cut).
   */
  hand(client: Socket, server: Socket, bytes: PipeBytes, ended: () => void): Pipe {
    if (this.workers.length === 0) return pipeSockets(client, server, bytes, ended);
    const worker = this.workers.reduce((a, b) => (b.load < a.load ? b : a));
    const id = ++this.nextId;
    const record: Handed = { bytes, ended, cut: false };
    worker.sessions.set(id, record);
    const release = () => {
      client.destroy();
      server.destroy();
      if (worker.child.connected) worker.child.send({ kind: 'cut', id } satisfies ToWorker);
    };
    const lost = () => {
      worker.end(id);
      release();
    };
    void worker.ready.then(() => {
      if (record.cut || !worker.child.connected) return lost();
      // The bare TCP handles go, so that the worker makes its sockets as it wants them; this
      // process's copies are closed once sent (the connections live on in the worker).
      for (const [kind, socket] of [['client', client], ['server', server]] as const) {
        const handle = (socket as unknown as { _handle: object | null })._handle;
        if (handle === null) return lost();
        worker.child.send({ kind, id } satisfies ToWorker, handle as Socket, (e) => (e ? lost() : socket.destroy()));
      }
    });
    return {
      cut: () => {
        if (record.cut || !worker.sessions.has(id)) return;
        record.cut = true;
        ended();
        release();
      },
    };
  }

  close(): void {
    this.closing = true;
    for (const w of this.workers) if (w.child.connected) w.child.disconnect();
  }

  private spawn(slot: number): void {
    const worker = new Worker(slot, this.script, (w) => {
      this.workers.splice(this.workers.indexOf(w), 1);
      if (this.closing) return;
      // One that cannot even start (a Node without what it needs, no memory for a process) is
      // not started again and again: past a few in a row, sessions stay in this process.
      this.failedStarts = w.started ? 0 : this.failedStarts + 1;
      if (this.failedStarts >= FAILED_STARTS) {
        if (this.workers.length === 0) this.log('warning', `Proxy workers exit before they are ready (${this.failedStarts} in a row); piping sessions in this process`);
        return;
      }
      this.log('warning', `Proxy worker ${w.child.pid} exited, its sessions with it; starting another`);
      this.spawn(w.slot);
    });
    this.workers.push(worker);
    this.pin(worker);
  }

  /**
   * Kept on a CPU each, the workers answer sooner than when the scheduler moves them around: at
   * redis-benchmark -P 1 beside HAProxy, a p99 about HAProxy's instead of 1.15 times it, and 8%
   * more requests per second.
   */
  private pin(worker: Worker): void {
    if (this.cpus.length < 2 || worker.child.pid === undefined) return;
    const cpu = this.cpus[worker.slot % this.cpus.length];
    execFile('taskset', ['-p', '-c', String(cpu), String(worker.child.pid)], (error) => {
      if (error) this.log('verbose', `Proxy worker ${worker.child.pid} not kept on CPU ${cpu}: ${error.message.split('\n')[0]}`);
    });
  }
}
