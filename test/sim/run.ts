import { describePlan, type Plan } from './plan.js';
import { runPlan, type Outcome } from './world.js';

export interface Batch {
  /** SIM_BASE that reproduces the whole batch. */
  base: number;
  seeds: number[];
  /** SIM_SEED was given: one schedule, replayed with its full trace. */
  replay: boolean;
}

/**
 * The seeds a test runs: SIM_SEED replays one; otherwise `count` seeds
 * (SIM_COUNT overrides) from SIM_BASE, or from a fresh random base so that
 * every run explores new schedules.
 */
export function seedBatch(count: number): Batch {
  const one = process.env.SIM_SEED;
  if (one !== undefined && one !== '') return { base: Number(one) >>> 0, seeds: [Number(one) >>> 0], replay: true };
  const baseText = process.env.SIM_BASE;
  const base = baseText ? Number(baseText) >>> 0 : Math.floor(Math.random() * 2 ** 32);
  const n = Number(process.env.SIM_COUNT ?? count);
  return { base, seeds: Array.from({ length: n }, (_, i) => (base + i * 7919) >>> 0), replay: false };
}

export function replayCommand(seed: number, testFile: string): string {
  return `SIM_SEED=${seed} npx vitest run ${testFile}`;
}

const DETAILED_REPORTS = 3;

function detailedReport(o: Outcome, problems: string[], testFile: string): string {
  return [
    `FAILED ${describePlan(o.plan)}`,
    ...problems.map((p) => `  ! ${p}`),
    `  replay: ${replayCommand(o.plan.seed, testFile)}`,
    '  last events:',
    ...o.trace.slice(-60).map((l) => `    ${l}`),
  ].join('\n');
}

/** The report of one schedule's problems, line by line; empty when it had none. */
export function failureLines(o: Outcome, problems: string[], testFile: string): string[] {
  return problems.length === 0 ? [] : detailedReport(o, problems, testFile).split('\n');
}

export interface BatchResult {
  /** Empty when every schedule passed; otherwise one line per failing seed, then the first few in detail. */
  report: string;
  failed: number;
  ran: number;
  /** Schedules in which some replica was promoted: a sign the faults bit. */
  withFailover: number;
  elapsedMs: number;
}

/** Runs a plan for every seed; `judge` adds the test's own properties to the invariant violations. */
export function runBatch(batch: Batch, makePlan: (seed: number) => Plan, judge: (o: Outcome) => string[], testFile: string): BatchResult {
  const started = performance.now();
  const summary: string[] = [];
  const details: string[] = [];
  let withFailover = 0;
  for (const seed of batch.seeds) {
    const outcome = runPlan(makePlan(seed), batch.replay);
    if (outcome.checker.counts.promotions > 0) withFailover++;
    const problems = [...outcome.violations, ...judge(outcome)];
    if (batch.replay) console.log(`${describePlan(outcome.plan)}\n${outcome.trace.join('\n')}\n${problems.join('\n')}`);
    if (problems.length === 0) continue;
    summary.push(`seed ${seed}: ${problems[0]}  [${replayCommand(seed, testFile)}]`);
    if (details.length < DETAILED_REPORTS) details.push(detailedReport(outcome, problems, testFile));
  }
  const report = summary.length === 0 ? '' : [`${summary.length} of ${batch.seeds.length} schedules failed:`, ...summary, '', ...details].join('\n');
  return { report, failed: summary.length, ran: batch.seeds.length, withFailover, elapsedMs: performance.now() - started };
}
