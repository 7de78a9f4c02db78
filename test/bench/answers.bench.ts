/**
 * `npm run bench`: how fast every sentinel answers SENTINEL GET-MASTER-ADDR-BY-NAME
 * through a kill -9 failover (1 master, 2 replicas, 3 sentinels, quorum 2,
 * down-after 1000 ms), redis-sentinel and ours side by side in each run, with the
 * same probe against the idle sentinels first. Medians over BENCH_ANSWER_RUNS runs.
 */
import { it } from 'vitest';
import { measureAnswersThroughFailover, type AnswerRun, type SentinelAnswers } from '../harness/failover-answers.js';
import type { SentinelImpl } from '../harness/sentinel.js';
import { writeResultsSection } from './results-file.js';
import { median } from '../harness/stats.js';

const RUNS = Number(process.env.BENCH_ANSWER_RUNS ?? 3);

const VARIANTS: Array<{ label: string; impl: SentinelImpl }> = [
  { label: 'redis-sentinel 7.0.15', impl: 'redis' },
  { label: 'ours', impl: 'ours' },
];

interface Row {
  idle: Figures;
  leader: Figures;
  /** The worse of the two followers. */
  followers: Figures;
  probeLagMax: number;
}

interface Figures {
  p50: number;
  p99: number;
  max: number;
}

function pick(f: SentinelAnswers['failover']): Figures {
  return { p50: f.p50, p99: f.p99, max: f.max };
}

function worst(fs: Figures[]): Figures {
  return { p50: Math.max(...fs.map((f) => f.p50)), p99: Math.max(...fs.map((f) => f.p99)), max: Math.max(...fs.map((f) => f.max)) };
}

function row(run: AnswerRun): Row {
  const leader = run.sentinels.find((s) => s.role === 'leader') ?? run.sentinels[0];
  return {
    idle: worst(run.sentinels.map((s) => pick(s.idle))),
    leader: pick(leader.failover),
    followers: worst(run.sentinels.filter((s) => s !== leader).map((s) => pick(s.failover))),
    probeLagMax: run.probeLag.max,
  };
}

function medianFigures(fs: Figures[]): Figures {
  return { p50: median(fs.map((f) => f.p50)), p99: median(fs.map((f) => f.p99)), max: median(fs.map((f) => f.max)) };
}

const show = (f: Figures) => `${f.p50.toFixed(2)} / ${f.p99.toFixed(2)} / ${f.max.toFixed(1)}`;

it(
  'GET-MASTER-ADDR-BY-NAME latency through a failover, redis-sentinel vs ours',
  async () => {
    const rows = new Map<string, Row[]>();
    for (let n = 0; n < RUNS; n++) {
      for (const v of VARIANTS) {
        const run = await measureAnswersThroughFailover({ impl: v.impl, label: v.label });
        const r = row(run);
        rows.set(v.label, [...(rows.get(v.label) ?? []), r]);
        process.stdout.write(`run ${n + 1} ${v.label}: idle ${show(r.idle)}, leader ${show(r.leader)}, followers ${show(r.followers)}, probe lag max ${r.probeLagMax.toFixed(1)}\n`);
      }
    }
    const lines = [
      `SENTINEL GET-MASTER-ADDR-BY-NAME latency, ms (p50 / p99 / max), one request at a time every 2 ms per sentinel, from 1 s before`,
      `a kill -9 of the master until 1 s after the last +switch-master; median of ${RUNS} runs; "idle" is the second before the kill`,
      '(worst sentinel); "followers" the worse of the two. The machine\'s own scheduling delay shows in the probe lag column.',
      '',
      '| sentinels (3 each) | idle | leader during failover | followers during failover | probe timer lag max |',
      '|---|---|---|---|---|',
      ...VARIANTS.map((v) => {
        const rs = rows.get(v.label) ?? [];
        return `| ${v.label} | ${show(medianFigures(rs.map((r) => r.idle)))} | ${show(medianFigures(rs.map((r) => r.leader)))} | ${show(medianFigures(rs.map((r) => r.followers)))} | ${median(rs.map((r) => r.probeLagMax)).toFixed(1)} |`;
      }),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
    writeResultsSection('Answers during a failover', lines);
  },
  30 * 60_000,
);
