import type { ElectionTally, MasterInstance, ReplicaInstance } from './instance.js';
import type { StepContext } from './step-context.js';
import { MAX_QUICK_ELECTION_RETRIES } from './timing.js';

/**
 * Beyond Redis: why a master's failover would not start now, whether it could be won, and why
 * each replica could or could not be promoted, as plain data (SENTINEL EXPLAIN) and as log
 * lines (when a failover aborts or cannot start). The replica criteria are those of
 * selectReplica in failover.ts (Redis's sentinelSelectSlave), each checked on its own so that
 * every one a replica fails is named; test/unit/core-explain.test.ts keeps the two choosing the
 * same replica. Reads the state, but for the mark that a missing ODOWN was logged.
 */

export type ReplicaExclusion =
  | { kind: 's_down' }
  | { kind: 'o_down' }
  | { kind: 'disconnected' }
  | { kind: 'no-ping-reply'; ms: number; limitMs: number }
  | { kind: 'priority-0' }
  | { kind: 'info-stale'; ms: number; limitMs: number; never: boolean }
  | { kind: 'master-link-down'; ms: number; limitMs: number };

export interface ReplicaVerdict {
  replica: ReplicaInstance;
  /** Empty when the replica could be promoted. */
  exclusions: ReplicaExclusion[];
}

/** Every replica of `m` with the promotion criteria it fails now. */
export function replicaVerdicts(cx: StepContext, m: MasterInstance): ReplicaVerdict[] {
  const now = cx.now;
  const t = cx.timings;
  // Redis's limits: replicas are asked for INFO every second once the master is SDOWN, and a
  // replica's link to the master may have been down since the master went down, plus 10 × down-after.
  const maxMasterDownTime = (m.flags.sdown ? now - m.sDownSinceTime : 0) + m.downAfterMs * 10;
  const infoValidity = m.flags.sdown ? t.pingPeriod * 5 : t.infoPeriod * 3;
  const pingLimit = t.pingPeriod * 5;
  return [...m.replicas.values()].map((r) => {
    const exclusions: ReplicaExclusion[] = [];
    if (r.flags.sdown) exclusions.push({ kind: 's_down' });
    if (r.flags.odown) exclusions.push({ kind: 'o_down' });
    if (r.link.disconnected) exclusions.push({ kind: 'disconnected' });
    const silent = now - r.link.lastAvailTime;
    if (silent > pingLimit) exclusions.push({ kind: 'no-ping-reply', ms: silent, limitMs: pingLimit });
    if (r.slavePriority === 0) exclusions.push({ kind: 'priority-0' });
    const infoAge = now - r.infoRefresh;
    if (infoAge > infoValidity) exclusions.push({ kind: 'info-stale', ms: infoAge, limitMs: infoValidity, never: r.infoRefresh === 0 });
    if (r.masterLinkDownTime > maxMasterDownTime) {
      exclusions.push({ kind: 'master-link-down', ms: r.masterLinkDownTime, limitMs: maxMasterDownTime });
    }
    return { replica: r, exclusions };
  });
}

/** The replica a failover would promote: the eligible one first in Redis's order (priority, offset, run id). */
export function chosenReplica(verdicts: readonly ReplicaVerdict[]): ReplicaInstance | null {
  const eligible = verdicts.filter((v) => v.exclusions.length === 0).map((v) => v.replica);
  eligible.sort(promotionOrder);
  return eligible[0] ?? null;
}

/** Redis's order of promotion among eligible replicas: lower priority, then more data, then run id. */
export function promotionOrder(a: ReplicaInstance, b: ReplicaInstance): number {
  if (a.slavePriority !== b.slavePriority) return a.slavePriority - b.slavePriority;
  if (a.slaveReplOffset !== b.slaveReplOffset) return a.slaveReplOffset > b.slaveReplOffset ? -1 : 1;
  if (a.runid === null) return b.runid === null ? 0 : 1;
  if (b.runid === null) return -1;
  const x = a.runid.toLowerCase();
  const y = b.runid.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `code: what` for one exclusion; the code is stable, the rest is for people. */
export function exclusionText(e: ReplicaExclusion): string {
  switch (e.kind) {
    case 's_down':
      return 's_down: down (subjectively, as this sentinel sees it)';
    case 'o_down':
      return 'o_down: down (objectively)';
    case 'disconnected':
      return 'disconnected: link down';
    case 'no-ping-reply':
      return `no-ping-reply: no reply to PING for ${e.ms} ms, limit ${e.limitMs} ms`;
    case 'priority-0':
      return 'priority-0: replica-priority 0, never promoted';
    case 'info-stale':
      return e.never
        ? `info-stale: no INFO reply yet, limit ${e.limitMs} ms`
        : `info-stale: INFO stale by ${e.ms - e.limitMs} ms (last reply ${e.ms} ms ago, limit ${e.limitMs} ms)`;
    case 'master-link-down':
      return `master-link-down: link to the master down for ${e.ms} ms, ${e.ms - e.limitMs} ms beyond the limit of ${e.limitMs} ms`;
  }
}

/** What a peer said of the master, as the ODOWN count reads it. */
export type PeerOpinion = 'down' | 'up' | 'no-answer';

export interface PeerView {
  runid: string;
  ip: string;
  port: number;
  opinion: PeerOpinion;
  linkUp: boolean;
  sdown: boolean;
  /** Its last known vote and the epoch it was cast in; null when none is known. */
  votedFor: string | null;
  voteEpoch: bigint;
}

export type StartBlocker =
  | { kind: 'tilt'; remainingMs: number }
  | { kind: 'master-up' }
  | { kind: 'no-quorum'; agreeing: number; quorum: number }
  | { kind: 'failover-in-progress'; state: string; epoch: bigint }
  | { kind: 'retry-delay'; remainingMs: number; votedFor: string | null };

export interface ReplicaView {
  name: string;
  ip: string;
  port: number;
  runid: string | null;
  priority: number;
  offset: number;
  eligible: boolean;
  reasons: string[];
}

export interface MasterExplanation {
  name: string;
  /** Empty when a failover would start now (or at once after the start delay of the fast tuning). */
  blockers: StartBlocker[];
  /** Sentinels that see the master down now, this one included, as the ODOWN check counts them. */
  agreeing: number;
  quorum: number;
  voters: number;
  /** Votes a leader needs: a majority of the voters and at least the quorum. */
  votesNeeded: number;
  /** This sentinel and the peers neither SDOWN nor disconnected: the most votes an election could get. */
  votersReachable: number;
  failoverState: string;
  failoverEpoch: bigint;
  /** The replica a failover would promote now; null when none can be. */
  selected: ReplicaView | null;
  replicas: ReplicaView[];
  peers: PeerView[];
  myVote: { leader: string | null; epoch: bigint };
  lastElection: ElectionTally | null;
}

/** Everything SENTINEL EXPLAIN reports on one master, now. */
export function explainMaster(cx: StepContext, m: MasterInstance): MasterExplanation {
  const verdicts = replicaVerdicts(cx, m);
  const chosen = chosenReplica(verdicts);
  const replicas = verdicts.map(replicaView);
  const voters = m.sentinels.size + 1;
  let reachable = 1;
  for (const s of m.sentinels.values()) if (!s.flags.sdown && !s.link.disconnected) reachable++;
  return {
    name: m.name,
    blockers: startBlockers(cx, m),
    agreeing: sentinelsAgreeingDown(cx, m),
    quorum: m.quorum,
    voters,
    votesNeeded: Math.max(Math.floor(voters / 2) + 1, m.quorum),
    votersReachable: reachable,
    failoverState: m.failoverState,
    failoverEpoch: m.failoverEpoch,
    selected: chosen === null ? null : (replicas.find((r) => r.name === chosen.name) ?? null),
    replicas,
    peers: peerViews(cx, m),
    myVote: { leader: m.leader, epoch: m.leaderEpoch },
    lastElection: m.lastElection,
  };
}

function replicaView(v: ReplicaVerdict): ReplicaView {
  const r = v.replica;
  return {
    name: r.name,
    ip: r.addr.ip,
    port: r.addr.port,
    runid: r.runid,
    priority: r.slavePriority,
    offset: r.slaveReplOffset,
    eligible: v.exclusions.length === 0,
    reasons: v.exclusions.map(exclusionText),
  };
}

/** The ODOWN count of failure-detection.ts: this sentinel when it sees SDOWN, and every peer whose fresh answer says down. */
export function sentinelsAgreeingDown(cx: StepContext, m: MasterInstance): number {
  if (!m.flags.sdown) return 0;
  let votes = 1;
  for (const s of m.sentinels.values()) if (s.flags.masterDown && cx.now - s.lastMasterDownReplyTime <= 5 * cx.timings.askPeriod) votes++;
  return votes;
}

function peerViews(cx: StepContext, m: MasterInstance): PeerView[] {
  return [...m.sentinels.values()].map((s) => {
    const fresh = cx.now - s.lastMasterDownReplyTime <= 5 * cx.timings.askPeriod;
    const answered = fresh && s.lastMasterDownReplyTime >= m.sDownSinceTime;
    return {
      runid: s.name,
      ip: s.addr.ip,
      port: s.addr.port,
      opinion: s.flags.masterDown && fresh ? 'down' : answered ? 'up' : 'no-answer',
      linkUp: !s.link.disconnected,
      sdown: s.flags.sdown,
      votedFor: s.leader,
      voteEpoch: s.leaderEpoch,
    };
  });
}

/** Why startFailoverIfNeeded (failover.ts) would not start a failover of `m` now; empty when it would. */
export function startBlockers(cx: StepContext, m: MasterInstance): StartBlocker[] {
  const now = cx.now;
  const blockers: StartBlocker[] = [];
  if (cx.state.tilt) blockers.push({ kind: 'tilt', remainingMs: Math.max(0, cx.state.tiltStartTime + cx.timings.tiltPeriod - now) });
  if (!m.flags.sdown) blockers.push({ kind: 'master-up' });
  else if (!m.flags.odown) blockers.push({ kind: 'no-quorum', agreeing: sentinelsAgreeingDown(cx, m), quorum: m.quorum });
  if (m.flags.failoverInProgress) {
    blockers.push({ kind: 'failover-in-progress', state: m.failoverState, epoch: m.failoverEpoch });
  } else if (now - m.failoverStartTime < m.failoverTimeoutMs * 2 && !quickRetryAllowed(cx, m)) {
    const votedForPeer = m.leader !== null && m.leader.toLowerCase() !== cx.settings.myid.toLowerCase() ? m.leader : null;
    blockers.push({ kind: 'retry-delay', remainingMs: m.failoverStartTime + m.failoverTimeoutMs * 2 - now, votedFor: votedForPeer });
  }
  return blockers;
}

/**
 * Beyond Redis: our last election could elect nobody, we voted for ourselves in it, for no peer
 * since, and know of no newer epoch, so nobody else can be running a newer election we would
 * compete with. Votes are per epoch: a retry in a new epoch cannot make two leaders of one.
 * A few such retries per ODOWN episode at most, so that no pathology can churn epochs.
 */
export function quickRetryAllowed(cx: StepContext, m: MasterInstance): boolean {
  return (
    cx.tuning.retryLeaderlessElection &&
    m.electionRetryEpoch !== 0n &&
    m.electionRetryEpoch === cx.settings.currentEpoch &&
    m.quickRetries < MAX_QUICK_ELECTION_RETRIES
  );
}

export function blockerText(b: StartBlocker): string {
  switch (b.kind) {
    case 'tilt':
      return `tilt: in TILT mode, ${b.remainingMs} ms left`;
    case 'master-up':
      return 'master-up: the master is not subjectively down (s_down)';
    case 'no-quorum':
      return `no-quorum: ${b.agreeing} sentinel(s) see the master down, quorum is ${b.quorum} (no o_down)`;
    case 'failover-in-progress':
      return `failover-in-progress: state ${b.state}, epoch ${b.epoch}`;
    case 'retry-delay':
      return b.votedFor === null
        ? `retry-delay: a failover started less than 2 x failover-timeout ago, ${b.remainingMs} ms left`
        : `retry-delay: voted for ${b.votedFor} in its failover, ${b.remainingMs} ms left of 2 x failover-timeout`;
  }
}

// ---------------------------------------------------------------- log lines

/** Beyond Redis: after -failover-abort-no-good-slave, one log line per replica on why it could not be promoted. */
export function logNoGoodReplica(cx: StepContext, m: MasterInstance): void {
  const verdicts = replicaVerdicts(cx, m);
  if (verdicts.length === 0) {
    cx.log('notice', `Failover of ${m.name}: no replica can be promoted: no replicas known`);
    return;
  }
  for (const v of verdicts) {
    const why = v.exclusions.length === 0 ? 'eligible' : v.exclusions.map(exclusionText).join('; ');
    cx.log('notice', `Failover of ${m.name}: replica ${v.replica.name} ${v.exclusions.length === 0 ? 'is' : 'excluded:'} ${why}`);
  }
}

/** Beyond Redis: after -failover-abort-not-elected, who voted for whom in the election's last count. */
export function logNotElected(cx: StepContext, m: MasterInstance): void {
  const t = m.lastElection;
  if (t === null || t.epoch !== m.failoverEpoch) {
    cx.log('notice', `Failover of ${m.name}: not elected in epoch ${m.failoverEpoch}: no votes were counted`);
    return;
  }
  const counts = new Map<string, number>();
  for (const v of t.votes) if (v.votedFor !== null) counts.set(v.votedFor, (counts.get(v.votedFor) ?? 0) + 1);
  const best = Math.max(0, ...counts.values());
  const votes = t.votes.map((v) => `${v.voter} -> ${v.votedFor ?? '(no vote known)'}`).join(', ');
  const rule = `${t.needed} votes needed (a majority of ${t.votes.length} voters, and the quorum ${m.quorum})`;
  const outcome =
    t.winner === null
      ? `nobody has the ${rule}; the most anyone got is ${best}`
      : `${t.winner} has ${counts.get(t.winner) ?? 0} votes, ${rule}`;
  cx.log('notice', `Failover of ${m.name}: not elected in epoch ${t.epoch}: ${outcome}`);
  cx.log('notice', `Failover of ${m.name}: votes in epoch ${t.epoch}: ${votes}`);
}

/**
 * Beyond Redis: once per SDOWN episode, when the master has been SDOWN for five ask periods
 * (every reachable peer has been asked several times) without ODOWN, which peers see it up.
 */
export function logNoQuorumOnce(cx: StepContext, m: MasterInstance): void {
  if (!m.flags.sdown || m.flags.odown || m.noOdownExplained === m.sDownSinceTime) return;
  if (cx.now - m.sDownSinceTime < 5 * cx.timings.askPeriod) return;
  m.noOdownExplained = m.sDownSinceTime;
  const peers = peerViews(cx, m).map((p) => `${p.runid} ${p.ip}:${p.port} ${p.linkUp ? p.opinion : 'disconnected'}`);
  cx.log(
    'notice',
    `No failover of ${m.name}: ${sentinelsAgreeingDown(cx, m)} sentinel(s) see the master down, quorum is ${m.quorum}` +
      (peers.length === 0 ? '; no other sentinels known' : `; peers: ${peers.join(', ')}`),
  );
}
