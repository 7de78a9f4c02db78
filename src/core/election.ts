import { sameAddress } from './address.js';
import type { MasterInstance } from './instance.js';
import type { StepContext } from './step-context.js';

/**
 * Epochs and leader elections: our vote, as peers ask for it and as our own
 * failover casts it, counting votes, and the order in which sentinels start.
 */

/** Moves our current epoch up to one seen from a peer; it is persisted before anything acts on it. */
export function adoptNewerEpoch(cx: StepContext, m: MasterInstance, epoch: bigint): void {
  if (epoch <= cx.settings.currentEpoch) return;
  cx.settings.currentEpoch = epoch;
  cx.persist();
  cx.emit('warning', '+new-epoch', m, String(cx.settings.currentEpoch), false);
}

/** Casts (or recalls) this sentinel's vote for a master's failover leader in an epoch. */
export function vote(cx: StepContext, m: MasterInstance, reqEpoch: bigint, reqRunid: string): { leader: string | null; epoch: bigint } {
  adoptNewerEpoch(cx, m, reqEpoch);
  if (m.leaderEpoch < reqEpoch && cx.settings.currentEpoch <= reqEpoch) {
    m.leader = reqRunid;
    m.leaderEpoch = cx.settings.currentEpoch;
    cx.persist();
    cx.emit('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`, false);
    if (m.leader.toLowerCase() !== cx.settings.myid.toLowerCase()) {
      m.failoverStartTime = cx.now + cx.randomInt(cx.state.maxDesyncMs);
      m.electionRetryEpoch = 0n;
    }
  }
  return { leader: m.leader, epoch: m.leaderEpoch };
}

/** SENTINEL IS-MASTER-DOWN-BY-ADDR, as asked by a peer. */
export function isMasterDownByAddr(
  cx: StepContext,
  ip: string,
  port: number,
  reqEpoch: bigint,
  runid: string,
): { down: boolean; leader: string; epoch: bigint } {
  const addr = cx.address(ip, port);
  const m = typeof addr === 'string' ? undefined : [...cx.masters.values()].find((x) => sameAddress(x.addr, addr));
  const down = !cx.state.tilt && m !== undefined && m.flags.sdown;
  if (m && runid.toLowerCase() !== '*') {
    const v = vote(cx, m, reqEpoch, runid);
    return { down, leader: v.leader ?? '*', epoch: v.epoch };
  }
  return { down, leader: '*', epoch: 0n };
}

/**
 * Beyond Redis: this sentinel's place, by run id, among itself and the peers that may start a
 * failover of this master now. A peer counts unless it is SDOWN or disconnected (a dead peer
 * delays nobody), or it said it sees the master up since this sentinel saw it go down, less
 * than a rank delay ago. So a peer whose answer says down counts, and so does one whose answer
 * is missing or getting old (it may be stalled, may have started since, or its answer may be
 * on its way): this sentinel, back from a stall of its own, does not take its stale view as
 * leave to go first.
 */
export function startRank(cx: StepContext, m: MasterInstance): number {
  const now = cx.now;
  const me = cx.settings.myid.toLowerCase();
  const upAnswerValidMs = Math.max(cx.tuning.failoverRankDelayMs, cx.tuning.askPeriodWhileSdownMs ?? 0);
  let rank = 0;
  for (const s of m.sentinels.values()) {
    if (s.flags.sdown || s.link.disconnected || s.runid === null || s.runid.toLowerCase() > me) continue;
    const answered = s.lastMasterDownReplyTime >= m.sDownSinceTime;
    const saysUp = answered && !s.flags.masterDown && now - s.lastMasterDownReplyTime <= upAnswerValidMs;
    if (!saysUp) rank++;
  }
  return rank;
}

/** The run id that won the election for `epoch`, if a majority and the quorum agree on it; casts our vote. */
export function getLeader(cx: StepContext, m: MasterInstance, epoch: bigint): string | null {
  const peerVotes: string[] = [];
  // Beyond Redis: only votes given in the election's own epoch count. Redis counts the votes of
  // its current epoch, so once a newer epoch has begun (a peer's SENTINEL FAILOVER, say), the
  // votes peers give this sentinel in it would elect it for its older attempt, whose epoch may
  // already have a leader: two leaders of one epoch, promoting two replicas under one config epoch.
  for (const s of m.sentinels.values()) {
    if (s.leader !== null && s.leaderEpoch === epoch) peerVotes.push(s.leader);
  }
  // Our own vote goes to the favourite, or to ourselves when nobody voted yet.
  const mine = vote(cx, m, epoch, tally(peerVotes).winner ?? cx.settings.myid);
  const ownVote = mine.leader !== null && mine.epoch === epoch ? mine.leader : null;
  const winner = electionWinner(peerVotes, ownVote, m.sentinels.size + 1, m.quorum);
  recordTally(cx, m, epoch, ownVote, winner);
  return winner;
}

/** Beyond Redis: keeps who voted for whom in this count, for SENTINEL EXPLAIN and the not-elected log lines. */
function recordTally(cx: StepContext, m: MasterInstance, epoch: bigint, ownVote: string | null, winner: string | null): void {
  const votes = [{ voter: cx.settings.myid, votedFor: ownVote }];
  for (const s of m.sentinels.values()) votes.push({ voter: s.name, votedFor: s.leader !== null && s.leaderEpoch === epoch ? s.leader : null });
  const needed = Math.max(Math.floor((m.sentinels.size + 1) / 2) + 1, m.quorum);
  m.lastElection = { epoch, time: cx.now, votes, needed, winner };
}

/** Votes per run id, in order of first vote, and the first run id to get the most. */
export function tally(votes: Iterable<string>): { counts: Map<string, number>; winner: string | null; most: number } {
  const counts = new Map<string, number>();
  for (const v of votes) counts.set(v, (counts.get(v) ?? 0) + 1);
  let winner: string | null = null;
  let most = 0;
  for (const [runid, n] of counts) {
    if (n > most) {
      most = n;
      winner = runid;
    }
  }
  return { counts, winner, most };
}

/**
 * The winner of an election among `voters` sentinels: the peers' favourite, or the run id our
 * own vote went to if that gives it strictly more; elected with a majority and the quorum.
 */
export function electionWinner(peerVotes: readonly string[], ownVote: string | null, voters: number, quorum: number): string | null {
  let { counts, winner, most } = tally(peerVotes);
  if (ownVote !== null) {
    const n = (counts.get(ownVote) ?? 0) + 1;
    if (n > most) {
      most = n;
      winner = ownVote;
    }
  }
  if (winner === null || most < Math.floor(voters / 2) + 1 || most < quorum) return null;
  return winner;
}

/**
 * Beyond Redis, what is known of our election in `failoverEpoch`: `lost` when a peer has the
 * votes it needs, or we have voted for a peer in a newer epoch; `leaderless` when every voter's
 * vote in the epoch is known (ours included) and nobody has a majority; else `open`.
 */
export function electionOutcome(cx: StepContext, m: MasterInstance): 'open' | 'lost' | 'leaderless' {
  const epoch = m.failoverEpoch;
  const me = cx.settings.myid.toLowerCase();
  if (m.leaderEpoch > epoch && m.leader !== null && m.leader.toLowerCase() !== me) return 'lost';
  // A majority, not our own max(quorum, majority): a peer configured with a lower quorum is
  // elected with a bare majority, and calling that election leaderless would fail over twice.
  const needed = Math.floor((m.sentinels.size + 1) / 2) + 1;
  const votes = new Map<string, number>();
  let unknown = 0;
  const count = (runid: string | null, votedIn: bigint) => {
    if (runid === null || votedIn !== epoch) unknown++;
    else votes.set(runid.toLowerCase(), (votes.get(runid.toLowerCase()) ?? 0) + 1);
  };
  count(m.leader, m.leaderEpoch);
  for (const s of m.sentinels.values()) count(s.leader, s.leaderEpoch);
  for (const [runid, n] of votes) if (n >= needed && runid !== me) return 'lost';
  if (unknown > 0 || cx.settings.currentEpoch !== epoch) return 'open';
  return Math.max(0, ...votes.values()) < needed ? 'leaderless' : 'open';
}
