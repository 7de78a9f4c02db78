import { describe, expect, it } from 'vitest';
import { FAST_TUNING, REDIS_TUNING, type Tuning } from '../../src/core/timing.js';
import { electionsWithoutLeader, exactlyOneFailover } from './invariants.js';
import { DOWN_AFTER_MS, describePlan, masterDeathPlan, starvedMasterDeathPlan, type Plan } from './plan.js';
import { failureLines, replayCommand, seedBatch } from './run.js';
import { runPlan, type LoopOrder, type Outcome } from './world.js';
import { percentile } from '../harness/stats.js';

const FILE = 'test/sim/starvation.test.ts';
const SCHEDULES = 300;

interface Variant {
  name: string;
  tuning: Tuning;
  loopOrder: LoopOrder;
  /** Sentinels (by index) that run another tuning. */
  tuningOf?: (index: number) => Tuning | undefined;
}

/** The fast profile before elections were made robust to starved event loops. */
const BEFORE: Variant = {
  name: 'before (60 ms jitter, no rank wait, no retry, ticks straight from the timer)',
  tuning: { ...FAST_TUNING, failoverStartJitterMs: 60, failoverRankDelayMs: 0, failoverRankDelayTicks: 0, retryLeaderlessElection: false },
  loopOrder: 'timers-first',
};
const NOW: Variant = { name: 'now', tuning: FAST_TUNING, loopOrder: 'io-first' };

interface Figures {
  ran: number;
  /** Elections tried without a leader, over all schedules. */
  leaderless: number;
  /** Schedules with at least one. */
  withLeaderless: number;
  /** First +switch-master after the death, beyond down-after, per schedule (null: none). */
  switchMs: Array<number | null>;
  /** From the first +try-failover to the first +elected-leader, per schedule (null: none). */
  electionMs: Array<number | null>;
  problems: string[];
}

function killTime(p: Plan): number {
  const f = p.faults.find((x) => x.fault.kind === 'kill-master');
  if (!f) throw new Error('no master death in the plan');
  return f.at;
}

function switchDelay(o: Outcome): number | null {
  const first = o.checker.firstSwitchAt;
  return first === null ? null : first - killTime(o.plan) - DOWN_AFTER_MS;
}

function electionTime(o: Outcome): number | null {
  const { firstTryAt, firstElectedAt } = o.checker;
  return firstTryAt === null || firstElectedAt === null ? null : firstElectedAt - firstTryAt;
}

function runVariant(
  v: Variant,
  seeds: number[],
  replay: boolean,
  judge: (o: Outcome) => string[],
  makePlan: (seed: number) => Plan = starvedMasterDeathPlan,
): Figures {
  const f: Figures = { ran: 0, leaderless: 0, withLeaderless: 0, switchMs: [], electionMs: [], problems: [] };
  for (const seed of seeds) {
    const o = runPlan(makePlan(seed), replay, { tuning: v.tuning, loopOrder: v.loopOrder, tuningOf: v.tuningOf });
    f.ran++;
    const n = electionsWithoutLeader(o.checker);
    f.leaderless += n;
    if (n > 0) f.withLeaderless++;
    f.switchMs.push(switchDelay(o));
    f.electionMs.push(electionTime(o));
    const problems = [...o.violations, ...judge(o)];
    if (replay) console.log(`${describePlan(o.plan)}\n${o.trace.join('\n')}\n${problems.join('\n')}`);
    if (problems.length > 0) {
      f.problems.push(`seed ${seed}: ${problems[0]}  [${replayCommand(seed, FILE)}]`);
      if (f.problems.length <= 2) f.problems.push(...failureLines(o, problems, FILE));
    }
  }
  return f;
}

function distribution(values: Array<number | null>): string {
  const known = values.filter((x): x is number => x !== null);
  const missing = values.length - known.length;
  const p = (q: number) => percentile(known, q);
  return `median ${p(50)} ms, p90 ${p(90)} ms, p99 ${p(99)} ms, max ${Math.max(...known)} ms${missing ? ` (${missing} never)` : ''}`;
}

function summary(name: string, f: Figures): string {
  return [
    `${name}: ${f.ran} master deaths, ${f.leaderless} elections without a leader (in ${f.withLeaderless} deaths)`,
    `    first +try-failover to first +elected-leader: ${distribution(f.electionMs)}`,
    `    first +switch-master beyond down-after: ${distribution(f.switchMs)}`,
    `    failed over within ${FAILOVER_BOUND_MS} ms of down-after: ${f.switchMs.filter((x) => x !== null && x <= FAILOVER_BOUND_MS).length} of ${f.ran}`,
  ].join('\n');
}

/**
 * Bounds the model supports, measured over 2,000 schedules with margin. The failover bound is
 * not the 2 s aimed at: with stalls of up to 800 ms, each step of a failover (SDOWN, ODOWN,
 * election, promotion, INFO) can wait for a stalled process; the 2 s figure is reported instead.
 */
const FAILOVER_BOUND_MS = 2000;
const FAILOVER_HARD_BOUND_MS = 4500;
/** From the first attempt to a leader, split elections included. */
const ELECTION_BOUND_MS = 2000;
/** Elections without a leader per master death under starvation: measured 0.1%, bound with margin. */
const LEADERLESS_RATE_BOUND = 0.01;

describe('one master death while the sentinels are starved of CPU (seeded simulation)', () => {
  const batch = seedBatch(SCHEDULES);

  it('fails over exactly once, elects a leader within 2 s of the first attempt, and rarely splits a vote', () => {
    const within = (o: Outcome): string[] => {
      const d = switchDelay(o);
      const e = electionTime(o);
      if (d === null || e === null) return ['no +switch-master'];
      const problems: string[] = [];
      if (d > FAILOVER_HARD_BOUND_MS) problems.push(`the first +switch-master came ${d} ms after down-after`);
      if (e > ELECTION_BOUND_MS) problems.push(`the first leader was elected ${e} ms after the first attempt`);
      return problems;
    };
    const now = runVariant(NOW, batch.seeds, batch.replay, (o) => [...exactlyOneFailover(o), ...within(o)]);
    console.log(`starvation, SIM_BASE=${batch.base}\n  ${summary(NOW.name, now)}`);
    expect(now.switchMs.filter((x) => x !== null && x <= FAILOVER_BOUND_MS).length / now.ran).toBeGreaterThan(0.95);
    expect(now.problems.join('\n')).toBe('');
    if (!batch.replay) expect(now.leaderless / now.ran).toBeLessThanOrEqual(LEADERLESS_RATE_BOUND);
  }, 180_000);

  it('bites: without the changes, starved sentinels split their votes and wait twice the failover-timeout', () => {
    if (batch.replay) return;
    const before = runVariant(BEFORE, batch.seeds, false, () => []);
    console.log(`starvation, SIM_BASE=${batch.base}\n  ${summary(BEFORE.name, before)}`);
    expect(before.problems.join('\n')).toBe('');
    expect(before.withLeaderless / before.ran).toBeGreaterThan(0.05);
  }, 180_000);

  it('keeps the fast failover of an idle machine', () => {
    if (batch.replay) return;
    const seeds = batch.seeds.slice(0, 100);
    const idle = (seed: number) => ({ ...masterDeathPlan(seed), tuning: 'fast' as const });
    const inTime = (o: Outcome) => {
      const d = switchDelay(o);
      return d === null || d > FAILOVER_BOUND_MS ? [`no +switch-master within ${FAILOVER_BOUND_MS} ms of down-after`] : [];
    };
    const now = runVariant(NOW, seeds, false, (o) => [...exactlyOneFailover(o), ...inTime(o)], idle);
    const before = runVariant(BEFORE, seeds, false, () => [], idle);
    console.log(`idle machine, SIM_BASE=${batch.base}\n  ${summary(NOW.name, now)}\n  ${summary(BEFORE.name, before)}`);
    expect(now.problems.join('\n')).toBe('');
    // Views of who reports the master down can still differ for a moment: a split is rare and retried at once.
    expect(now.leaderless / now.ran).toBeLessThanOrEqual(0.05);
    // The rank wait costs nothing when the first in the order starts: the median stays put.
    const median = (f: Figures) => percentile(f.switchMs.filter((x): x is number => x !== null), 50);
    expect(median(now)).toBeLessThanOrEqual(median(before) + 20);
  }, 60_000);

  it('stays safe in a mixed group: one sentinel with Redis\'s rules and timer, the others fast', () => {
    if (batch.replay) return;
    const seeds = batch.seeds.slice(0, 150);
    const mixed: Variant = { ...NOW, name: 'mixed (s0 with the Redis tuning)', tuningOf: (i) => (i === 0 ? REDIS_TUNING : undefined) };
    const f = runVariant(mixed, seeds, false, exactlyOneFailover);
    console.log(`mixed group under starvation, SIM_BASE=${batch.base}\n  ${summary(mixed.name, f)}`);
    expect(f.problems.join('\n')).toBe('');
    expect(f.leaderless / f.ran).toBeLessThanOrEqual(0.05);
  }, 60_000);
});

