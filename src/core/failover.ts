import { isIP } from 'node:net';
import { announced, sameAddress, type Address } from './address.js';
import type { Instance, MasterInstance, ReplicaInstance } from './instance.js';
import type { SentinelCore } from './sentinel.js';
import { MAX_QUICK_ELECTION_RETRIES } from './timing.js';

/**
 * The failover: election, replica selection and promotion, repointing the
 * other replicas, and the switch of the master address (§7–8 of the reference).
 * Functions of the core's state; they act through the core's outbox.
 */

export const SIM_CRASH_AFTER_ELECTION = 1;
export const SIM_CRASH_AFTER_PROMOTION = 2;

export function startFailover(core: SentinelCore, m: MasterInstance): void {
  const now = core.now();
  m.failoverState = 'wait_start';
  m.failoverStateChangeTime = now;
  m.flags.failoverInProgress = true;
  m.failoverEpoch = ++core.currentEpoch;
  core.emit('warning', '+new-epoch', m, String(core.currentEpoch), false);
  core.emit('warning', '+try-failover', m);
  m.failoverStartTime = now + core.randomInt(core.maxDesyncMs);
  m.failoverStateChangeTime = now;
}

/** Starts a failover of an ODOWN master unless one ran too recently; true when it started. */
export function startFailoverIfNeeded(core: SentinelCore, m: MasterInstance): boolean {
  if (!m.flags.odown) {
    m.electionRetryEpoch = 0;
    m.quickRetries = 0;
  }
  if (!m.flags.odown || m.flags.failoverInProgress) {
    m.startWait = null;
    return false;
  }
  const now = core.now();
  if (!startWaitOver(core, m, now)) return false;
  const withinRetryDelay = now - m.failoverStartTime < m.failoverTimeoutMs * 2;
  const quickRetry = withinRetryDelay && quickRetryAllowed(core, m);
  if (withinRetryDelay && !quickRetry) {
    if (m.failoverDelayLogged !== m.failoverStartTime) {
      const notBefore = ctime(m.failoverStartTime + m.failoverTimeoutMs * 2);
      core.log('warning', `Next failover delay: I will not start a failover before ${notBefore}`);
      m.failoverDelayLogged = m.failoverStartTime;
    }
    return false;
  }
  if (quickRetry) m.quickRetries++;
  m.startWait = null;
  m.electionRetryEpoch = 0;
  startFailover(core, m);
  return true;
}

/** Beyond Redis: the start jitter and the rank delay (see Tuning); true at once without them. */
function startWaitOver(core: SentinelCore, m: MasterInstance, now: number): boolean {
  const { failoverStartJitterMs: jitter, failoverRankDelayMs: rankMs, failoverRankDelayTicks: rankTicks } = core.tuning;
  if (jitter <= 0 && rankMs <= 0 && rankTicks <= 0) return true;
  m.startWait ??= { since: now, ticks: 0, jitterMs: jitter > 0 ? 1 + core.randomInt(jitter) : 0 };
  const w = m.startWait;
  w.ticks++;
  const rank = rankMs > 0 || rankTicks > 0 ? startRank(core, m) : 0;
  return now >= w.since + w.jitterMs + rank * rankMs && w.ticks > rank * rankTicks;
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
export function startRank(core: SentinelCore, m: MasterInstance): number {
  const now = core.now();
  const me = core.myid.toLowerCase();
  const upAnswerValidMs = Math.max(core.tuning.failoverRankDelayMs, core.tuning.askPeriodWhileSdownMs ?? 0);
  let rank = 0;
  for (const s of m.sentinels.values()) {
    if (s.flags.sdown || s.link.disconnected || s.runid === null || s.runid.toLowerCase() > me) continue;
    const answered = s.lastMasterDownReplyTime >= m.sDownSinceTime;
    const saysUp = answered && !s.flags.masterDown && now - s.lastMasterDownReplyTime <= upAnswerValidMs;
    if (!saysUp) rank++;
  }
  return rank;
}

/**
 * Beyond Redis: our last election could elect nobody, we voted for ourselves in it, for no peer
 * since, and know of no newer epoch, so nobody else can be running a newer election we would
 * compete with. Votes are per epoch: a retry in a new epoch cannot make two leaders of one.
 * A few such retries per ODOWN episode at most, so that no pathology can churn epochs.
 */
function quickRetryAllowed(core: SentinelCore, m: MasterInstance): boolean {
  return (
    core.tuning.retryLeaderlessElection &&
    m.electionRetryEpoch !== 0 &&
    m.electionRetryEpoch === core.currentEpoch &&
    m.quickRetries < MAX_QUICK_ELECTION_RETRIES
  );
}

/** SENTINEL FAILOVER: no agreement needed. Returns the error text, or null once started. */
export function userFailover(core: SentinelCore, m: MasterInstance): string | null {
  if (m.flags.failoverInProgress) return 'INPROG Failover already in progress';
  if (!selectReplica(core, m)) return 'NOGOODSLAVE No suitable replica to promote';
  core.log('warning', `Executing user requested FAILOVER of '${m.name}'`);
  startFailover(core, m);
  m.flags.forceFailover = true;
  return null;
}

/** The run id that won the election for `epoch`, if a majority and the quorum agree on it. */
export function getLeader(core: SentinelCore, m: MasterInstance, epoch: number): string | null {
  const votes = new Map<string, number>();
  const voters = m.sentinels.size + 1;
  for (const s of m.sentinels.values()) {
    if (s.leader !== null && s.leaderEpoch === core.currentEpoch) votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1);
  }
  let winner: string | null = null;
  let maxVotes = 0;
  for (const [runid, n] of votes) {
    if (n > maxVotes) {
      maxVotes = n;
      winner = runid;
    }
  }
  // Our own vote goes to the favourite, or to ourselves when nobody voted yet.
  const mine = core.vote(m, epoch, winner ?? core.myid);
  if (mine.leader !== null && mine.epoch === epoch) {
    const n = (votes.get(mine.leader) ?? 0) + 1;
    votes.set(mine.leader, n);
    if (n > maxVotes) {
      maxVotes = n;
      winner = mine.leader;
    }
  }
  if (winner !== null && (maxVotes < Math.floor(voters / 2) + 1 || maxVotes < m.quorum)) return null;
  return winner;
}

/**
 * Beyond Redis, what is known of our election in `failoverEpoch`: `lost` when a peer has the
 * votes it needs, or we have voted for a peer in a newer epoch; `leaderless` when every voter's
 * vote in the epoch is known (ours included) and nobody has a majority; else `open`.
 */
export function electionOutcome(core: SentinelCore, m: MasterInstance): 'open' | 'lost' | 'leaderless' {
  const epoch = m.failoverEpoch;
  const me = core.myid.toLowerCase();
  if (m.leaderEpoch > epoch && m.leader !== null && m.leader.toLowerCase() !== me) return 'lost';
  // A majority, not our own max(quorum, majority): a peer configured with a lower quorum is
  // elected with a bare majority, and calling that election leaderless would fail over twice.
  const needed = Math.floor((m.sentinels.size + 1) / 2) + 1;
  const votes = new Map<string, number>();
  let unknown = 0;
  const count = (runid: string | null, votedIn: number) => {
    if (runid === null || votedIn !== epoch) unknown++;
    else votes.set(runid.toLowerCase(), (votes.get(runid.toLowerCase()) ?? 0) + 1);
  };
  count(m.leader, m.leaderEpoch);
  for (const s of m.sentinels.values()) count(s.leader, s.leaderEpoch);
  for (const [runid, n] of votes) if (n >= needed && runid !== me) return 'lost';
  if (unknown > 0 || core.currentEpoch !== epoch) return 'open';
  return Math.max(0, ...votes.values()) < needed ? 'leaderless' : 'open';
}

/** The best replica to promote, or null: Redis's exclusions, then priority, offset and run id. */
export function selectReplica(core: SentinelCore, m: MasterInstance): ReplicaInstance | null {
  const now = core.now();
  const t = core.timings;
  const maxMasterDownTime = (m.flags.sdown ? now - m.sDownSinceTime : 0) + m.downAfterMs * 10;
  const infoValidity = m.flags.sdown ? t.pingPeriod * 5 : t.infoPeriod * 3;
  const candidates = [...m.replicas.values()].filter(
    (r) =>
      !r.flags.sdown &&
      !r.flags.odown &&
      !r.link.disconnected &&
      now - r.link.lastAvailTime <= t.pingPeriod * 5 &&
      r.slavePriority !== 0 &&
      now - r.infoRefresh <= infoValidity &&
      r.masterLinkDownTime <= maxMasterDownTime,
  );
  candidates.sort(compareReplicas);
  return candidates[0] ?? null;
}

function compareReplicas(a: ReplicaInstance, b: ReplicaInstance): number {
  if (a.slavePriority !== b.slavePriority) return a.slavePriority - b.slavePriority;
  if (a.slaveReplOffset !== b.slaveReplOffset) return a.slaveReplOffset > b.slaveReplOffset ? -1 : 1;
  if (a.runid === null) return b.runid === null ? 0 : 1;
  if (b.runid === null) return -1;
  const x = a.runid.toLowerCase();
  const y = b.runid.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * MULTI / SLAVEOF / CONFIG REWRITE / CLIENT KILL TYPE normal / CLIENT KILL TYPE pubsub / EXEC,
 * pipelined on the command connection; `to` null means SLAVEOF NO ONE. False if it could not be queued.
 */
export function sendSlaveOf(core: SentinelCore, ri: Instance, to: Address | null): boolean {
  const target = to === null ? ['NO', 'ONE'] : [announced(to, core.announceHostnames), String(to.port)];
  const commands = [
    ['MULTI'],
    ['SLAVEOF', ...target],
    ['CONFIG', 'REWRITE'],
    ['CLIENT', 'KILL', 'TYPE', 'normal'],
    ['CLIENT', 'KILL', 'TYPE', 'pubsub'],
    ['EXEC'],
  ];
  for (const args of commands) if (!core.send(ri, 'cc', args, 'ignore')) return false;
  return true;
}

export function abortFailover(m: MasterInstance, now: number): void {
  m.flags.failoverInProgress = false;
  m.flags.forceFailover = false;
  m.failoverState = 'none';
  m.failoverStateChangeTime = now;
  if (m.promoted) {
    m.promoted.flags.promoted = false;
    m.promoted = null;
  }
}

export function runFailoverStateMachine(core: SentinelCore, m: MasterInstance): void {
  if (!m.flags.failoverInProgress) return;
  switch (m.failoverState) {
    case 'wait_start':
      waitStart(core, m);
      break;
    case 'select_slave':
      selectSlaveState(core, m);
      break;
    case 'send_slaveof_noone':
      sendSlaveOfNoOne(core, m);
      break;
    case 'wait_promotion':
      if (core.now() - m.failoverStateChangeTime > m.failoverTimeoutMs) {
        core.emit('warning', '-failover-abort-slave-timeout', m);
        abortFailover(m, core.now());
      }
      break;
    case 'reconf_slaves':
      reconfigureReplicas(core, m);
      break;
    default:
      break;
  }
}

function waitStart(core: SentinelCore, m: MasterInstance): void {
  const now = core.now();
  const leader = getLeader(core, m, m.failoverEpoch);
  const isLeader = leader !== null && leader.toLowerCase() === core.myid.toLowerCase();
  if (!isLeader && !m.flags.forceFailover) {
    const electionTimeout = Math.min(core.timings.electionTimeout, m.failoverTimeoutMs);
    const outcome = core.tuning.retryLeaderlessElection ? electionOutcome(core, m) : 'open';
    if (outcome !== 'open' || now - m.failoverStartTime > electionTimeout) {
      core.emit('warning', '-failover-abort-not-elected', m);
      abortFailover(m, now);
      // Our own vote in that epoch went to us: one given to a peer defers our attempt, as in Redis.
      const votedForUs = m.leaderEpoch === m.failoverEpoch && m.leader?.toLowerCase() === core.myid.toLowerCase();
      if (outcome === 'leaderless' && votedForUs) m.electionRetryEpoch = m.failoverEpoch;
    }
    return;
  }
  core.emit('warning', '+elected-leader', m);
  if (core.simFailureFlags & SIM_CRASH_AFTER_ELECTION) core.crash();
  m.failoverState = 'select_slave';
  m.failoverStateChangeTime = now;
  core.emit('warning', '+failover-state-select-slave', m);
}

function selectSlaveState(core: SentinelCore, m: MasterInstance): void {
  const replica = selectReplica(core, m);
  if (!replica) {
    core.emit('warning', '-failover-abort-no-good-slave', m);
    abortFailover(m, core.now());
    return;
  }
  core.emit('warning', '+selected-slave', replica);
  replica.flags.promoted = true;
  m.promoted = replica;
  m.failoverState = 'send_slaveof_noone';
  m.failoverStateChangeTime = core.now();
  core.emit('notice', '+failover-state-send-slaveof-noone', replica);
}

function sendSlaveOfNoOne(core: SentinelCore, m: MasterInstance): void {
  const promoted = m.promoted;
  const now = core.now();
  if (!promoted) return;
  // Beyond Redis: a replica we see SDOWN is not told to become master either; its link may only look connected.
  if (promoted.link.disconnected || promoted.flags.sdown || core.seesDown(promoted)) {
    if (now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
      core.emit('warning', '-failover-abort-slave-timeout', m);
      abortFailover(m, now);
    }
    return;
  }
  if (!sendSlaveOf(core, promoted, null)) return;
  if (core.tuning.infoAfterSlaveof) core.send(promoted, 'cc', ['INFO'], 'info');
  core.emit('notice', '+failover-state-wait-promotion', promoted);
  m.failoverState = 'wait_promotion';
  m.failoverStateChangeTime = now;
}

function reconfigureReplicas(core: SentinelCore, m: MasterInstance): void {
  const now = core.now();
  const promoted = m.promoted;
  const replicas = [...m.replicas.values()];
  let inProgress = replicas.filter((r) => r.flags.reconfSent || r.flags.reconfInprog).length;

  for (const r of replicas) {
    if (inProgress >= m.parallelSyncs) break;
    if (r.flags.promoted || r.flags.reconfDone) continue;
    // A replica stuck in reconf_sent is given up on; it is not skipped in this same pass (as in Redis).
    if (r.flags.reconfSent && now - r.slaveReconfSentTime > core.timings.slaveReconfTimeout) {
      core.emit('notice', '-slave-reconf-sent-timeout', r);
      r.flags.reconfSent = false;
      r.flags.reconfDone = true;
    }
    if (r.flags.reconfSent || r.flags.reconfInprog) continue;
    if (r.link.disconnected || !promoted) continue;
    if (sendSlaveOf(core, r, promoted.addr)) {
      if (core.tuning.infoAfterSlaveof) core.send(r, 'cc', ['INFO'], 'info');
      r.flags.reconfSent = true;
      r.slaveReconfSentTime = now;
      core.emit('notice', '+slave-reconf-sent', r);
      inProgress++;
    }
  }
  detectEndOfReconfiguration(core, m);
}

function detectEndOfReconfiguration(core: SentinelCore, m: MasterInstance): void {
  const now = core.now();
  const promoted = m.promoted;
  if (!promoted || promoted.flags.sdown) return;
  let notReconfigured = [...m.replicas.values()].filter(
    (r) => !r.flags.promoted && !r.flags.reconfDone && !r.flags.sdown,
  ).length;
  let timedOut = false;
  if (now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
    notReconfigured = 0;
    timedOut = true;
    core.emit('warning', '+failover-end-for-timeout', m);
  }
  if (notReconfigured !== 0) return;
  core.emit('warning', '+failover-end', m);
  m.failoverState = 'update_config';
  m.failoverStateChangeTime = now;
  if (!timedOut) return;
  for (const r of m.replicas.values()) {
    if (r.flags.promoted || r.flags.reconfDone || r.flags.reconfSent || r.link.disconnected) continue;
    if (sendSlaveOf(core, r, promoted.addr)) {
      core.emit('notice', '+slave-reconf-sent-be', r);
      r.flags.reconfSent = true;
    }
  }
}

/** The end of a failover we led: clients, peers and the config learn the new master. */
export function switchToPromoted(core: SentinelCore, m: MasterInstance): void {
  const to = m.promoted ? m.promoted.addr : m.addr;
  core.emit('warning', '+switch-master', m, `${m.name} ${addrText(core, m.addr)} ${addrText(core, to)}`, false);
  resetMasterAndChangeAddress(core, m, to.hostname, to.port);
}

function addrText(core: SentinelCore, a: Address): string {
  return `${announced(a, core.announceHostnames)} ${a.port}`;
}

/**
 * Points a master at a new address: the old replicas, and the old master
 * itself, become the replicas of the new one. Peers are kept.
 */
export function resetMasterAndChangeAddress(core: SentinelCore, m: MasterInstance, host: string, port: number): boolean {
  const next = core.address(host, port);
  if (typeof next === 'string') return false;
  const keep: Address[] = [];
  for (const r of m.replicas.values()) if (!sameAddress(r.addr, next)) keep.push({ ...r.addr });
  if (!sameAddress(next, m.addr)) keep.push({ ...m.addr });
  core.resetMaster(m, { keepSentinels: true, announce: false });
  m.addr = next;
  m.addressGeneration++;
  m.oDownSinceTime = 0;
  m.sDownSinceTime = 0;
  forgetAboutOldAddress(core, m);
  for (const a of keep) {
    const r = core.createReplica(m, a);
    if (r) core.emit('notice', '+slave', r);
  }
  core.flushConfig();
  return true;
}

/**
 * Beyond Redis: nothing learnt about the old address may judge the new one.
 * Redis keeps its peers' "master is down" answers (about the dead master) and
 * reconnects to the new address only after its reconnect throttle, so with a
 * short down-after it can see the new master SDOWN, then ODOWN, and fail over
 * a second time. We connect at once and drop those answers.
 */
function forgetAboutOldAddress(core: SentinelCore, m: MasterInstance): void {
  m.link.lastReconnTime = 0;
  for (const s of m.sentinels.values()) {
    s.flags.masterDown = false;
    s.leader = null;
    s.lastMasterDownReplyTime = core.now() - 5 * core.timings.askPeriod - 1;
  }
}

/** Hellos may have told us of a newer configuration of this master at another address. */
export function followNewerConfig(core: SentinelCore, m: MasterInstance, fromSentinel: Instance, ip: string, port: number): void {
  // Beyond Redis: compared with the address we now give out, so a failover of ours that a newer
  // configuration overtook is abandoned instead of finishing under the newer epoch.
  const current = core.currentMasterAddress(m);
  if (port === current.port && hostMatches(core, current, ip)) return;
  core.emit('warning', '+config-update-from', fromSentinel);
  core.emit('warning', '+switch-master', m, `${m.name} ${addrText(core, current)} ${ip} ${port}`, false);
  if (resetMasterAndChangeAddress(core, m, ip, port)) {
    core.queueClientReconfig(m, 'observer', current, m.addr);
  }
}

/** Does `host`, as an instance reported it, name this address? Names are looked up only with resolve-hostnames. */
export function hostMatches(core: SentinelCore, addr: Address, host: string): boolean {
  const ip = core.resolveHostnames ? core.resolveHost(host) : isIP(host) ? host : null;
  if (ip !== null) return ip.toLowerCase() === addr.ip.toLowerCase();
  return (core.resolveHostnames ? addr.hostname : addr.ip).toLowerCase() === host.toLowerCase();
}

export function masterLooksSane(core: SentinelCore, m: MasterInstance): boolean {
  return (
    m.roleReported === 'master' &&
    !m.flags.sdown &&
    !m.flags.odown &&
    core.now() - m.infoRefresh < core.timings.infoPeriod * 2
  );
}

export function noDownFor(core: SentinelCore, ri: Instance, ms: number): boolean {
  const mostRecent = Math.max(ri.sDownSinceTime, ri.oDownSinceTime);
  return mostRecent === 0 || core.now() - mostRecent > ms;
}

/**
 * The acting half of INFO processing for replicas (skipped in TILT): promotion
 * observed, replicas claiming to be masters converted, misconfigured ones fixed,
 * and reconfiguration progress.
 */
export function actOnReplicaInfo(core: SentinelCore, r: ReplicaInstance): void {
  const m = r.master;
  const now = core.now();
  if (r.roleReported === 'master') {
    if (r.flags.promoted && m.flags.failoverInProgress && m.failoverState === 'wait_promotion') {
      m.configEpoch = Math.max(m.configEpoch, m.failoverEpoch);
      m.failoverState = 'reconf_slaves';
      m.failoverStateChangeTime = now;
      core.flushConfig();
      core.emit('warning', '+promoted-slave', r);
      if (core.simFailureFlags & SIM_CRASH_AFTER_PROMOTION) core.crash();
      core.emit('warning', '+failover-state-reconf-slaves', m);
      core.queueClientReconfig(m, 'leader', m.addr, r.addr);
      core.forceHelloUpdate(m);
    } else {
      const wait = core.timings.publishPeriod * 4;
      if (
        !r.flags.promoted &&
        masterLooksSane(core, m) &&
        noDownFor(core, r, wait) &&
        now - r.roleReportedTime > wait &&
        sendSlaveOf(core, r, m.addr)
      ) {
        core.emit('notice', '+convert-to-slave', r);
      }
    }
  }

  if (
    r.roleReported === 'slave' &&
    (r.slaveMasterPort !== m.addr.port || r.slaveMasterHost === null || !hostMatches(core, m.addr, r.slaveMasterHost))
  ) {
    const wait = m.failoverTimeoutMs;
    if (
      masterLooksSane(core, m) &&
      noDownFor(core, r, wait) &&
      now - r.slaveConfChangeTime > wait &&
      sendSlaveOf(core, r, m.addr)
    ) {
      core.emit('notice', '+fix-slave-config', r);
    }
  }

  if (r.roleReported === 'slave' && (r.flags.reconfSent || r.flags.reconfInprog) && m.promoted) {
    if (
      r.flags.reconfSent &&
      r.slaveMasterHost !== null &&
      hostMatches(core, m.promoted.addr, r.slaveMasterHost) &&
      r.slaveMasterPort === m.promoted.addr.port
    ) {
      r.flags.reconfSent = false;
      r.flags.reconfInprog = true;
      core.emit('notice', '+slave-reconf-inprog', r);
    }
    if (r.flags.reconfInprog && r.slaveMasterLinkUp) {
      r.flags.reconfInprog = false;
      r.flags.reconfDone = true;
      core.emit('notice', '+slave-reconf-done', r);
    }
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C's ctime() without the newline, in local time: `Sun Nov 21 22:20:12 2026`. */
export function ctime(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`;
}
