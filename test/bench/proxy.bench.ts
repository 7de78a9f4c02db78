/**
 * `npm run bench`: the built-in proxy (`sentinel proxy-port`) beside the seeds' HAProxy
 * (`check inter 1s`, `tcp-check send info replication` / `expect string role:master`,
 * `on-marked-down shutdown-sessions`) in front of the same group, in one run:
 *   - redis-benchmark through each (SET and GET, 50 clients, -P 1 and -P 16): requests/s and p99,
 *     median of BENCH_PROXY_REPEATS runs (default 5);
 *   - BENCH_PROXY_FAILOVERS kill -9 failovers (default 5), the old master restarted at once on its
 *     port (empty, saying role:master until a sentinel converts it), with a plain client writing
 *     through each (no Sentinel support, reconnecting on error): its longest time without an
 *     acknowledged write, and the writes acknowledged after the switch that the new master does
 *     not have (they went to the restarted old master).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { freeLowPort, rawCommand, useHarness, waitFor } from '../harness/index.js';
import { masterPortOf, startTunedTopology, waitForReplicaOf } from '../harness/failover-kit.js';
import { median } from '../harness/stats.js';
import { startHaproxy } from '../integration/matrix/haproxy.js';
import { writeResultsSection } from './results-file.js';

const run = promisify(execFile);
const REPEATS = Number(process.env.BENCH_PROXY_REPEATS ?? 5);
const FAILOVERS = Number(process.env.BENCH_PROXY_FAILOVERS ?? 5);
const MASTER = 'mymaster';

interface Throughput {
  rps: number;
  p99: number;
}

/** redis-benchmark's CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms". */
async function benchmark(port: number, pipeline: number): Promise<Record<string, Throughput>> {
  const { stdout } = await run('redis-benchmark', ['-p', String(port), '-t', 'set,get', '-n', '200000', '-c', '50', '-P', String(pipeline), '--csv'], {
    timeout: 120_000,
  });
  const out: Record<string, Throughput> = {};
  for (const line of stdout.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    if (cells[0] === 'SET' || cells[0] === 'GET') out[cells[0]] = { rps: Number(cells[1]), p99: Number(cells[6]) };
  }
  return out;
}

/** A client with no Sentinel support: one RPUSH at a time, reconnecting after any error. */
class PlainWriter {
  readonly acked: Array<{ seq: number; at: number }> = [];
  private seq = 0;
  private running = true;
  private readonly client: Redis;
  private readonly loop: Promise<void>;

  constructor(
    port: number,
    readonly key: string,
  ) {
    this.client = new Redis({
      port,
      host: '127.0.0.1',
      retryStrategy: () => 20,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      commandTimeout: 1000,
    });
    this.client.on('error', () => undefined);
    this.loop = this.write();
  }

  private async write(): Promise<void> {
    while (this.running) {
      const seq = ++this.seq;
      try {
        await this.client.rpush(this.key, String(seq));
        this.acked.push({ seq, at: Date.now() });
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.disconnect();
  }

  /** The longest time without an acknowledged write between `from` and `to`. */
  longestGap(from: number, to: number): number {
    let last = from;
    let longest = 0;
    for (const a of this.acked) {
      if (a.at < from || a.at > to) continue;
      longest = Math.max(longest, a.at - last);
      last = a.at;
    }
    return Math.max(longest, to - last);
  }
}

async function reachedRole(port: number): Promise<string> {
  const reply = await rawCommand(port, ['ROLE'], { timeoutMs: 2000 });
  return reply.value.type === 'array' && reply.value.items[0]?.type === 'bulk' ? reply.value.items[0].value : '';
}

describe('proxy vs HAProxy', () => {
  const h = useHarness('proxy-bench');

  it(
    'throughput, write unavailability across kill -9 failovers, writes acknowledged by a restarted old master',
    async () => {
      const proxyPort = await freeLowPort();
      const t = await startTunedTopology(h, {
        replicas: 2,
        sentinels: ['ours', 'ours', 'ours'],
        quorum: 2,
        downAfterMs: 1000,
        failoverTimeoutMs: 5000,
        sentinelConfigLines: (i) => (i === 0 ? [`sentinel proxy-port ${MASTER} ${proxyPort}`] : []),
      });
      const servers = [t.master, ...t.replicas];
      const haproxy = await startHaproxy(
        h,
        servers.map((s) => s.port),
        1000,
      );
      // HAProxy starts with every server up until its checks say otherwise (2 × 1 s).
      await waitFor(async () => (await Promise.all(servers.map(() => reachedRole(haproxy.port)))).every((r) => r === 'master'), {
        timeoutMs: 20_000,
        intervalMs: 500,
        description: 'HAProxy to route only to the master',
      });
      const log = (line: string) => process.stdout.write(`${line}\n`);
      const parts: string[] = [];

      const through = { ours: proxyPort, haproxy: haproxy.port } as const;
      const table: string[] = ['| pipeline | test | HAProxy req/s | ours req/s | ratio | HAProxy p99 ms | ours p99 ms |', '|---|---|---|---|---|---|---|'];
      for (const pipeline of [1, 16]) {
        const samples: Record<'ours' | 'haproxy', Array<Record<string, Throughput>>> = { ours: [], haproxy: [] };
        for (let r = 0; r < REPEATS; r++) {
          // Alternated, so that neither always runs first.
          for (const which of r % 2 === 0 ? (['haproxy', 'ours'] as const) : (['ours', 'haproxy'] as const)) {
            samples[which].push(await benchmark(through[which], pipeline));
          }
        }
        for (const test of ['SET', 'GET']) {
          const m = (which: 'ours' | 'haproxy', f: keyof Throughput) => median(samples[which].map((s) => s[test][f]));
          const row = `| -P ${pipeline} | ${test} | ${m('haproxy', 'rps').toFixed(0)} | ${m('ours', 'rps').toFixed(0)} | ×${(m('ours', 'rps') / m('haproxy', 'rps')).toFixed(2)} | ${m('haproxy', 'p99').toFixed(2)} | ${m('ours', 'p99').toFixed(2)} |`;
          table.push(row);
          log(row);
        }
      }
      parts.push(`redis-benchmark -c 50 -n 200000, median of ${REPEATS} runs each, ours and HAProxy alternated:`, '', ...table, '');

      const rounds: string[] = ['| failover | HAProxy: longest gap ms | ours: longest gap ms | HAProxy: acked after the switch, lost | ours: acked after the switch, lost |', '|---|---|---|---|---|'];
      const gaps = { ours: [] as number[], haproxy: [] as number[] };
      const lost = { ours: 0, haproxy: 0 };
      for (let round = 1; round <= FAILOVERS; round++) {
        const oldPort = await masterPortOf(t.sentinels[0].port, MASTER);
        const old = servers.find((s) => s.port === oldPort)!;
        const writers = { ours: new PlainWriter(proxyPort, `writes:ours:${round}`), haproxy: new PlainWriter(haproxy.port, `writes:haproxy:${round}`) };
        await waitFor(() => writers.ours.acked.length > 100 && writers.haproxy.acked.length > 100, { timeoutMs: 10_000, description: 'both writers to write' });
        const killedAt = Date.now();
        old.kill('SIGKILL');
        const newPort = await waitFor(() => masterPortOf(t.sentinels[0].port, MASTER), { timeoutMs: 30_000, description: 'the switch', until: (p) => p !== oldPort && p !== 0 });
        const switchedAt = Date.now();
        await old.restart();
        await waitForReplicaOf(oldPort, newPort, 60_000);
        // Settled: HAProxy has marked the converted old master down again.
        await new Promise((r) => setTimeout(r, 3000));
        const endAt = Date.now();
        await Promise.all([writers.ours.stop(), writers.haproxy.stop()]);
        const cells: string[] = [];
        for (const which of ['haproxy', 'ours'] as const) {
          const w = writers[which];
          const present = new Set(await h.client(newPort).lrange(w.key, 0, -1));
          const missing = w.acked.filter((a) => a.at >= switchedAt && !present.has(String(a.seq))).length;
          const acked = w.acked.filter((a) => a.at >= switchedAt).length;
          const gap = w.longestGap(killedAt, endAt);
          gaps[which].push(gap);
          lost[which] += missing;
          cells.push(`${gap}`, `${acked}, ${missing}`);
        }
        const row = `| ${round} | ${cells[0]} | ${cells[2]} | ${cells[1]} | ${cells[3]} |`;
        rounds.push(row);
        log(row);
      }
      parts.push(
        `${FAILOVERS} kill -9 failovers (down-after-milliseconds 1000), the old master restarted at once; a plain ioredis client (no Sentinel, reconnecting every 20 ms, one write at a time) through each:`,
        '',
        ...rounds,
        '',
        `Median longest gap: HAProxy ${median(gaps.haproxy)} ms, ours ${median(gaps.ours)} ms. Writes acknowledged after the switch and lost: HAProxy ${lost.haproxy}, ours ${lost.ours}.`,
      );
      writeResultsSection('Proxy vs HAProxy', parts);
    },
    30 * 60_000,
  );
});
