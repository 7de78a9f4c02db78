/**
 * Beyond Redis: `sentinel demo` (and `npm run demo`). A local topology on free ports, to try the
 * daemon in a minute: a master and two replicas (redis-server from PATH), three of our sentinels
 * monitoring it, the first one with the HTTP listener and its status page. Ctrl-C (or SIGTERM)
 * stops every process and removes the demo's directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MASTER_NAME = 'mymaster';
const START_TIMEOUT_MS = 15_000;

export interface DemoOptions {
  /** Where redis-server is; `redis-server` from PATH by default. */
  redisServer?: string;
  out?: (line: string) => void;
}

export interface Demo {
  dir: string;
  ports: { master: number; replicas: number[]; sentinels: number[]; http: number };
  stop(): Promise<void>;
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-demo-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(terminate));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    const port = () => freePort(taken);
    const master = await port();
    const replicas = [await port(), await port()];
    const sentinels = [await port(), await port(), await port()];
    const http = await port();
    const redisServer = opts.redisServer ?? 'redis-server';
    for (const p of [master, ...replicas]) {
      const args = ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, `redis-${p}.log`)];
      if (p !== master) args.push('--replicaof', '127.0.0.1', String(master));
      children.push(spawnChecked(redisServer, args, dir));
    }
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sentinel.js');
    sentinels.forEach((p, i) => {
      const conf = join(dir, `sentinel-${p}.conf`);
      const lines = [
        `port ${p}`,
        'bind 127.0.0.1',
        `dir "${dir}"`,
        `logfile "${join(dir, `sentinel-${p}.log`)}"`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 5000`,
        `sentinel failover-timeout ${MASTER_NAME} 30000`,
      ];
      if (i === 0) lines.push(`http-port ${http}`);
      writeFileSync(conf, `${lines.join('\n')}\n`);
      children.push(spawnChecked(process.execPath, [bin, conf], dir));
    });
    await Promise.all([master, ...replicas, ...sentinels].map((p) => waitForPong(p, START_TIMEOUT_MS, children)));

    out('The demo is up:');
    out(`  master     127.0.0.1:${master}   replicas 127.0.0.1:${replicas[0]}, 127.0.0.1:${replicas[1]}`);
    out(`  sentinels  127.0.0.1:${sentinels.join(', 127.0.0.1:')}   (quorum 2, down-after 5 s)`);
    out(`  status page  http://127.0.0.1:${http}/   metrics http://127.0.0.1:${http}/metrics`);
    out('Try:');
    out(`  redis-cli -p ${sentinels[0]} sentinel masters`);
    out(`  redis-cli -p ${sentinels[0]} sentinel get-master-addr-by-name ${MASTER_NAME}`);
    out(`  redis-cli -p ${sentinels[0]} sentinel failover ${MASTER_NAME}     a failover now; watch the status page`);
    out(`  redis-cli -p ${master} debug sleep 30                         the master hangs: +sdown, +odown, then a failover`);
    out(`  tail -f ${join(dir, `sentinel-${sentinels[0]}.log`)}`);
    out(`Ctrl-C stops everything and removes ${dir}.`);
    return { dir, ports: { master, replicas, sentinels, http }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** `sentinel demo`: runs until SIGINT or SIGTERM. */
export async function runDemo(): Promise<void> {
  const demo = await startDemo();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('Stopping the demo...\n');
  await demo.stop();
}

function spawnChecked(command: string, args: string[], cwd: string): ChildProcess {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.on('error', (e) => (stderr += e.message));
  Object.defineProperty(child, 'why', { get: () => `${command} ${args.join(' ')}: ${stderr.trim() || `exited ${child.exitCode ?? child.signalCode}`}` });
  return child;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

async function waitForPong(port: number, timeoutMs: number, children: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`the demo could not start: ${(dead as ChildProcess & { why: string }).why}`);
    if (await pongs(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the demo could not start: nothing answered PING on port ${port} within ${timeoutMs} ms`);
}

function pongs(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d: Buffer) => done(d.toString().startsWith('+PONG')));
    s.on('error', () => done(false));
  });
}

/** A loopback port below 32768 (outside Linux's range for outgoing connections) that is free now. */
async function freePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const p = 10_000 + Math.floor(Math.random() * 22_000);
    if (taken.has(p)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen({ port: p, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (free) {
      taken.add(p);
      return p;
    }
  }
  throw new Error('no free port below 32768');
}
