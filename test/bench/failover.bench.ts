/**
 * `npm run bench`: kill -9 of a master, side by side under the real
 * redis-sentinel and ours, same topology, same run. For each trial it measures,
 * beyond down-after-milliseconds: the first +switch-master, the moment every
 * sentinel answers GET-MASTER-ADDR-BY-NAME with the new master, and the first
 * successful write of an ioredis client in sentinel mode.
 */
import { Redis } from 'ioredis';
import { it } from 'vitest';
import { Harness } from '../harness/harness.js';
import type { SentinelImpl } from '../harness/sentinel.js';
import { startTopology, waitForDiscovery } from '../harness/topology.js';
import { waitFor } from '../harness/wait-for.js';
import { writeResultsSection } from './results-file.js';
import { median } from '../harness/stats.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
const DOWN_AFTER_MS = Number(process.env.BENCH_DOWN_AFTER ?? 1000);
const POLL_MS = 5;

interface Variant {
  label: string;
  impl: SentinelImpl;
  args: string[];
}

const VARIANTS: Variant[] = [
  { label: 'redis-sentinel 7.0.15', impl: 'redis', args: [] },
  { label: 'ours (--timing redis)', impl: 'ours', args: ['--timing', 'redis'] },
  { label: 'ours', impl: 'ours', args: [] },
];

interface Trial {
  firstSwitch: number;
  allKnow: number;
  firstWrite: number;
}

async function runTrial(v: Variant, n: number): Promise<Trial> {
  const h = new Harness(`bench-${v.impl}-${n}`);
  const clients: Redis[] = [];
  try {
    const t = await startTopology(h, {
      replicas: 2,
      sentinels: [v.impl, v.impl, v.impl],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: 30_000,
      sentinelArgs: v.args,
    });
    await waitForDiscovery(h, t, 30_000);
    const oldPort = String(t.master.port);
    const sentinels = t.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));

    const writer = new Redis({
      sentinels,
      name: t.masterName,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      sentinelRetryStrategy: () => 10,
      retryStrategy: () => 10,
      connectTimeout: 500,
      lazyConnect: true,
    });
    writer.on('error', () => {});
    clients.push(writer);
    await writer.connect();
    await writer.incr('bench');

    let firstWrite = 0;
    let killedAt = 0;
    let writing = true;
    const writes = (async () => {
      while (writing) {
        const started = Date.now();
        try {
          await writer.incr('bench');
          // Only the new master can acknowledge a write sent after the old one died.
          if (killedAt && started > killedAt && !firstWrite) firstWrite = Date.now();
        } catch {
          // The master is gone; the client finds the new one through the sentinels.
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();

    const knowsAt = new Map<number, number>();
    let firstSwitch = 0;
    const watchers = t.sentinels.map((s) => {
      const c = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      clients.push(c);
      return { port: s.port, c };
    });
    const sub = t.sentinels.map((s) => {
      const c = new Redis({ port: s.port, host: '127.0.0.1', lazyConnect: true });
      c.on('error', () => {});
      clients.push(c);
      c.on('message', () => {
        if (killedAt && !firstSwitch) firstSwitch = Date.now();
      });
      return c.connect().then(() => c.subscribe('+switch-master'));
    });
    await Promise.all([...sub, ...watchers.map((w) => w.c.connect())]);

    killedAt = Date.now();
    await t.master.kill('SIGKILL');
    const polling = (async () => {
      while (knowsAt.size < watchers.length && Date.now() - killedAt < 60_000) {
        await Promise.all(
          watchers.map(async (w) => {
            if (knowsAt.has(w.port)) return;
            const addr = (await w.c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', t.masterName).catch(() => null)) as string[] | null;
            if (addr && addr[1] !== oldPort) knowsAt.set(w.port, Date.now());
          }),
        );
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();
    await waitFor(() => (firstSwitch && firstWrite && knowsAt.size === watchers.length ? true : null), {
      timeoutMs: 60_000,
      intervalMs: 20,
      description: `${v.label}: failover observed by every sentinel and the client`,
    });
    writing = false;
    await Promise.all([writes, polling]);
    const overhead = (at: number) => at - killedAt - DOWN_AFTER_MS;
    return {
      firstSwitch: overhead(firstSwitch),
      allKnow: overhead(Math.max(...knowsAt.values())),
      firstWrite: overhead(firstWrite),
    };
  } finally {
    for (const c of clients) c.disconnect();
    await h.dispose();
  }
}

it(
  'failover overhead beyond down-after-milliseconds, redis-sentinel vs ours',
  async () => {
    const results = new Map<string, Trial[]>();
    for (let n = 0; n < TRIALS; n++) {
      for (const v of VARIANTS) {
        const trial = await runTrial(v, n);
        results.set(v.label, [...(results.get(v.label) ?? []), trial]);
        process.stdout.write(`trial ${n + 1} ${v.label}: ${JSON.stringify(trial)}\n`);
      }
    }
    const rows = VARIANTS.map((v) => {
      const ts = results.get(v.label) ?? [];
      return {
        label: v.label,
        firstSwitch: Math.round(median(ts.map((t) => t.firstSwitch))),
        allKnow: Math.round(median(ts.map((t) => t.allKnow))),
        firstWrite: Math.round(median(ts.map((t) => t.firstWrite))),
      };
    });
    const redis = rows[0];
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
    const lines = [
      `Failover overhead beyond down-after-milliseconds (${DOWN_AFTER_MS} ms), median of ${TRIALS} trials, ms:`,
      '',
      '| sentinels (3 each) | first +switch-master | every sentinel knows | first client write |',
      '|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.label} | ${r.firstSwitch} (×${ratio(r.firstSwitch, redis.firstSwitch)}) | ${r.allKnow} (×${ratio(r.allKnow, redis.allKnow)}) | ${r.firstWrite} (×${ratio(r.firstWrite, redis.firstWrite)}) |`,
      ),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
    writeResultsSection('Failover timing', lines);
  },
  30 * 60_000,
);
