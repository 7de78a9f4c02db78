import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exactlyOneFailover } from './invariants.js';
import { chaosPlan, describePlan, masterDeathPlan, type Plan } from './plan.js';
import { failureLines } from './run.js';
import { runPlan } from './world.js';

/**
 * Schedules the random runs found, replayed by seed; each must pass. `defect`
 * says what went wrong in the core before it was fixed.
 * A seed names a schedule only for this version of the simulation: `planDigest`
 * tells when plan.ts has changed; a change to the world, network or simulated
 * Redis re-draws every schedule too. Either way, run the random suites and
 * record the seeds they report for the same defect.
 */
interface Regression {
  seed: number;
  plan: 'chaos' | 'master-death';
  planDigest: string;
  title: string;
  /** What goes wrong and where, for whoever sees this test fail. */
  defect: string;
}

const REGRESSIONS: Regression[] = [
  {
    seed: 402110,
    title: 'no failover of the promoted replica on answers about the old master (invariant 3)',
    plan: 'chaos',
    planDigest: '843c13e2fb78',
    defect:
      'An is-master-down answer about the old master, in flight when the leader switched, ' +
      'is counted towards ODOWN of the promoted replica (failure-detection.ts handleMasterDownReply; failover.ts forgetAboutOldAddress clears only answers already received)',
  },
  {
    seed: 402181,
    title: 'no SLAVEOF NO ONE to a replica it sees SDOWN (invariant 4, redis timing)',
    plan: 'chaos',
    planDigest: 'b917bddeb2b4',
    defect:
      'SLAVEOF NO ONE is sent to the selected replica after it went SDOWN; send_slaveof_noone checks only ' +
      'link.disconnected, which a reconnect attempt clears at once (failover.ts sendSlaveOfNoOne, links.ts reconnect)',
  },
  {
    seed: 401821,
    title: 'no SLAVEOF NO ONE to a replica it sees SDOWN (invariant 4, fast timing)',
    plan: 'chaos',
    planDigest: '036e1a9e3b76',
    defect:
      'SLAVEOF NO ONE is sent to the selected replica after it went SDOWN (as seed 402181, with the fast timing profile)',
  },
  {
    seed: 401773,
    title: 'a failover overtaken by a newer config is abandoned (convergence)',
    plan: 'chaos',
    planDigest: '2412df437735',
    defect:
      'Two elected failovers, no manual one: while its epoch-1 failover is still reconfiguring replicas, s1 adopts epoch 2 from a hello ' +
      "that names s1's old master address (s2 promoted it), without switching; s1 then finishes its epoch-1 failover under epoch 2: " +
      'two addresses with one config epoch, forever ' +
      '(failover.ts followNewerConfig compares with m.addr, not currentMasterAddress, and does not abandon the older failover)',
  },
  {
    seed: 501780,
    title: 'two forced failovers in one epoch are reconciled (convergence)',
    plan: 'chaos',
    planDigest: '0054c4936fa5',
    defect:
      'As in Redis: two SENTINEL FAILOVERs on either side of a partition take the same epoch (a forced failover needs no votes); ' +
      'equal config epochs with different addresses never reconcile (processHello adopts only a greater epoch), and the sentinels ' +
      "end up converting each other's masters into replicas",
  },
  {
    seed: 1304578609,
    title: 'no failover on answers that went stale during TILT (invariant 3)',
    plan: 'chaos',
    planDigest: '799f141df2e4',
    defect:
      'ODOWN counted is-master-down answers from before a TILT in the tick that ended it, before the asking step ' +
      'expired them, and a failover started without a quorum of fresh answers (failure-detection.ts checkObjectivelyDown)',
  },
  {
    seed: 615932430,
    title: 'no two leaders of one epoch when a newer epoch has begun (invariant 1, redis timing)',
    plan: 'chaos',
    planDigest: '7d3efe2aedaf',
    defect:
      'As in Redis: a sentinel still waiting for votes in epoch 2 (another was elected in 2) asks in epoch 3, begun by a ' +
      "peer's SENTINEL FAILOVER; peers vote for it in 3, and getLeader counted those votes for its epoch-2 attempt: " +
      'elected leader of epoch 2 as well (election.ts getLeader counted votes of the current epoch, not of the election)',
  },
  {
    seed: 5254,
    title: 'one master death gives one failover (the fixed spurious second failover)',
    plan: 'master-death',
    planDigest: '7782aed4ba32',
    defect: 'the spurious second failover after one master death (stale answers about the dead master), fixed in b9a03b2',
  },
  {
    seed: 5259,
    title: 'one master death gives one failover, 5 sentinels, quorum 3',
    plan: 'master-death',
    planDigest: '4f8dbbb934d5',
    defect: 'the spurious second failover after one master death, fixed in b9a03b2',
  },
];

function digest(p: Plan): string {
  return createHash('sha256').update(describePlan(p)).digest('hex').slice(0, 12);
}

describe('regressions found by the simulation', () => {
  for (const r of REGRESSIONS) {
    it(`${r.plan} seed ${r.seed}: ${r.title}`, () => {
      const plan = r.plan === 'chaos' ? chaosPlan(r.seed) : masterDeathPlan(r.seed);
      expect(digest(plan), 'plan.ts changed: this seed no longer names the schedule it was recorded for').toBe(r.planDigest);
      const outcome = runPlan(plan);
      const problems = [...outcome.violations, ...(r.plan === 'master-death' ? exactlyOneFailover(outcome) : [])];
      expect(failureLines(outcome, problems, 'test/sim/regressions.test.ts'), r.defect).toEqual([]);
    });
  }
});
