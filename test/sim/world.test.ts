import { describe, expect, it } from 'vitest';
import { emptySentinelConfig, newMasterConfig } from '../../src/config/model.js';
import type { SentinelEvent } from '../../src/core/events.js';
import { Sentinel } from '../../src/core/sentinel.js';
import { Checker, MASTER_NAME, type SentinelView } from './invariants.js';
import { Network } from './network.js';
import { chaosPlan, quietPlan } from './plan.js';
import { SimRedis } from './redis.js';
import { Rng, Scheduler } from './rng.js';
import { runPlan } from './world.js';

describe('the simulated world', () => {
  it('replays a seed bit for bit', () => {
    // A schedule with faults and a failover in it, so that there is something to diverge.
    let seed = 1;
    while (runPlan(chaosPlan(seed)).checker.counts.promotions === 0) seed++;
    const first = runPlan(chaosPlan(seed), true);
    const second = runPlan(chaosPlan(seed), true);
    expect(first.checker.counts.promotions).toBeGreaterThan(0);
    expect(second.trace).toEqual(first.trace);
    expect(second.endedAt).toBe(first.endedAt);
  });

  it('leaves a healthy deployment alone: no SDOWN, no failover, and agreement', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const o = runPlan(quietPlan(seed));
      expect(o.violations, `quiet seed ${seed}`).toEqual([]);
      expect(o.trace.filter((l) => / [+-](sdown|odown|tilt|try-failover|switch-master) /.test(l)), `quiet seed ${seed}`).toEqual([]);
      // Every sentinel found every peer and every replica.
      expect(o.trace.filter((l) => / \+sentinel /.test(l))).toHaveLength(o.plan.topology.sentinels * (o.plan.topology.sentinels - 1));
      expect(o.trace.filter((l) => / \+slave /.test(l))).toHaveLength(o.plan.topology.sentinels * o.plan.topology.replicaPriorities.length);
    }
  });
});

/** A core with nothing going on, to hand to the checker. */
function sentinel(node: string, myid: string, persistedLeaderEpoch = 99n): SentinelView & { core: Sentinel } {
  const config = emptySentinelConfig();
  config.myid = myid;
  config.masters.push(newMasterConfig(MASTER_NAME, '10.0.1.1', 6379, 2));
  const now = 1_700_000_000_000;
  const core = new Sentinel({ listeningPort: 26379 }, { random: () => 0.5, resolve: () => null });
  core.step({ now, kind: 'load', config });
  return { node, core, now: () => now, persistedLeaderEpoch: () => persistedLeaderEpoch };
}

const event = (type: string, message = ''): SentinelEvent => ({ level: 'warning', type, message, masterName: MASTER_NAME });
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('the invariant checker catches what it is meant to', () => {
  it('two votes of one sentinel in one epoch, even from a restarted process', () => {
    const c = new Checker(() => 0);
    c.onEvent(sentinel('s0', A), sentinel('s0', A).core.state, event('+vote-for-leader', `${A} 4`));
    const restarted = sentinel('s0', A);
    c.onEvent(restarted, restarted.core.state, event('+vote-for-leader', `${B} 4`));
    expect(c.violations).toEqual([`at 0ms: s0 voted for ${A} and then for ${B} in epoch 4`]);
  });

  it('a vote announced before its epoch is on disk', () => {
    const c = new Checker(() => 0);
    const s = sentinel('s0', A, 3n);
    c.onEvent(s, s.core.state, event('+vote-for-leader', `${B} 4`));
    expect(c.violations).toEqual(['at 0ms: s0 announced its vote in epoch 4 but persisted leader-epoch 3']);
  });

  it('two leaders in one epoch, unless one was forced by SENTINEL FAILOVER', () => {
    const c = new Checker(() => 0);
    const s0 = sentinel('s0', A);
    const s1 = sentinel('s1', B);
    s0.core.state.masters.get(MASTER_NAME)!.failoverEpoch = 2n;
    s1.core.state.masters.get(MASTER_NAME)!.failoverEpoch = 2n;
    c.onEvent(s0, s0.core.state, event('+elected-leader'));
    c.onEvent(s1, s1.core.state, event('+elected-leader'));
    expect(c.violations).toHaveLength(1);
    expect(c.violations[0]).toContain('both elected leader in epoch 2');

    const forced = new Checker(() => 0);
    s1.core.state.masters.get(MASTER_NAME)!.flags.forceFailover = true;
    forced.onEvent(s0, s0.core.state, event('+elected-leader'));
    forced.onEvent(s1, s1.core.state, event('+elected-leader'));
    expect(forced.violations).toEqual([]);
  });

  it('a failover started without SDOWN or without a quorum of fresh answers', () => {
    const c = new Checker(() => 0);
    const s = sentinel('s0', A);
    c.onEvent(s, s.core.state, event('+try-failover'));
    expect(c.violations[0]).toContain('started a failover of 10.0.1.1:6379 (sdown=false) with 0 fresh agreeing answers, quorum 2');

    const ok = new Checker(() => 0);
    s.core.state.masters.get(MASTER_NAME)!.flags.sdown = true;
    const yes = { type: 'array' as const, items: [{ type: 'integer' as const, value: 1 }, { type: 'string' as const, value: '*' }, { type: 'integer' as const, value: 0 }] };
    ok.onMasterDownAnswer(s, '10.0.0.2', ['SENTINEL', 'is-master-down-by-addr', '10.0.1.1', '6379', '0', '*'], yes);
    ok.onEvent(s, s.core.state, event('+try-failover'));
    expect(ok.violations).toEqual([]);

    const elsewhere = new Checker(() => 0);
    elsewhere.onMasterDownAnswer(s, '10.0.0.2', ['SENTINEL', 'is-master-down-by-addr', '10.0.1.9', '6379', '0', '*'], yes);
    elsewhere.onEvent(s, s.core.state, event('+try-failover'));
    expect(elsewhere.violations).toHaveLength(1);
  });

  it('SLAVEOF NO ONE to a replica with replica-priority 0, or from a sentinel that was not elected', () => {
    const sched = new Scheduler();
    const net = new Network(sched, new Rng(1));
    const env = { now: () => 0, rng: new Rng(2), net, at: () => undefined, all: () => [] };
    const zero = new SimRedis('r1', '10.0.1.2', 6379, 0, { role: 'slave', masterHost: '10.0.1.1', masterPort: 6379 }, env);
    const c = new Checker(() => 0);
    const s = sentinel('s0', A);
    c.onSlaveOfNoOne(s, s.core.state, { instance: 999, purpose: 'ignore' }, zero);
    expect(c.violations).toEqual([
      'at 0ms: s0 sent SLAVEOF NO ONE to r1, whose replica-priority is 0',
      'at 0ms: s0 sent SLAVEOF NO ONE to r1, which it does not monitor as a replica',
    ]);
  });
});
