/**
 * Asks sentinels `SENTINEL GET-MASTER-ADDR-BY-NAME` every few milliseconds,
 * one request at a time on its own connection per sentinel (no pipelining),
 * and records how long each answer took. The probe runs in a worker thread
 * so that the test's own work (events, harness polling) cannot delay it; the
 * worker also records how late its own timers fire, so a slow probe shows.
 */
import { Worker } from 'node:worker_threads';
import { percentile } from './stats.js';

export interface AnswerSample {
  /** Date.now() when the request was sent. */
  at: number;
  latencyMs: number;
  /** The port in the answer, null for a nil reply or an error. */
  answer: string | null;
}

export interface ProbeResult {
  /** Samples per probed port, in the order they were taken. */
  samples: Map<number, AnswerSample[]>;
  /** How late the probe's own timers fired, ms, one entry per request sent. */
  probeLagMs: number[];
}

/** Runs in the worker: plain JavaScript, no imports beyond node's. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { performance } = require('node:perf_hooks');
const { ports, masterName, intervalMs } = workerData;
const enc = (args) => Buffer.from('*' + args.length + '\\r\\n' + args.map((a) => '$' + Buffer.byteLength(a) + '\\r\\n' + a + '\\r\\n').join(''));
const request = enc(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]);
let running = true;
const samples = {};
const lag = [];
let pending = ports.length;

/** One complete reply in buf: [answer port or null, bytes used], or null while incomplete. */
function parse(buf) {
  const eol = buf.indexOf('\\r\\n');
  if (eol < 0) return null;
  const head = buf.slice(0, eol);
  if (head[0] !== '*') return [null, eol + 2];
  const n = Number(head.slice(1));
  if (n < 0) return [null, eol + 2];
  let pos = eol + 2;
  const items = [];
  for (let i = 0; i < n; i++) {
    const e1 = buf.indexOf('\\r\\n', pos);
    if (e1 < 0) return null;
    const len = Number(buf.slice(pos + 1, e1));
    if (buf.length < e1 + 2 + len + 2) return null;
    items.push(buf.slice(e1 + 2, e1 + 2 + len));
    pos = e1 + 2 + len + 2;
  }
  return [items[1] ?? null, pos];
}

for (const port of ports) {
  const list = (samples[port] = []);
  const sock = net.connect({ host: '127.0.0.1', port, noDelay: true });
  let buf = '';
  let sentAt = 0;
  let sentWall = 0;
  let due = 0;
  const send = () => {
    if (!running) {
      sock.destroy();
      if (--pending === 0) parentPort.postMessage({ samples, lag });
      return;
    }
    const now = performance.now();
    if (due) lag.push(now - due);
    sentAt = now;
    sentWall = Date.now();
    sock.write(request);
  };
  sock.on('data', (chunk) => {
    buf += chunk.toString('latin1');
    const r = parse(buf);
    if (!r) return;
    const latencyMs = performance.now() - sentAt;
    buf = buf.slice(r[1]);
    list.push({ at: sentWall, latencyMs, answer: r[0] });
    due = performance.now() + intervalMs;
    setTimeout(send, intervalMs);
  });
  sock.on('error', (e) => parentPort.postMessage({ error: port + ': ' + e.message }));
  sock.once('connect', send);
}
parentPort.on('message', (m) => { if (m === 'stop') running = false; });
`;

export class AnswerProbe {
  private readonly worker: Worker;
  private readonly done: Promise<ProbeResult>;

  private constructor(ports: number[], masterName: string, intervalMs: number) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ports, masterName, intervalMs } });
    this.done = new Promise((resolve, reject) => {
      this.worker.on('message', (m: { error?: string; samples?: Record<string, AnswerSample[]>; lag?: number[] }) => {
        if (m.error) reject(new Error(`answer probe: ${m.error}`));
        else if (m.samples && m.lag) {
          resolve({ samples: new Map(Object.entries(m.samples).map(([p, s]) => [Number(p), s])), probeLagMs: m.lag });
        }
      });
      this.worker.on('error', reject);
    });
    // Surfaced by stop(); keeps an early failure from being an unhandled rejection.
    this.done.catch(() => {});
  }

  /** Starts asking every `intervalMs` ms on each port. */
  static start(ports: number[], masterName: string, intervalMs = 2): AnswerProbe {
    return new AnswerProbe(ports, masterName, intervalMs);
  }

  async stop(): Promise<ProbeResult> {
    this.worker.postMessage('stop');
    try {
      return await this.done;
    } finally {
      await this.worker.terminate();
    }
  }
}

export interface LatencyFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Date.now() of the slowest request. */
  maxAt: number;
}

export function latencyFigures(samples: readonly AnswerSample[]): LatencyFigures {
  const latencies = samples.map((s) => s.latencyMs);
  let maxAt = 0;
  let max = -Infinity;
  for (const s of samples) {
    if (s.latencyMs > max) {
      max = s.latencyMs;
      maxAt = s.at;
    }
  }
  return { count: samples.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max, maxAt };
}

export function showFigures(f: Pick<LatencyFigures, 'p50' | 'p99' | 'max'>): string {
  return `p50 ${f.p50.toFixed(2)} / p99 ${f.p99.toFixed(2)} / max ${f.max.toFixed(2)} ms`;
}
