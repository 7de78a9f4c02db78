/**
 * `npm run bench`: how fast the 26379 server answers, redis-sentinel 7.0.15 and ours side by
 * side in one run. Both monitor the same master (with one replica, so each knows one replica
 * and the other sentinel); redis-benchmark (`-c 50`, `-P 1` and `-P 16`) asks each in turn,
 * command by command, alternating which goes first. Reported per command: requests/s, p50/p99
 * latency (redis-benchmark's), and the sentinel's CPU per request (utime + stime from
 * /proc/<pid>/stat over the run, divided by the requests). Medians of BENCH_SERVING_RUNS runs.
 * Then `SENTINEL MASTERS` with 200 masters (real redis-servers at `hz 1`), one client.
 *
 * Env: BENCH_SERVING_RUNS (default 3), BENCH_SERVING_SCALE (request counts, default 1),
 * BENCH_SERVING_MASTERS (default 200; 0 skips that part), BENCH_SERVING_ONLY (a substring of
 * the command labels).
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { it } from 'vitest';
import { cpuTicks } from '../harness/cpu-load.js';
import { Harness } from '../harness/harness.js';
import type { SentinelImpl, SentinelProcess } from '../harness/sentinel.js';
import { median } from '../harness/stats.js';
import { startTopology, waitForDiscovery } from '../harness/topology.js';
import { writeResultsSection } from './results-file.js';

const RUNS = Number(process.env.BENCH_SERVING_RUNS ?? 3);
const SCALE = Number(process.env.BENCH_SERVING_SCALE ?? 1);
const MANY_MASTERS = Number(process.env.BENCH_SERVING_MASTERS ?? 200);
const ONLY = process.env.BENCH_SERVING_ONLY?.toLowerCase();
const REDIS_BENCHMARK = process.env.REDIS_BENCHMARK_BIN ?? 'redis-benchmark';
const CLIENTS = 50;
const PIPELINES = [1, 16] as const;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

interface Case {
  label: string;
  argv: string[];
  /** Requests per run at -P 1 and -P 16: about a second each for redis-sentinel. */
  requests: Record<(typeof PIPELINES)[number], number>;
}

const CASES: Case[] = [
  { label: 'PING', argv: ['PING'], requests: { 1: 50_000, 16: 500_000 } },
  { label: 'SENTINEL get-master-addr-by-name', argv: ['SENTINEL', 'get-master-addr-by-name', 'mymaster'], requests: { 1: 50_000, 16: 500_000 } },
  { label: 'SENTINEL masters', argv: ['SENTINEL', 'masters'], requests: { 1: 40_000, 16: 150_000 } },
  { label: 'SENTINEL master', argv: ['SENTINEL', 'master', 'mymaster'], requests: { 1: 40_000, 16: 150_000 } },
  { label: 'SENTINEL replicas', argv: ['SENTINEL', 'replicas', 'mymaster'], requests: { 1: 40_000, 16: 150_000 } },
  { label: 'SENTINEL sentinels', argv: ['SENTINEL', 'sentinels', 'mymaster'], requests: { 1: 40_000, 16: 150_000 } },
  { label: 'INFO', argv: ['INFO'], requests: { 1: 30_000, 16: 60_000 } },
];

const IMPLS: Array<{ impl: SentinelImpl; label: string }> = [
  { impl: 'redis', label: 'redis-sentinel' },
  { impl: 'ours', label: 'ours' },
];

export interface ServingFigures {
  rps: number;
  p50: number;
  p99: number;
  /** Sentinel CPU per request, µs. */
  cpuUs: number;
}

/** Runs redis-benchmark once against `sentinel` and measures the sentinel's CPU meanwhile. */
export async function benchmark(
  sentinel: SentinelProcess,
  argv: readonly string[],
  opts: { clients: number; pipeline: number; requests: number },
): Promise<ServingFigures> {
  const args = ['-h', '127.0.0.1', '-p', String(sentinel.port), '-c', String(opts.clients), '-n', String(opts.requests), '-P', String(opts.pipeline), '--csv', ...argv];
  const before = cpuTicks(sentinel.pid);
  const csv = await new Promise<string>((resolve, reject) =>
    execFile(REDIS_BENCHMARK, args, { timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${REDIS_BENCHMARK} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  const after = cpuTicks(sentinel.pid);
  if (before === undefined || after === undefined) throw new Error('no /proc/<pid>/stat: CPU cannot be measured here');
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const row = csv
    .trim()
    .split('\n')
    .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')))
    .find((cells) => cells.length >= 8 && cells[0] !== 'test');
  if (row === undefined) throw new Error(`no result line in redis-benchmark's output:\n${csv}`);
  return {
    rps: Number(row[1]),
    p50: Number(row[4]),
    p99: Number(row[6]),
    cpuUs: (((after - before) / CLOCK_TICKS_PER_SECOND) * 1e6) / opts.requests,
  };
}

function medianFigures(runs: readonly ServingFigures[]): ServingFigures {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
  };
}

const k = (rps: number) => `${(rps / 1000).toFixed(1)}k`;
const ms = (v: number) => v.toFixed(3);
const us = (v: number) => v.toFixed(1);
const ratio = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

function machineLine(): string {
  const [one] = loadavg();
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}, load average before the run ${one.toFixed(2)}`;
}

it(
  'serving: redis-benchmark against redis-sentinel and ours, side by side',
  async () => {
    const lines: string[] = [];
    const started = machineLine();
    const h = new Harness('serving');
    try {
      const t = await startTopology(h, { replicas: 1, sentinels: IMPLS.map((i) => i.impl), quorum: 2 });
      await waitForDiscovery(h, t, 30_000);
      const sentinels = new Map(IMPLS.map((i, n) => [i.label, t.sentinels[n]]));
      const results = new Map<string, ServingFigures[]>();
      const cases = CASES.filter((c) => ONLY === undefined || c.label.toLowerCase().includes(ONLY));
      // A short pass first, so that the runs measure a warm process (our JIT, both sides' buffers).
      for (const c of cases) {
        for (const sentinel of sentinels.values()) await benchmark(sentinel, c.argv, { clients: CLIENTS, pipeline: 16, requests: Math.round(c.requests[16] * SCALE * 0.1) });
      }
      for (let run = 0; run < RUNS; run++) {
        for (const c of cases) {
          for (const pipeline of PIPELINES) {
            // Alternate who goes first, so neither always meets the other's leftovers.
            const order = (run + PIPELINES.indexOf(pipeline)) % 2 === 0 ? IMPLS : [...IMPLS].reverse();
            for (const impl of order) {
              const sentinel = sentinels.get(impl.label);
              if (sentinel === undefined) throw new Error(`no sentinel for ${impl.label}`);
              const figures = await benchmark(sentinel, c.argv, { clients: CLIENTS, pipeline, requests: Math.round(c.requests[pipeline] * SCALE) });
              const key = `${c.label}|${pipeline}|${impl.label}`;
              results.set(key, [...(results.get(key) ?? []), figures]);
              process.stdout.write(
                `run ${run + 1} ${c.label} -P ${pipeline} ${impl.label}: ${k(figures.rps)} req/s, p50 ${ms(figures.p50)} ms, p99 ${ms(figures.p99)} ms, ${us(figures.cpuUs)} µs CPU/request\n`,
              );
            }
          }
        }
      }
      lines.push(
        `redis-benchmark -c ${CLIENTS}, median of ${RUNS} runs; both sentinels monitor the same master (1 replica) and see each other.`,
        `CPU is the sentinel process's utime + stime over the run divided by the requests. Ratios are ours / redis-sentinel.`,
        `Started ${started}.`,
        '',
        '| command | -P | redis-sentinel req/s | ours req/s | ratio | redis-sentinel p50 / p99 ms | ours p50 / p99 ms | p99 ratio | redis-sentinel CPU µs/req | ours CPU µs/req | CPU ratio |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
      );
      for (const c of cases) {
        for (const pipeline of PIPELINES) {
          const r = medianFigures(results.get(`${c.label}|${pipeline}|redis-sentinel`) ?? []);
          const o = medianFigures(results.get(`${c.label}|${pipeline}|ours`) ?? []);
          lines.push(
            `| ${c.label} | ${pipeline} | ${k(r.rps)} | ${k(o.rps)} | ${ratio(o.rps / r.rps)} | ${ms(r.p50)} / ${ms(r.p99)} | ${ms(o.p50)} / ${ms(o.p99)} | ${ratio(o.p99 / r.p99)} | ${us(r.cpuUs)} | ${us(o.cpuUs)} | ${ratio(o.cpuUs / r.cpuUs)} |`,
          );
        }
      }
    } finally {
      await h.dispose();
    }

    if (MANY_MASTERS > 0 && ONLY === undefined) lines.push('', ...(await manyMasters(MANY_MASTERS)));
    process.stdout.write(`\n${lines.join('\n')}\n`);
    writeResultsSection('Serving', lines);
  },
  30 * 60_000,
);

/** SENTINEL MASTERS latency with `count` masters (no replicas), one client, one request at a time. */
async function manyMasters(count: number): Promise<string[]> {
  const h = new Harness('serving-many');
  try {
    const servers = [];
    // A few at a time: hundreds of forks at once make the machine crawl.
    for (let i = 0; i < count; i += 20) {
      servers.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => h.startRedis({ name: `m${i + j}`, args: ['--hz', '1'] })))));
    }
    const monitors = servers.map((s, i) => ({ name: `master${i}`, port: s.port, quorum: 2 }));
    const sentinels = await Promise.all(IMPLS.map((i) => h.startSentinel({ impl: i.impl, name: `many-${i.impl}`, monitors })));
    // Every master's first INFO is in (its fields stop changing shape) well within a few seconds.
    await new Promise((r) => setTimeout(r, 5_000));
    const requests = Math.round(1_000 * SCALE);
    const results = new Map<string, ServingFigures[]>();
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      for (const impl of order) {
        const sentinel = sentinels[IMPLS.indexOf(impl)];
        const figures = await benchmark(sentinel, ['SENTINEL', 'masters'], { clients: 1, pipeline: 1, requests });
        results.set(impl.label, [...(results.get(impl.label) ?? []), figures]);
        process.stdout.write(`run ${run + 1} SENTINEL masters (${count} masters) ${impl.label}: p50 ${ms(figures.p50)} ms, p99 ${ms(figures.p99)} ms, ${us(figures.cpuUs)} µs CPU/request\n`);
      }
    }
    const r = medianFigures(results.get('redis-sentinel') ?? []);
    const o = medianFigures(results.get('ours') ?? []);
    return [
      `SENTINEL masters with ${count} masters (real redis-servers at hz 1, no replicas), redis-benchmark -c 1 -P 1 -n ${requests}, median of ${RUNS} runs:`,
      '',
      '| | redis-sentinel | ours | ratio |',
      '|---|---|---|---|',
      `| req/s | ${r.rps.toFixed(0)} | ${o.rps.toFixed(0)} | ${ratio(o.rps / r.rps)} |`,
      `| p50 ms | ${ms(r.p50)} | ${ms(o.p50)} | ${ratio(o.p50 / r.p50)} |`,
      `| p99 ms | ${ms(r.p99)} | ${ms(o.p99)} | ${ratio(o.p99 / r.p99)} |`,
      `| CPU µs/request | ${us(r.cpuUs)} | ${us(o.cpuUs)} | ${ratio(o.cpuUs / r.cpuUs)} |`,
    ];
  } finally {
    await h.dispose();
  }
}
