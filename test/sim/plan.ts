import type { Timings } from '../../src/core/timing.js';
import { CLEAN_NETWORK, type NetworkQuality } from './network.js';
import { Rng } from './rng.js';

/**
 * Injected as SENTINEL DEBUG would set them: ping and ask keep Redis's 1000 ms;
 * the long periods are cut 2-6x, with down-after 1000 and failover-timeout 6000,
 * so that a schedule with several failovers lasts a few simulated seconds.
 */
export const SIM_TIMINGS: Partial<Timings> = {
  infoPeriod: 2000,
  pingPeriod: 1000,
  askPeriod: 1000,
  publishPeriod: 1000,
  tiltTrigger: 2000,
  tiltPeriod: 5000,
  slaveReconfTimeout: 3000,
  minLinkReconnectPeriod: 3000,
  electionTimeout: 3000,
};
export const DOWN_AFTER_MS = 1000;
export const FAILOVER_TIMEOUT_MS = 6000;
export const ASK_PERIOD_MS = SIM_TIMINGS.askPeriod as number;

export interface Topology {
  sentinels: number;
  quorum: number;
  /** One entry per replica (r1, r2, ...); r0 starts as the master. */
  replicaPriorities: number[];
}

/** `@master` in a partition group stands for whichever instance is master when the partition starts. */
export type Fault =
  | { kind: 'network'; quality: NetworkQuality }
  | { kind: 'partition'; groups: string[][]; healAfterMs: number | null }
  | { kind: 'clock-jump'; sentinel: number; deltaMs: number }
  | { kind: 'crash-sentinel'; sentinel: number; downMs: number }
  | { kind: 'kill-master'; downMs: number | null }
  | { kind: 'kill-replica'; redis: number; downMs: number }
  | { kind: 'manual-failover'; sentinel: number };

export interface TimedFault {
  at: number;
  fault: Fault;
}

/**
 * A loaded machine: from `from` to `to` the sentinels' event loops stall, each on its own
 * (stalls of `minStallMs`..`maxStallMs`, then 1..`maxRunMs` of running) and all together
 * (machine-wide episodes every `episodeGapMs`, each node stalling `episodeMs` give or take
 * 30 ms, starting within 15 ms of the others); overlapping stalls merge, up to
 * `maxContinuousStallMs`. A stalled process handles neither timers nor
 * messages; when it runs again it handles them in the daemon's order. The Redis instances
 * and the network are not slowed down.
 */
export interface Load {
  from: number;
  to: number;
  minStallMs: number;
  maxStallMs: number;
  maxRunMs: number;
  episodeGapMs: [number, number];
  episodeMs: [number, number];
  /** Overlapping stalls merge, but a process runs again after at most this long (TILT is another story). */
  maxContinuousStallMs: number;
}

export interface Plan {
  /** quiet: no faults, run to the deadline. */
  kind: 'chaos' | 'master-death' | 'quiet';
  seed: number;
  /** The daemon's --timing: fast (the default) or redis (redis-sentinel 7.0's timer and polling). */
  tuning: 'fast' | 'redis';
  topology: Topology;
  faults: TimedFault[];
  /** From here on the network is whole and every process is running (chaos), or nothing else happens. */
  healAt: number;
  /** Convergence must be reached (and held) before this. */
  deadline: number;
  /** Instances that are down when convergence is judged are left out (the dead master of master-death). */
  ignoreDownInstances: boolean;
  /** CPU starvation of the sentinels (only the starved master-death plans have it). */
  load?: Load;
}

export const WARMUP_MS = 1500;
/** Convergence must hold this long to count. */
export const STABLE_MS = 1500;
/** The bound on reaching agreement once faults have healed. */
export const CONVERGENCE_BOUND_MS = 60_000;

function topology(rng: Rng, allowPriorityZero: boolean): Topology {
  // Small topologies are most of the runs: they are cheaper and hit the same rules.
  const sentinels = rng.pick([3, 3, 3, 3, 3, 4, 4, 4, 5, 5]);
  const quorum = sentinels === 3 ? 2 : rng.int(2, 3);
  const replicaPriorities = Array.from({ length: rng.pick([1, 1, 1, 2, 2, 2, 2, 3, 3]) }, () => {
    if (allowPriorityZero && rng.chance(0.15)) return 0;
    return rng.chance(0.25) ? rng.int(1, 200) : 100;
  });
  return { sentinels, quorum, replicaPriorities };
}

export function nodeNames(t: Topology): { sentinels: string[]; redis: string[] } {
  return {
    sentinels: Array.from({ length: t.sentinels }, (_, i) => `s${i}`),
    redis: Array.from({ length: t.replicaPriorities.length + 1 }, (_, i) => `r${i}`),
  };
}

function partitionGroups(rng: Rng, t: Topology): string[][] {
  const { sentinels, redis } = nodeNames(t);
  switch (rng.int(0, 3)) {
    case 0:
      return [['@master']];
    case 1:
      return [[rng.pick(sentinels)]];
    case 2: {
      // The master with a minority of sentinels, cut off from the rest.
      const minority = sentinels.filter(() => rng.chance(0.4)).slice(0, Math.floor((t.sentinels - 1) / 2));
      return [['@master', ...minority]];
    }
    default: {
      const all = [...sentinels, ...redis];
      return [all.filter(() => rng.chance(0.5))];
    }
  }
}

function lossyNetwork(rng: Rng): NetworkQuality {
  const maxDelay = rng.int(2, 40);
  return {
    dropRate: rng.pick([0, 0.005, 0.02, 0.08]),
    dupRate: rng.pick([0, 0.05, 0.2]),
    minDelay: 1,
    maxDelay,
    stallRate: rng.pick([0, 0.002, 0.01]),
    stallMs: rng.int(300, 1500),
  };
}

function randomFault(rng: Rng, t: Topology): Fault {
  const r = rng.next();
  if (r < 0.28) return { kind: 'kill-master', downMs: rng.chance(0.5) ? null : rng.int(500, 10_000) };
  if (r < 0.48) return { kind: 'partition', groups: partitionGroups(rng, t), healAfterMs: rng.chance(0.3) ? null : rng.int(500, 8000) };
  if (r < 0.63) {
    const deltaMs = rng.chance(0.6) ? rng.int(300, 15_000) : -rng.int(300, 8000);
    return { kind: 'clock-jump', sentinel: rng.int(0, t.sentinels - 1), deltaMs };
  }
  if (r < 0.8) return { kind: 'crash-sentinel', sentinel: rng.int(0, t.sentinels - 1), downMs: rng.int(300, 8000) };
  if (r < 0.88) return { kind: 'kill-replica', redis: rng.int(1, t.replicaPriorities.length), downMs: rng.int(500, 8000) };
  if (r < 0.93) return { kind: 'manual-failover', sentinel: rng.int(0, t.sentinels - 1) };
  return { kind: 'network', quality: lossyNetwork(rng) };
}

/** Random faults over a random topology, then everything heals. */
export function chaosPlan(seed: number): Plan {
  const rng = new Rng(seed);
  const tuning = rng.chance(0.5) ? 'fast' : 'redis';
  const t = topology(rng, true);
  const chaosEnd = WARMUP_MS + rng.int(2000, 7000);
  const faults: TimedFault[] = [];
  if (rng.chance(0.5)) faults.push({ at: WARMUP_MS, fault: { kind: 'network', quality: lossyNetwork(rng) } });
  const n = rng.int(1, 6);
  for (let i = 0; i < n; i++) faults.push({ at: rng.int(WARMUP_MS, chaosEnd - 1), fault: randomFault(rng, t) });
  faults.sort((a, b) => a.at - b.at);
  return {
    kind: 'chaos',
    seed,
    tuning,
    topology: t,
    faults,
    healAt: chaosEnd,
    deadline: chaosEnd + CONVERGENCE_BOUND_MS,
    ignoreDownInstances: false,
  };
}

/** The master dies once, for good, on a clean network; nothing else happens. */
export function masterDeathPlan(seed: number): Plan {
  const rng = new Rng(seed);
  const tuning = rng.chance(0.5) ? 'fast' : 'redis';
  const t = topology(rng, false);
  const at = WARMUP_MS + rng.int(0, 1000);
  return deathAt(seed, tuning, t, at);
}

/** A plan in which the master dies at `at`, for good, on a clean network. */
function deathAt(seed: number, tuning: 'fast' | 'redis', t: Plan['topology'], at: number, load?: Load): Plan {
  return {
    kind: 'master-death',
    seed,
    tuning,
    topology: t,
    faults: [
      { at: 0, fault: { kind: 'network', quality: CLEAN_NETWORK } },
      { at, fault: { kind: 'kill-master', downMs: null } },
    ],
    healAt: at,
    deadline: at + CONVERGENCE_BOUND_MS,
    ignoreDownInstances: true,
    ...(load ? { load } : {}),
  };
}

/**
 * The master dies once, for good, on a clean network, while the sentinels are starved of CPU:
 * the load starts up to 1 s before the death and lasts 5 s after it, at one of three severities.
 */
export function starvedMasterDeathPlan(seed: number, tuning: 'fast' | 'redis' = 'fast'): Plan {
  const rng = new Rng(seed);
  const t = topology(rng, false);
  const at = WARMUP_MS + rng.int(0, 1000);
  const severity = rng.int(0, 2);
  const load: Load = {
    from: at - rng.int(0, 1000),
    to: at + 5000,
    minStallMs: 5,
    maxStallMs: [60, 150, 300][severity],
    maxRunMs: [100, 150, 200][severity],
    episodeGapMs: [150, 800],
    episodeMs: [20, [150, 300, 500][severity]],
    maxContinuousStallMs: 800,
  };
  return deathAt(seed, tuning, t, at, load);
}

/** No faults at all: nothing may go down, nobody may fail over. */
export function quietPlan(seed: number): Plan {
  const rng = new Rng(seed);
  const tuning = rng.chance(0.5) ? 'fast' : 'redis';
  const t = topology(rng, true);
  return {
    kind: 'quiet',
    seed,
    tuning,
    topology: t,
    faults: [],
    healAt: WARMUP_MS,
    deadline: WARMUP_MS + 8000,
    ignoreDownInstances: false,
  };
}

export function describePlan(p: Plan): string {
  const t = p.topology;
  const lines = [
    `${p.kind} seed ${p.seed} (${p.tuning} timing): ${t.sentinels} sentinels, quorum ${t.quorum}, replica priorities [${t.replicaPriorities.join(',')}]`,
    ...p.faults.map((f) => `  at ${f.at}ms: ${JSON.stringify(f.fault)}`),
    `  heal at ${p.healAt}ms, converge by ${p.deadline}ms`,
    ...(p.load ? [`  load ${JSON.stringify(p.load)}`] : []),
  ];
  return lines.join('\n');
}
