/**
 * `npm run bench`: what monitoring many masters costs an idle sentinel, redis-sentinel and
 * ours side by side, both watching the same instances of the many-masters test double
 * (test/harness/redis-double.ts: one process answering as Redis would, since thousands of
 * real redis-server processes do not fit on this machine). Per scale: time from start to
 * the first PING answered, time until every master's replicas and the other sentinel are
 * known, then over an idle window: CPU (% of one core, /proc utime+stime), RSS, TILT
 * entries, and whether every master's SENTINEL MASTER fields are fresh.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { cpuTicks } from '../harness/cpu-load.js';
import { Harness } from '../harness/harness.js';
import { freePorts } from '../harness/ports.js';
import { RawConnection, rawCommand } from '../harness/raw-client.js';
import type { InstanceSpec } from '../harness/redis-double.js';
import type { SentinelImpl, SentinelProcess } from '../harness/sentinel.js';
import { waitFor } from '../harness/wait-for.js';
import { writeResultsSection } from './results-file.js';

const IDLE_WINDOW_MS = Number(process.env.BENCH_IDLE_MS ?? 20_000);
/** BENCH_MONITOR_SCALES=50x1,2000x0 to run only some. */
const SCALES: Array<{ masters: number; replicas: number }> = (process.env.BENCH_MONITOR_SCALES ?? '50x1,200x1,1000x1,2000x0').split(',').map((s) => {
  const [masters, replicas] = s.split('x').map(Number);
  return { masters, replicas };
});
const IMPLS: Array<{ impl: SentinelImpl; label: string }> = [
  { impl: 'redis', label: 'redis-sentinel 7.0.15' },
  { impl: 'ours', label: 'ours' },
];
const TICKS_PER_SECOND = 100;

interface Figures {
  /** ms from the kill of one master (down-after 1000) to this sentinel's +switch-master; null without replicas. */
  failoverMs: number | null;
  /** The longest PING round trip while the config was rewritten every 300 ms. */
  rewriteStallMs: number;
  startMs: number;
  discoveryMs: number | null;
  cpuPercent: number;
  rssMb: number;
  tilts: number;
  stale: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Masters whose last INFO or PING reply is older than Redis's periods allow (10 s INFO, 1 s PING, with slack). */
async function staleMasters(h: Harness, s: SentinelProcess): Promise<number> {
  const masters = await h.queries(s.port).masters();
  return masters.filter((m) => Number(m['info-refresh']) > 12_000 || Number(m['last-ok-ping-reply']) > 3_000).length;
}

/** PINGs back to back for 3 s while SENTINEL FLUSHCONFIG comes every 300 ms: the longest round trip, ms. */
async function worstPingDuringRewrites(port: number): Promise<number> {
  const probe = await RawConnection.open(port, { timeoutMs: 10_000 });
  const flusher = await RawConnection.open(port, { timeoutMs: 10_000 });
  let worst = 0;
  try {
    const end = performance.now() + 3000;
    let nextFlush = 0;
    while (performance.now() < end) {
      if (performance.now() >= nextFlush) {
        flusher.send(['SENTINEL', 'FLUSHCONFIG']);
        nextFlush = performance.now() + 300;
      }
      const t = performance.now();
      probe.send(['PING']);
      await probe.read();
      worst = Math.max(worst, performance.now() - t);
    }
  } finally {
    probe.close();
    flusher.close();
  }
  return worst;
}

async function discovered(h: Harness, s: SentinelProcess, replicas: number): Promise<boolean> {
  const masters = await h.queries(s.port).masters();
  return masters.every((m) => Number(m['num-slaves']) === replicas && Number(m['num-other-sentinels']) === 1);
}

async function measureScale(masters: number, replicas: number): Promise<Map<SentinelImpl, Figures>> {
  const h = new Harness(`bench-monitoring-${masters}`);
  try {
    const ports = await freePorts(masters * (1 + replicas));
    const specs: InstanceSpec[] = [];
    for (let i = 0; i < masters; i++) {
      const base = i * (1 + replicas);
      specs.push({ port: ports[base] });
      for (let r = 1; r <= replicas; r++) specs.push({ port: ports[base + r], replicaOf: ports[base] });
    }
    const double = h.startProcess({ name: 'redis-double', command: process.execPath, args: [join(process.cwd(), 'dist', 'test', 'harness', 'redis-double.js'), JSON.stringify(specs)] });
    await waitFor(() => double.log().includes('ready'), { timeoutMs: 60_000, intervalMs: 100, description: 'the test double to listen on every port' });
    const monitors = Array.from({ length: masters }, (_, i) => ({ name: `m${i}`, port: ports[i * (1 + replicas)], quorum: 2 }));
    const out = new Map<SentinelImpl, Figures>();
    const started: Array<{ impl: SentinelImpl; s: SentinelProcess; startMs: number; at: number }> = [];
    for (const { impl } of IMPLS) {
      const at = Date.now();
      const s = await h.startSentinel({ impl, monitors });
      started.push({ impl, s, startMs: Date.now() - at, at });
    }
    const discoveryMs = new Map<SentinelImpl, number | null>();
    await Promise.all(
      started.map(async ({ impl, s, at }) => {
        const done = await waitFor(() => discovered(h, s, replicas), { timeoutMs: 120_000, intervalMs: 1000, description: `${impl} to discover everything`, until: (v) => v }).then(
          () => Date.now() - at,
          () => null,
        );
        discoveryMs.set(impl, done);
      }),
    );
    const before = started.map(({ s }) => cpuTicks(s.pid) ?? NaN);
    const t0 = Date.now();
    await waitFor(() => Date.now() - t0 >= IDLE_WINDOW_MS, { timeoutMs: IDLE_WINDOW_MS + 5000, intervalMs: 250, description: 'the idle window' });
    const seconds = (Date.now() - t0) / 1000;
    for (const [i, { impl, s, startMs }] of started.entries()) {
      const ticks = (cpuTicks(s.pid) ?? NaN) - before[i];
      out.set(impl, {
        rewriteStallMs: 0,
        failoverMs: null,
        startMs,
        discoveryMs: discoveryMs.get(impl) ?? null,
        cpuPercent: (100 * ticks) / TICKS_PER_SECOND / seconds,
        rssMb: rssMb(s.pid),
        tilts: (s.process.log().match(/\+tilt/g) ?? []).length,
        stale: await staleMasters(h, s),
      });
    }
    for (const { impl, s } of started) out.get(impl)!.rewriteStallMs = await worstPingDuringRewrites(s.port);
    if (replicas > 0) {
      // One master dies among many: the pair (one of each) fails it over together.
      for (const { s } of started) await rawCommand(s.port, ['SENTINEL', 'SET', 'm0', 'down-after-milliseconds', '1000']);
      const collectors = await Promise.all(started.map(({ s }) => h.events(s.port)));
      const killedAt = Date.now();
      await rawCommand(ports[1], ['DOUBLE', 'KILL', String(ports[0])]);
      for (const [i, { impl }] of started.entries()) {
        const e = await collectors[i].waitFor({ channel: '+switch-master', message: new RegExp(`^m0 `) }, 60_000).catch(() => null);
        out.get(impl)!.failoverMs = e ? e.time - killedAt : null;
      }
    }
    return out;
  } finally {
    await h.dispose();
  }
}

it('idle monitoring cost of many masters, redis-sentinel beside ours', async () => {
  const rows: string[] = [];
  for (const { masters, replicas } of SCALES) {
    const figures = await measureScale(masters, replicas);
    for (const { impl, label } of IMPLS) {
      const f = figures.get(impl)!;
      const r = figures.get('redis')!;
      const ratio = (a: number, b: number) => (b > 0 ? `×${(a / b).toFixed(2)}` : '-');
      rows.push(
        `| ${masters} × ${replicas} | ${label} | ${f.startMs} | ${f.discoveryMs ?? 'not within 120 s'} | ${f.cpuPercent.toFixed(1)} (${ratio(f.cpuPercent, r.cpuPercent)}) | ${f.rssMb.toFixed(0)} (${ratio(f.rssMb, r.rssMb)}) | ${f.tilts} | ${f.stale} of ${masters} | ${f.rewriteStallMs.toFixed(1)} | ${f.failoverMs ?? '-'} |`,
      );
    }
    process.stdout.write(`${rows.slice(-2).join('\n')}\n`);
  }
  const table = [
    `${new Date().toISOString().slice(0, 10)}: 2 cores; both sentinels watch the same masters of the test double (quorum 2, defaults otherwise); idle window ${IDLE_WINDOW_MS / 1000} s after discovery.`,
    '',
    '| masters × replicas | sentinel | start to first PING, ms | start to all discovered, ms | idle CPU, % of a core | RSS, MB | +tilt | stale SENTINEL MASTER fields | longest PING during config rewrites, ms | kill of one master to +switch-master (down-after 1000), ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
  process.stdout.write(`\n${table.join('\n')}\n`);
  writeResultsSection('Idle monitoring cost (many masters, test double)', table);
}, 30 * 60_000);
