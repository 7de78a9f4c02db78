/**
 * The daemon's own cost per request, without the kernel: a Daemon built from a
 * one-master config (not started: no listener, no links, no timer) gets a
 * connection on a stand-in socket, and is fed requests one read at a time; each
 * read's reply is taken from the stand-in's write(). Run after `npm run build`:
 *
 *   node --expose-gc dist/test/bench/request-path.js [requests]
 *
 * Prints microseconds per request for a few commands, and how much the heap
 * grew per request (what the garbage collector must take back).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { parseConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import type { Logger } from '../../src/events/log.js';

class StandInSocket extends EventEmitter {
  remoteAddress = '127.0.0.1';
  remotePort = 50000;
  localAddress = '127.0.0.1';
  localPort = 26379;
  writableLength = 0;
  destroyed = false;
  written = 0;
  lastWrite: Buffer | string | null = null;
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  write(bytes: Buffer | string): boolean {
    this.written++;
    this.lastWrite = bytes;
    return true;
  }
  paused = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

const silent: Logger = {
  log: () => {},
  signalHandler: () => {},
  setLevel: () => {},
  level: () => 'notice',
  close: () => Promise.resolve(),
};

function command(...args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200_000);
  const config = parseConfig(
    ['port 26379', 'sentinel myid 0123456789abcdef0123456789abcdef01234567', 'sentinel monitor mymaster 127.0.0.1 6379 2',
      'sentinel known-replica mymaster 127.0.0.1 6380',
      'sentinel known-sentinel mymaster 127.0.0.1 26380 89abcdef0123456789abcdef0123456789abcdef',
      // More masters (env REQUEST_PATH_MASTERS, total), for SENTINEL MASTERS at scale.
      ...Array.from({ length: Number(process.env.REQUEST_PATH_MASTERS ?? 1) - 1 }, (_, i) => `sentinel monitor master${i} 127.0.0.1 ${7000 + i} 2`),
    ].join('\n'),
  );
  const daemon = new Daemon({ config, configPath: '/nonexistent/sentinel.conf', logger: silent, executable: '/usr/bin/sentinel' });
  const server = (daemon as unknown as { server: { core: { accept(s: Socket): void } } }).server.core;
  const socket = new StandInSocket();
  server.accept(socket as unknown as Socket);

  const all: Array<[string, Buffer]> = [
    ['PING', command('PING')],
    ['SENTINEL GET-MASTER-ADDR-BY-NAME', command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')],
    ['SENTINEL MASTER', command('SENTINEL', 'MASTER', 'mymaster')],
    ['SENTINEL MASTERS', command('SENTINEL', 'MASTERS')],
    ['SENTINEL REPLICAS', command('SENTINEL', 'REPLICAS', 'mymaster')],
    ['SENTINEL SENTINELS', command('SENTINEL', 'SENTINELS', 'mymaster')],
    ['INFO', command('INFO')],
  ];
  // Optional: a case-insensitive filter on the labels (env REQUEST_PATH_ONLY), and requests per read (env REQUEST_PATH_PIPELINE).
  const only = process.env.REQUEST_PATH_ONLY?.toLowerCase();
  const pipeline = Number(process.env.REQUEST_PATH_PIPELINE ?? 1);
  const cases = all
    .filter(([label]) => only === undefined || label.toLowerCase().includes(only))
    .map(([label, request]): [string, Buffer] => [label, Buffer.concat(Array.from({ length: pipeline }, () => request))]);
  for (const [label, request] of cases) {
    for (let round = 0; round < 3; round++) {
      const before = socket.written;
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        socket.emit('data', request);
        // A reply that waits for a microtask goes out here, as it would after a real read.
        await null;
        // A long pipeline is served in slices: the rest waits for the next turn of the event loop.
        while (socket.paused) await new Promise((resolve) => setImmediate(resolve));
      }
      const ns = Number(process.hrtime.bigint() - started) / n / pipeline;
      // Allocation: a few requests between two collections (needs --expose-gc).
      const gc = (globalThis as { gc?: () => void }).gc;
      let heapPer = NaN;
      if (gc) {
        const few = 2000;
        gc();
        const heapBefore = process.memoryUsage().heapUsed;
        for (let i = 0; i < few; i++) {
          socket.emit('data', request);
          await null;
          while (socket.paused) await new Promise((resolve) => setImmediate(resolve));
        }
        heapPer = (process.memoryUsage().heapUsed - heapBefore) / few / pipeline;
      }
      if (socket.written - before < n) throw new Error(`${label}: ${socket.written - before} replies for ${n} requests`);
      process.stdout.write(`${label}: ${(ns / 1000).toFixed(2)} us/request, allocates ${heapPer.toFixed(0)} B/request (reply ${JSON.stringify(socket.lastWrite?.slice(0, 60).toString())}${(socket.lastWrite?.length ?? 0) > 60 ? '...' : ''})\n`);
    }
  }
  process.exit(0);
}

void main();
