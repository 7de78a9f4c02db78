import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exactlyOneFailover } from './invariants.js';
import { chaosPlan, describePlan, masterDeathPlan, type Plan } from './plan.js';
import { failureLines } from './run.js';
import { runPlan, type Outcome } from './world.js';

/**
 * Schedules the random runs found, replayed by seed; each must pass. `defect`
 * says what went wrong in the core before it was fixed.
 * A seed names a schedule only for this version of the simulation: `planDigest`
 * tells when plan.ts has changed; a change to the world, network or simulated
 * Redis re-draws every schedule too, and `reaches` tells when a seed no longer
 * gets into the situation it was kept for. Either way, search the seeds for one
 * that does (the defects being fixed, the random suites no longer report them).
 */
interface Regression {
  seed: number;
  plan: 'chaos' | 'master-death';
  planDigest: string;
  title: string;
  /** What goes wrong and where, for whoever sees this test fail. */
  defect: string;
  /** The situation the seed was kept for, checked in the run (null when reached, else what is missing): a passing seed that no longer gets there proves nothing. */
  reaches: (o: Outcome) => string | null;
}

type Timeline = Outcome['checker']['timeline'];

/** An is-master-down answer about a sentinel's old master, received after that sentinel switched away from it. */
function answerAboutOldMasterAfterSwitch(o: Outcome): string | null {
  for (const e of o.checker.timeline.filter((x) => x.type === '+switch-master')) {
    const [, oldIp, oldPort] = e.message.split(' ');
    if (o.checker.answers.some((a) => a.node === e.node && a.at >= e.at && a.address === `${oldIp}:${oldPort}`)) return null;
  }
  return 'no is-master-down answer about an old master arrived after a +switch-master';
}

/** The leader saw its selected replica SDOWN before promoting it. */
function selectedReplicaWentDown(o: Outcome): string | null {
  const t: Timeline = o.checker.timeline;
  for (const sel of t.filter((x) => x.type === '+selected-slave')) {
    const replica = sel.message.split(' ').slice(0, 2).join(' ');
    const promotedAt = t.find((x) => x.node === sel.node && x.at >= sel.at && x.type === '+promoted-slave')?.at ?? Infinity;
    if (t.some((x) => x.node === sel.node && x.type === '+sdown' && x.at >= sel.at && x.at <= promotedAt && x.message.startsWith(replica))) return null;
  }
  return 'no leader saw its selected replica SDOWN before promoting it';
}

/** A sentinel reconfiguring replicas for its own failover adopts a newer config from a peer. */
function newerConfigDuringReconf(o: Outcome): string | null {
  const t: Timeline = o.checker.timeline;
  for (const r of t.filter((x) => x.type === '+failover-state-reconf-slaves')) {
    const end = t.find((x) => x.node === r.node && x.at >= r.at && x.type === '+failover-end')?.at ?? Infinity;
    if (t.some((x) => x.node === r.node && x.type === '+config-update-from' && x.at >= r.at && x.at <= end)) return null;
  }
  return 'no sentinel adopted a newer config while reconfiguring replicas for its own failover';
}

function twoForcedLeadersInOneEpoch(o: Outcome): string | null {
  for (const leaders of o.checker.elected.values()) if (leaders.filter((l) => l.forced).length >= 2) return null;
  return 'no epoch had two forced leaders';
}

/** A sentinel leaves TILT while it sees the master SDOWN (with answers gathered before TILT). */
function tiltEndsWhileMasterDown(o: Outcome): string | null {
  const t: Timeline = o.checker.timeline;
  for (const end of t.filter((x) => x.type === '-tilt')) {
    const seen = t.filter((x) => x.node === end.node && x.at < end.at && (x.type === '+sdown' || x.type === '-sdown') && x.message.startsWith('master '));
    if (seen.length > 0 && seen[seen.length - 1].type === '+sdown') return null;
  }
  return 'no sentinel left TILT while it saw the master SDOWN';
}

/** is-master-down answers about the dead master still reach a sentinel after the first +switch-master. */
function answersAboutDeadMasterAfterFirstSwitch(o: Outcome): string | null {
  const first = o.checker.timeline.find((x) => x.type === '+switch-master');
  if (!first) return 'no failover';
  const [, oldIp, oldPort] = first.message.split(' ');
  return o.checker.answers.some((a) => a.at >= first.at && a.address === `${oldIp}:${oldPort}`) ? null : 'no answer about the dead master after the first +switch-master';
}

/** An election still open in one epoch while a SENTINEL FAILOVER began the next. */
function forcedEpochOverAnOpenElection(o: Outcome): string | null {
  for (const epoch of o.checker.triedEpochs) {
    if ((o.checker.elected.get(epoch + 1n) ?? []).some((l) => l.forced)) return null;
  }
  return 'no forced failover began the epoch after an automatic attempt';
}

const REGRESSIONS: Regression[] = [
  {
    seed: 402110,
    reaches: answerAboutOldMasterAfterSwitch,
    title: 'no failover of the promoted replica on answers about the old master (invariant 3)',
    plan: 'chaos',
    planDigest: '843c13e2fb78',
    defect:
      'An is-master-down answer about the old master, in flight when the leader switched, ' +
      'is counted towards ODOWN of the promoted replica (failure-detection.ts handleMasterDownReply; failover.ts forgetAboutOldAddress clears only answers already received)',
  },
  {
    seed: 402181,
    reaches: selectedReplicaWentDown,
    title: 'no SLAVEOF NO ONE to a replica it sees SDOWN (invariant 4, redis timing)',
    plan: 'chaos',
    planDigest: 'b917bddeb2b4',
    defect:
      'SLAVEOF NO ONE is sent to the selected replica after it went SDOWN; send_slaveof_noone checks only ' +
      'link.disconnected, which a reconnect attempt clears at once (failover.ts sendSlaveOfNoOne, links.ts reconnect)',
  },
  {
    seed: 700037,
    reaches: selectedReplicaWentDown,
    title: 'no SLAVEOF NO ONE to a replica it sees SDOWN (invariant 4, fast timing)',
    plan: 'chaos',
    planDigest: '20f97d09fb1c',
    defect:
      'SLAVEOF NO ONE is sent to the selected replica after it went SDOWN (as seed 402181, with the fast timing profile)',
  },
  {
    seed: 700030,
    reaches: newerConfigDuringReconf,
    title: 'a failover overtaken by a newer config is abandoned (convergence)',
    plan: 'chaos',
    planDigest: '0dafc078136a',
    defect:
      'Two elected failovers, no manual one: while its epoch-1 failover is still reconfiguring replicas, s1 adopts epoch 2 from a hello ' +
      "that names s1's old master address (s2 promoted it), without switching; s1 then finishes its epoch-1 failover under epoch 2: " +
      'two addresses with one config epoch, forever ' +
      '(failover.ts followNewerConfig compares with m.addr, not currentMasterAddress, and does not abandon the older failover)',
  },
  {
    seed: 501780,
    reaches: twoForcedLeadersInOneEpoch,
    title: 'two forced failovers in one epoch are reconciled (convergence)',
    plan: 'chaos',
    planDigest: '0054c4936fa5',
    defect:
      'As in Redis: two SENTINEL FAILOVERs on either side of a partition take the same epoch (a forced failover needs no votes); ' +
      'equal config epochs with different addresses never reconcile (processHello adopts only a greater epoch), and the sentinels ' +
      "end up converting each other's masters into replicas",
  },
  {
    seed: 700002,
    reaches: tiltEndsWhileMasterDown,
    title: 'no failover on answers that went stale during TILT (invariant 3)',
    plan: 'chaos',
    planDigest: 'f4c040ab2663',
    defect:
      'ODOWN counted is-master-down answers from before a TILT in the tick that ended it, before the asking step ' +
      'expired them, and a failover started without a quorum of fresh answers (failure-detection.ts checkObjectivelyDown)',
  },
  {
    seed: 615932430,
    reaches: forcedEpochOverAnOpenElection,
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
    reaches: answersAboutDeadMasterAfterFirstSwitch,
    title: 'one master death gives one failover (the fixed spurious second failover)',
    plan: 'master-death',
    planDigest: '7782aed4ba32',
    defect: 'the spurious second failover after one master death (stale answers about the dead master), fixed in b9a03b2',
  },
  {
    seed: 5259,
    reaches: answersAboutDeadMasterAfterFirstSwitch,
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
      expect(r.reaches(outcome), 'this seed no longer reaches the situation it was kept for').toBeNull();
      const problems = [...outcome.violations, ...(r.plan === 'master-death' ? exactlyOneFailover(outcome) : [])];
      expect(failureLines(outcome, problems, 'test/sim/regressions.test.ts'), r.defect).toEqual([]);
    });
  }
});
