/**
 * Elections under CPU load: N kill -9 failovers in a row of 1 master +
 * 2 replicas + 3 sentinels (quorum 2), for redis-sentinel and ours side by
 * side, interleaved (one failover of each in turn) under the same load: two
 * busy-loop processes per core, started here and killed after.
 *
 * Per failover: -failover-abort-not-elected events, +try-failover events and
 * the distinct epochs tried, from every sentinel's pub/sub; the time from the
 * kill to the first +switch-master and to "every sentinel answers the new
 * address", minus down-after-milliseconds. A failover that has not completed
 * at the deadline is counted as such and its group replaced.
 *
 *   npx vitest run --config vitest.bench.config.ts test/bench/election-load.bench.ts
 *
 * | Env | Default | |
 * |---|---|---|
 * | ELECTION_BENCH_FAILOVERS | 100 | failovers per implementation |
 * | ELECTION_BENCH_IMPLS | redis,ours | any of redis, ours, ours-redis-timing (ours with --timing redis) |
 * | ELECTION_BENCH_LOAD_PER_CORE | 2 | busy loops per core (0: no load) |
 * | ELECTION_BENCH_DOWN_AFTER | 1000 | down-after-milliseconds |
 * | ELECTION_BENCH_FAILOVER_TIMEOUT | 5000 | failover-timeout: election timeout = min(10 s, this); a sentinel retries 2 × this after its try |
 * | ELECTION_BENCH_FRESH | (unset) | 1: a fresh topology for every failover instead of one reused group per implementation |
 * | ELECTION_BENCH_SKIP | (unset) | 1: skip this bench (e.g. in `npm run bench` when only the other benches are wanted) |
 *
 * The summary is written as its own section of bench-results.md; the
 * rest of the file is kept.
 */
import { execFileSync } from 'node:child_process';
import { it } from 'vitest';
import { writeResultsSection } from './results-file.js';
import { withCpuLoad } from '../harness/cpu-load.js';
import { FailoverGroup, type FailoverRecord } from '../harness/failover-loop.js';
import { REDIS_SENTINEL_BIN, type SentinelImpl } from '../harness/sentinel.js';
import { percentile } from '../harness/stats.js';

const env = process.env;
const FAILOVERS = Number(env.ELECTION_BENCH_FAILOVERS ?? 100);
const LOAD_PER_CORE = Number(env.ELECTION_BENCH_LOAD_PER_CORE ?? 2);
const DOWN_AFTER_MS = Number(env.ELECTION_BENCH_DOWN_AFTER ?? 1000);
const FAILOVER_TIMEOUT_MS = Number(env.ELECTION_BENCH_FAILOVER_TIMEOUT ?? 5000);
const FRESH = env.ELECTION_BENCH_FRESH === '1';
/** What "completed in time" allows beyond down-after-milliseconds. */
const GRACE_MS = 2000;
/** Room for two lost elections (each costs 2 × failover-timeout) and the failover that follows. */
const DEADLINE_MS = DOWN_AFTER_MS + 4 * FAILOVER_TIMEOUT_MS + 5000;
/** Replacing a group that did not recover more often than this means something else is wrong. */
const MAX_REBUILDS = 5;

interface Variant {
  key: string;
  label: string;
  impl: SentinelImpl;
  args: string[];
}

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync(REDIS_SENTINEL_BIN, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

const ALL_VARIANTS: Record<string, () => Variant> = {
  redis: () => ({ key: 'redis', label: `redis-sentinel ${redisVersion()}`, impl: 'redis', args: [] }),
  ours: () => ({ key: 'ours', label: 'ours', impl: 'ours', args: [] }),
  'ours-redis-timing': () => ({ key: 'ours-redis-timing', label: 'ours (--timing redis)', impl: 'ours', args: ['--timing', 'redis'] }),
};

function variants(): Variant[] {
  return (env.ELECTION_BENCH_IMPLS ?? 'redis,ours').split(',').map((k) => {
    const make = ALL_VARIANTS[k.trim()];
    if (!make) throw new Error(`ELECTION_BENCH_IMPLS: unknown '${k}' (known: ${Object.keys(ALL_VARIANTS).join(', ')})`);
    return make();
  });
}

/** One implementation's failovers, on a group kept between failovers (or a fresh one each time). */
class Runner {
  readonly records: FailoverRecord[] = [];
  /** Wall time of each failover including its share of setup: group start (fresh or replaced), kill, recovery or teardown. */
  readonly wallMs: number[] = [];
  rebuilds = 0;
  private group: FailoverGroup | undefined;

  constructor(readonly v: Variant) {}

  async next(n: number): Promise<FailoverRecord> {
    const started = Date.now();
    this.group ??= await FailoverGroup.start({
      impl: this.v.impl,
      sentinelArgs: this.v.args,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      deadlineMs: DEADLINE_MS,
      label: `election-load-${this.v.key}-${n}`,
    });
    const record = await this.group.killMaster({ recover: !FRESH });
    this.records.push(record);
    if (FRESH || record.cycleMs === null) {
      if (!FRESH) this.rebuilds++;
      await this.close();
      if (this.rebuilds > MAX_REBUILDS) throw new Error(`${this.v.label}: the group had to be replaced ${this.rebuilds} times`);
    }
    this.wallMs.push(Date.now() - started);
    return record;
  }

  async close(): Promise<void> {
    const g = this.group;
    this.group = undefined;
    await g?.dispose();
  }
}

/** `median / p95 / max` of the completed ones; a failover that never completed makes the max `>deadline`. */
function spread(values: Array<number | null>): string {
  const done = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (done.length === 0) return 'none completed';
  const max = done.length < values.length ? `>${DEADLINE_MS - DOWN_AFTER_MS}` : String(done[done.length - 1]);
  const tail = (p: number) => (Math.ceil(p * values.length) > done.length ? `>${DEADLINE_MS - DOWN_AFTER_MS}` : String(percentile(done, p * 100)));
  return `${tail(0.5)} / ${tail(0.95)} / ${max}`;
}

function row(r: Runner): string {
  const rs = r.records;
  const withAbort = rs.filter((x) => x.aborts > 0).length;
  const contested = rs.filter((x) => x.tries > 1).length;
  const abortEvents = rs.reduce((s, x) => s + x.aborts, 0);
  // An epoch tried beyond one per switch is an election nobody won (a second failover has its own epoch).
  const lostRounds = rs.reduce((s, x) => s + Math.max(0, x.epochs.length - Math.max(1, x.switches)), 0);
  const late = rs.filter((x) => x.allKnowMs === null || x.allKnowMs > GRACE_MS).length;
  const never = rs.filter((x) => x.allKnowMs === null).length;
  const doubles = rs.filter((x) => x.switches > 1).length;
  return (
    `| ${r.v.label} | ${rs.length} | ${contested} | ${withAbort} | ${abortEvents} | ${lostRounds} | ${late} | ${never} | ` +
    `${spread(rs.map((x) => x.allKnowMs))} | ${spread(rs.map((x) => x.firstSwitchMs))} | ${doubles} |`
  );
}

function cycleNote(r: Runner): string {
  const wall = [...r.wallMs].sort((a, b) => a - b);
  const total = wall.reduce((s, x) => s + x, 0);
  return wall.length
    ? `${r.v.label}: ${(total / 60_000).toFixed(1)} min in all, median ${(percentile(wall, 50) / 1000).toFixed(1)} s per failover (setup, kill, ` +
        `${FRESH ? 'teardown' : 'recovery until stable'})`
    : '';
}

/** Worst case for one failover: the deadline, then a restart and a stability wait, or a whole new group. */
const PER_FAILOVER_BOUND_MS = DEADLINE_MS + 90_000;

it.skipIf(env.ELECTION_BENCH_SKIP === '1')(
  'kill -9 failovers under CPU load: aborted elections and completion time, redis-sentinel vs ours',
  async () => {
    const runners = variants().map((v) => new Runner(v));
    const started = Date.now();
    let busyLoops = 0;
    let cores = 0;
    try {
      await withCpuLoad({ perCore: LOAD_PER_CORE, label: 'election-load' }, async (load) => {
        busyLoops = load.pids.length;
        cores = load.cores;
        for (let n = 0; n < FAILOVERS; n++) {
          for (const r of runners) {
            const rec = await r.next(n);
            process.stdout.write(
              `failover ${n + 1}/${FAILOVERS} ${r.v.label}: allKnow=${rec.allKnowMs} firstSwitch=${rec.firstSwitchMs} ` +
                `aborts=${rec.aborts} tries=${rec.tries} epochs=[${rec.epochs.join(',')}] elected=${rec.elected} ` +
                `switches=${rec.switches} cycle=${rec.cycleMs}\n`,
            );
          }
        }
      });
    } finally {
      await Promise.allSettled(runners.map((r) => r.close()));
    }
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const lines = [
      '',
      `${new Date().toISOString().slice(0, 10)}: ${cores} cores, ${busyLoops} busy-loop processes; 1 master + 2 replicas + 3 sentinels, quorum 2, ` +
        `down-after-milliseconds ${DOWN_AFTER_MS}, failover-timeout ${FAILOVER_TIMEOUT_MS} (election timeout ${Math.min(10_000, FAILOVER_TIMEOUT_MS)} ms, ` +
        `retry ${2 * FAILOVER_TIMEOUT_MS} ms after a try); ${FRESH ? 'a fresh topology per failover' : 'one group per implementation, the killed server restarted as a replica between failovers'}; ` +
        `implementations interleaved; run took ${minutes} min. Times in ms beyond down-after; "late": every sentinel did not answer the new master ` +
        `within down-after + ${GRACE_MS} ms; a failover not complete ${DEADLINE_MS} ms after the kill counts as never.`,
      '',
      '| sentinels (3 each) | failovers | more than one +try-failover | with an aborted election | -failover-abort-not-elected events | epochs tried that elected nobody | late (> down-after + 2 s) | never | every sentinel knows: median / p95 / max | first +switch-master: median / p95 / max | failed over again |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...runners.map(row),
      '',
      ...runners.map(cycleNote).filter(Boolean).map((l) => `- ${l}`),
      ...runners.filter((r) => r.rebuilds > 0).map((r) => `- ${r.v.label}: the group was replaced ${r.rebuilds} times`),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
    writeResultsSection(`kill -9 failovers under CPU load (${FAILOVERS} per implementation)`, lines);
  },
  Math.max(30 * 60_000, FAILOVERS * variants().length * PER_FAILOVER_BOUND_MS),
);
