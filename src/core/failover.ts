import { announced, type Address } from './address.js';
import { electionOutcome, getLeader, startRank } from './election.js';
import { logNoGoodReplica, logNoQuorumOnce, logNotElected, promotionOrder, quickRetryAllowed } from './explain.js';
import { seesDown } from './failure-detection.js';
import { forceHelloUpdate } from './hello-out.js';
import type { ObservedReply } from './actions.js';
import type { Instance, MasterInstance, ReplicaInstance } from './instance.js';
import { send } from './links.js';
import type { StepContext } from './step-context.js';
import {
  abortedError,
  findTarget,
  handoverAnswered,
  handoverVerdict,
  masterInfoSeen,
  masterRefusal,
  namedReplica,
  pollHandover,
  replicaRefusal,
  runningSwitchover,
  sendHandover,
  type SwitchoverRequest,
} from './switchover.js';

/**
 * The failover of a master we lead (§7–8 of the reference): when to start,
 * the election's outcome, replica selection and promotion, and repointing
 * the other replicas. The address switch that ends it is reconfiguration.ts.
 */

export const SIM_CRASH_AFTER_ELECTION = 1;
export const SIM_CRASH_AFTER_PROMOTION = 2;

export function startFailover(cx: StepContext, m: MasterInstance): void {
  const now = cx.now;
  m.failoverState = 'wait_start';
  m.failoverStateChangeTime = now;
  m.flags.failoverInProgress = true;
  // A uint64_t in Redis: past 2^64-1 it wraps to 0.
  cx.settings.currentEpoch = BigInt.asUintN(64, cx.settings.currentEpoch + 1n);
  m.failoverEpoch = cx.settings.currentEpoch;
  cx.emit('warning', '+new-epoch', m, String(cx.settings.currentEpoch), false);
  cx.emit('warning', '+try-failover', m);
  m.failoverStartTime = now + cx.randomInt(cx.state.maxDesyncMs);
  m.failoverStateChangeTime = now;
}

/** Starts a failover of an ODOWN master unless one ran too recently; true when it started. */
export function startFailoverIfNeeded(cx: StepContext, m: MasterInstance): boolean {
  if (!m.flags.odown) {
    m.electionRetryEpoch = 0n;
    m.quickRetries = 0;
    logNoQuorumOnce(cx, m);
  }
  if (!m.flags.odown || m.flags.failoverInProgress) {
    m.startWait = null;
    return false;
  }
  const now = cx.now;
  if (!startWaitOver(cx, m, now)) return false;
  const withinRetryDelay = now - m.failoverStartTime < m.failoverTimeoutMs * 2;
  const quickRetry = withinRetryDelay && quickRetryAllowed(cx, m);
  if (withinRetryDelay && !quickRetry) {
    if (m.failoverDelayLogged !== m.failoverStartTime) {
      cx.log('warning', 'Next failover delay: I will not start a failover before', m.failoverStartTime + m.failoverTimeoutMs * 2);
      m.failoverDelayLogged = m.failoverStartTime;
    }
    return false;
  }
  if (quickRetry) m.quickRetries++;
  m.startWait = null;
  m.electionRetryEpoch = 0n;
  startFailover(cx, m);
  return true;
}

/** Beyond Redis: the start jitter and the rank delay (see Tuning); true at once without them. */
function startWaitOver(cx: StepContext, m: MasterInstance, now: number): boolean {
  const { failoverStartJitterMs: jitter, failoverRankDelayMs: rankMs, failoverRankDelayTicks: rankTicks } = cx.tuning;
  if (jitter <= 0 && rankMs <= 0 && rankTicks <= 0) return true;
  m.startWait ??= { since: now, ticks: 0, jitterMs: jitter > 0 ? 1 + cx.randomInt(jitter) : 0 };
  const w = m.startWait;
  w.ticks++;
  const rank = rankMs > 0 || rankTicks > 0 ? startRank(cx, m) : 0;
  return now >= w.since + w.jitterMs + rank * rankMs && w.ticks > rank * rankTicks;
}

/** SENTINEL FAILOVER: no agreement needed. Returns the error text, or null once started. */
export function userFailover(cx: StepContext, m: MasterInstance): string | null {
  if (m.flags.failoverInProgress) return 'INPROG Failover already in progress';
  if (!selectReplica(cx, m)) return 'NOGOODSLAVE No suitable replica to promote';
  cx.log('warning', `Executing user requested FAILOVER of '${m.name}'`);
  startFailover(cx, m);
  m.flags.forceFailover = true;
  m.switchover = null;
  return null;
}

/**
 * Beyond Redis: SENTINEL FAILOVER with TO / COORDINATED. Forced like the plain form (no
 * election, a new epoch); refused at once when the replica named, or the master for a
 * coordinated handover, is not fit. Returns the error text, or null once started.
 */
export function userSwitchover(cx: StepContext, m: MasterInstance, req: SwitchoverRequest): string | null {
  if (m.flags.failoverInProgress) return 'INPROG Failover already in progress';
  const target = req.target === null ? null : findTarget(cx, m, req);
  if (typeof target === 'string') return target;
  if (target === null && !selectReplica(cx, m)) return 'NOGOODSLAVE No suitable replica to promote';
  if (req.coordinated) {
    const refused = masterRefusal(m);
    if (refused !== null) return refused;
  }
  cx.log('warning', `Executing user requested FAILOVER of '${m.name}'`);
  const how = [target ? `TO ${target.name}` : '', req.coordinated ? `COORDINATED TIMEOUT ${req.timeoutMs}` : ''];
  cx.log('notice', `FAILOVER of '${m.name}' ${how.filter(Boolean).join(' ')}`);
  startFailover(cx, m);
  m.flags.forceFailover = true;
  m.switchover = {
    epoch: m.failoverEpoch,
    target: target ? { ...target.addr } : null,
    coordinated: req.coordinated,
    timeoutMs: req.timeoutMs,
    sentAt: 0,
    accepted: false,
    handingOver: false,
    masterGaveUp: false,
    lastPollAt: 0,
    outcome: null,
  };
  return null;
}

/** The best replica to promote, or null: Redis's exclusions, then priority, offset and run id. */
export function selectReplica(cx: StepContext, m: MasterInstance): ReplicaInstance | null {
  const now = cx.now;
  const t = cx.timings;
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
  candidates.sort(promotionOrder);
  return candidates[0] ?? null;
}

/**
 * MULTI / SLAVEOF / CONFIG REWRITE / CLIENT KILL TYPE normal / CLIENT KILL TYPE pubsub / EXEC,
 * pipelined on the command connection; `to` null means SLAVEOF NO ONE. False if it could not be queued.
 */
export function sendSlaveOf(cx: StepContext, ri: Instance, to: Address | null): boolean {
  const target = to === null ? ['NO', 'ONE'] : [announced(to, cx.settings.announceHostnames), String(to.port)];
  const commands = [
    ['MULTI'],
    ['SLAVEOF', ...target],
    ['CONFIG', 'REWRITE'],
    ['CLIENT', 'KILL', 'TYPE', 'normal'],
    ['CLIENT', 'KILL', 'TYPE', 'pubsub'],
    ['EXEC'],
  ];
  for (const args of commands) if (!send(cx, ri, 'cc', args, 'ignore')) return false;
  return true;
}

export function abortFailover(m: MasterInstance, now: number): void {
  const sw = runningSwitchover(m);
  if (sw) sw.outcome = abortedError(m.failoverState);
  m.flags.failoverInProgress = false;
  m.flags.forceFailover = false;
  m.failoverState = 'none';
  m.failoverStateChangeTime = now;
  if (m.promoted) {
    m.promoted.flags.promoted = false;
    m.promoted = null;
  }
}

export function runFailoverStateMachine(cx: StepContext, m: MasterInstance): void {
  if (!m.flags.failoverInProgress) return;
  switch (m.failoverState) {
    case 'wait_start':
      waitStart(cx, m);
      break;
    case 'select_slave':
      selectSlaveState(cx, m);
      break;
    case 'send_slaveof_noone':
      sendSlaveOfNoOne(cx, m);
      break;
    case 'wait_promotion':
      if (runningSwitchover(m)?.coordinated && watchHandover(cx, m)) break;
      if (cx.now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
        cx.emit('warning', '-failover-abort-slave-timeout', m);
        abortFailover(m, cx.now);
      }
      break;
    case 'reconf_slaves':
      reconfigureReplicas(cx, m);
      break;
    default:
      break;
  }
}

function waitStart(cx: StepContext, m: MasterInstance): void {
  const now = cx.now;
  const leader = getLeader(cx, m, m.failoverEpoch);
  const isLeader = leader !== null && leader.toLowerCase() === cx.settings.myid.toLowerCase();
  if (!isLeader && !m.flags.forceFailover) {
    const electionTimeout = Math.min(cx.timings.electionTimeout, m.failoverTimeoutMs);
    const outcome = cx.tuning.retryLeaderlessElection ? electionOutcome(cx, m) : 'open';
    if (outcome !== 'open' || now - m.failoverStartTime > electionTimeout) {
      cx.emit('warning', '-failover-abort-not-elected', m);
      logNotElected(cx, m);
      abortFailover(m, now);
      // Our own vote in that epoch went to us: one given to a peer defers our attempt, as in Redis.
      const votedForUs = m.leaderEpoch === m.failoverEpoch && m.leader?.toLowerCase() === cx.settings.myid.toLowerCase();
      if (outcome === 'leaderless' && votedForUs) m.electionRetryEpoch = m.failoverEpoch;
    }
    return;
  }
  cx.emit('warning', '+elected-leader', m);
  if (cx.state.simFailureFlags & SIM_CRASH_AFTER_ELECTION) cx.crash();
  m.failoverState = 'select_slave';
  m.failoverStateChangeTime = now;
  cx.emit('warning', '+failover-state-select-slave', m);
}

function selectSlaveState(cx: StepContext, m: MasterInstance): void {
  const sw = runningSwitchover(m);
  if (sw?.target) {
    selectNamedReplica(cx, m);
    return;
  }
  const replica = selectReplica(cx, m);
  if (!replica) {
    cx.emit('warning', '-failover-abort-no-good-slave', m);
    logNoGoodReplica(cx, m);
    abortFailover(m, cx.now);
    return;
  }
  selectForPromotion(cx, m, replica);
}

/** The replica chosen (by Redis's rules, or named by TO) becomes the one the failover promotes. */
function selectForPromotion(cx: StepContext, m: MasterInstance, replica: ReplicaInstance): void {
  cx.emit('warning', '+selected-slave', replica);
  replica.flags.promoted = true;
  m.promoted = replica;
  m.failoverState = 'send_slaveof_noone';
  m.failoverStateChangeTime = cx.now;
  cx.emit('notice', '+failover-state-send-slaveof-noone', replica);
}

function sendSlaveOfNoOne(cx: StepContext, m: MasterInstance): void {
  const promoted = m.promoted;
  const now = cx.now;
  if (!promoted) return;
  // Beyond Redis: a replica we see SDOWN is not told to become master either; its link may only look connected.
  if (promoted.link.disconnected || promoted.flags.sdown || seesDown(cx, promoted)) {
    if (now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
      cx.emit('warning', '-failover-abort-slave-timeout', m);
      abortFailover(m, now);
    }
    return;
  }
  const sw = runningSwitchover(m);
  if (sw?.coordinated) {
    if (m.link.disconnected || m.flags.sdown) {
      abortSwitchover(cx, m, '-failover-abort-coordinated-master-down', 'ERR Failover aborted: the master is down or unreachable');
      return;
    }
    if (!sendHandover(cx, m, sw, promoted)) return;
  } else {
    if (!sendSlaveOf(cx, promoted, null)) return;
    if (cx.tuning.infoAfterSlaveof) send(cx, promoted, 'cc', ['INFO'], 'info');
  }
  cx.emit('notice', '+failover-state-wait-promotion', promoted);
  m.failoverState = 'wait_promotion';
  m.failoverStateChangeTime = now;
}

function reconfigureReplicas(cx: StepContext, m: MasterInstance): void {
  const now = cx.now;
  const promoted = m.promoted;
  const replicas = [...m.replicas.values()];
  let inProgress = replicas.filter((r) => r.flags.reconfSent || r.flags.reconfInprog).length;

  for (const r of replicas) {
    if (inProgress >= m.parallelSyncs) break;
    if (r.flags.promoted || r.flags.reconfDone) continue;
    // A replica stuck in reconf_sent is given up on; it is not skipped in this same pass (as in Redis).
    if (r.flags.reconfSent && now - r.slaveReconfSentTime > cx.timings.slaveReconfTimeout) {
      cx.emit('notice', '-slave-reconf-sent-timeout', r);
      r.flags.reconfSent = false;
      r.flags.reconfDone = true;
    }
    if (r.flags.reconfSent || r.flags.reconfInprog) continue;
    if (r.link.disconnected || !promoted) continue;
    if (sendSlaveOf(cx, r, promoted.addr)) {
      if (cx.tuning.infoAfterSlaveof) send(cx, r, 'cc', ['INFO'], 'info');
      r.flags.reconfSent = true;
      r.slaveReconfSentTime = now;
      cx.emit('notice', '+slave-reconf-sent', r);
      inProgress++;
    }
  }
  detectEndOfReconfiguration(cx, m);
}

function detectEndOfReconfiguration(cx: StepContext, m: MasterInstance): void {
  const now = cx.now;
  const promoted = m.promoted;
  if (!promoted || promoted.flags.sdown) return;
  let notReconfigured = [...m.replicas.values()].filter(
    (r) => !r.flags.promoted && !r.flags.reconfDone && !r.flags.sdown,
  ).length;
  let timedOut = false;
  if (now - m.failoverStateChangeTime > m.failoverTimeoutMs) {
    notReconfigured = 0;
    timedOut = true;
    cx.emit('warning', '+failover-end-for-timeout', m);
  }
  if (notReconfigured !== 0) return;
  cx.emit('warning', '+failover-end', m);
  m.failoverState = 'update_config';
  m.failoverStateChangeTime = now;
  if (!timedOut) return;
  for (const r of m.replicas.values()) {
    if (r.flags.promoted || r.flags.reconfDone || r.flags.reconfSent || r.link.disconnected) continue;
    if (sendSlaveOf(cx, r, promoted.addr)) {
      cx.emit('notice', '+slave-reconf-sent-be', r);
      r.flags.reconfSent = true;
    }
  }
}

/** The replica we promoted now reports role:master: on to reconfiguring the others. False if it is not that. */
export function observePromotion(cx: StepContext, r: ReplicaInstance): boolean {
  const m = r.master;
  if (!r.flags.promoted || !m.flags.failoverInProgress || m.failoverState !== 'wait_promotion') return false;
  const sw = runningSwitchover(m);
  if (sw) sw.outcome = '';
  if (m.failoverEpoch > m.configEpoch) m.configEpoch = m.failoverEpoch;
  m.failoverState = 'reconf_slaves';
  m.failoverStateChangeTime = cx.now;
  cx.persist();
  cx.emit('warning', '+promoted-slave', r);
  if (cx.state.simFailureFlags & SIM_CRASH_AFTER_PROMOTION) cx.crash();
  cx.emit('warning', '+failover-state-reconf-slaves', m);
  queueClientReconfig(cx, m, 'leader', m.addr, r.addr);
  forceHelloUpdate(cx, m);
  // The old master follows the new one already; this saves that in its config and drops its clients, as a conversion would.
  if (sw?.coordinated) sendSlaveOf(cx, m, r.addr);
  return true;
}

/** Beyond Redis: TO named the replica; it is promoted only if it still could be chosen. */
function selectNamedReplica(cx: StepContext, m: MasterInstance): void {
  const sw = m.switchover!;
  const replica = namedReplica(cx, m, sw);
  const refused = replica ? replicaRefusal(cx, m, replica, sw.coordinated) : 'it is no longer known';
  if (!replica || refused !== null) {
    const name = `${sw.target!.ip}:${sw.target!.port}`;
    abortSwitchover(cx, m, '-failover-abort-target-not-eligible', `ERR Failover aborted: replica ${name} cannot be promoted: ${refused}`, refused ?? '');
    return;
  }
  selectForPromotion(cx, m, replica);
}

/** Beyond Redis: the failover of a switchover ends here, its reason logged and kept for the waiting client. */
function abortSwitchover(cx: StepContext, m: MasterInstance, event: string, error: string, detail = ''): void {
  const sw = runningSwitchover(m);
  if (sw) sw.outcome = error;
  cx.emit('warning', event, m, detail);
  cx.log('warning', `Coordinated failover of '${m.name}' aborted: ${error.replace(/^ERR /, '')}`);
  abortFailover(m, cx.now);
}

/** A coordinated handover under way: polled, and aborted when it failed. True while it is still on. */
function watchHandover(cx: StepContext, m: MasterInstance): boolean {
  const sw = runningSwitchover(m)!;
  const promoted = m.promoted;
  if (!promoted) return false;
  const failed = handoverVerdict(cx, sw, promoted.name);
  if (failed) {
    abortSwitchover(cx, m, failed.event, failed.error);
    return true;
  }
  pollHandover(cx, m, sw, promoted);
  // Once the master hands over, the ordinary bound applies (failover-timeout, -failover-abort-slave-timeout).
  return !sw.handingOver;
}

/** Beyond Redis: the master's answer to a coordinated handover's FAILOVER. */
export function onHandoverReply(cx: StepContext, m: MasterInstance, reply: ObservedReply): void {
  const sw = runningSwitchover(m);
  if (!sw || m.failoverState !== 'wait_promotion') return;
  const refused = handoverAnswered(sw, reply);
  if (refused !== null) abortSwitchover(cx, m, '-failover-abort-coordinated-refused', `ERR Failover aborted: the master refused FAILOVER: ${refused}`, refused);
}

/** Beyond Redis: an INFO reply of a master whose coordinated handover is under way. */
export function onHandoverMasterInfo(cx: StepContext, m: MasterInstance, text: string): void {
  const sw = runningSwitchover(m);
  if (!sw?.coordinated || m.failoverState !== 'wait_promotion') return;
  masterInfoSeen(sw, text);
  const promoted = m.promoted;
  const failed = promoted ? handoverVerdict(cx, sw, promoted.name) : null;
  if (failed) abortSwitchover(cx, m, failed.event, failed.error);
}

/** The client-reconfig-script, if the master has one, told of a switch. */
export function queueClientReconfig(cx: StepContext, m: MasterInstance, role: 'leader' | 'observer', from: Address, to: Address): void {
  if (!m.clientReconfigScript) return;
  const show = (a: Address) => [announced(a, cx.settings.announceHostnames), String(a.port)];
  cx.state.scripts.add([m.clientReconfigScript, m.name, role, 'start', ...show(from), ...show(to)]);
}
