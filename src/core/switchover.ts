import type { ObservedReply } from './actions.js';
import type { FailoverState, MasterInstance, ReplicaInstance, Switchover } from './instance.js';
import { send } from './links.js';
import { findReplica } from './roster.js';
import type { StepContext } from './step-context.js';
import { COORDINATED_GRACE_MS, COORDINATED_POLL_MS } from './timing.js';

/*
 * Beyond Redis: `SENTINEL FAILOVER <master> [TO <ip> <port>] [COORDINATED] [TIMEOUT <ms>]`.
 *
 * TO promotes the replica named, if it could be chosen at all. COORDINATED hands the role over
 * with Redis's own FAILOVER command, sent to the master: it holds writes (CLIENT PAUSE WRITE),
 * waits until the replica has acknowledged its whole replication stream, then turns itself into
 * that replica's replica and tells it to take over (PSYNC FAILOVER). Every write it acknowledged
 * is then on the new master. The sentinel sends that instead of SLAVEOF NO ONE and watches the
 * replica turn master; the rest is an ordinary failover (same epoch rules, the other replicas
 * repointed, the hello with the new config epoch that peers follow).
 *
 * The master's FAILOVER always carries a TIMEOUT: past it, the master gives up and lets writes
 * through by itself. The sentinel never sends FAILOVER ABORT: once the master is handing over
 * (failover-in-progress), an abort would make it master again while the replica may already
 * have been promoted, two masters; before that, the master's own timeout does the same job.
 */

export interface SwitchoverRequest {
  /** TO <ip> <port>, as typed. */
  target: { host: string; port: number } | null;
  coordinated: boolean;
  timeoutMs: number;
}

/** The switchover of the failover under way, until its outcome is known; null for any other failover. */
export function runningSwitchover(m: MasterInstance): Switchover | null {
  const sw = m.switchover;
  if (sw === null || sw.outcome !== null || sw.epoch !== m.failoverEpoch || !m.flags.failoverInProgress) return null;
  return sw;
}

/**
 * Why a replica cannot be promoted, or null if it can: the exclusions selectReplica applies
 * (kept in step with it), and for a coordinated handover a link to the master that is up.
 */
export function replicaRefusal(cx: StepContext, m: MasterInstance, r: ReplicaInstance, coordinated: boolean): string | null {
  const now = cx.now;
  const t = cx.timings;
  const maxMasterDownTime = (m.flags.sdown ? now - m.sDownSinceTime : 0) + m.downAfterMs * 10;
  const infoValidity = m.flags.sdown ? t.pingPeriod * 5 : t.infoPeriod * 3;
  if (r.flags.sdown || r.flags.odown) return 'it is down';
  if (r.link.disconnected) return 'it is disconnected';
  if (now - r.link.lastAvailTime > t.pingPeriod * 5) return `it has not answered a PING for ${now - r.link.lastAvailTime} ms`;
  if (r.slavePriority === 0) return 'its replica-priority is 0';
  if (now - r.infoRefresh > infoValidity) return `its INFO is ${now - r.infoRefresh} ms old`;
  if (r.masterLinkDownTime > maxMasterDownTime) return `its link to the master has been down for ${r.masterLinkDownTime} ms`;
  if (coordinated && !r.slaveMasterLinkUp) return 'its link to the master is down';
  return null;
}

/** The replica TO names, or the error line: unknown, or one that cannot be promoted. */
export function findTarget(cx: StepContext, m: MasterInstance, req: SwitchoverRequest): ReplicaInstance | string {
  if (req.target === null) return 'ERR No such replica with that address';
  const addr = cx.address(req.target.host, req.target.port);
  const r = typeof addr === 'string' ? undefined : findReplica(cx, m, addr);
  if (!r) return 'ERR No such replica with that address';
  const refused = replicaRefusal(cx, m, r, req.coordinated);
  return refused === null ? r : `NOGOODSLAVE Replica ${r.name} cannot be promoted: ${refused}`;
}

/** Why the master cannot hand over its role now, or null: it must be up, and know itself a master. */
export function masterRefusal(m: MasterInstance): string | null {
  if (m.flags.sdown || m.link.disconnected) return 'ERR The master is down or unreachable: a coordinated failover needs it';
  if (m.roleReported !== 'master') return 'ERR The master does not report role:master: a coordinated failover needs it';
  return null;
}

/** The chosen replica, if TO named one and it is still known. */
export function namedReplica(cx: StepContext, m: MasterInstance, sw: Switchover): ReplicaInstance | undefined {
  return sw.target === null ? undefined : findReplica(cx, m, sw.target);
}

/**
 * FAILOVER TO <replica as the master lists it> TIMEOUT <ms> to the master, then INFO, whose
 * reply shows where the handover stands. False if it could not be queued.
 */
export function sendHandover(cx: StepContext, m: MasterInstance, sw: Switchover, r: ReplicaInstance): boolean {
  const args = ['FAILOVER', 'TO', r.addr.hostname, String(r.addr.port), 'TIMEOUT', String(sw.timeoutMs)];
  if (!send(cx, m, 'cc', args, 'switchover')) return false;
  send(cx, m, 'cc', ['INFO'], 'info');
  sw.sentAt = cx.now;
  sw.lastPollAt = cx.now;
  cx.log('notice', `Coordinated failover of '${m.name}': FAILOVER TO ${r.name} TIMEOUT ${sw.timeoutMs} sent to the master, writes held until the replica has caught up`);
  return true;
}

/** The master's answer to FAILOVER: the error line when it refused, null when it accepted. */
export function handoverAnswered(sw: Switchover, reply: ObservedReply): string | null {
  if (reply.type === 'error') return reply.value;
  sw.accepted = true;
  return null;
}

/** What an INFO reply of the master, read after it accepted FAILOVER, says of the handover. */
export function masterInfoSeen(sw: Switchover, text: string): void {
  if (!sw.accepted) return;
  const role = infoField(text, 'role');
  const state = infoField(text, 'master_failover_state');
  if (role === 'slave' || state === 'failover-in-progress') sw.handingOver = true;
  else if (role === 'master' && state === 'no-failover' && !sw.handingOver) sw.masterGaveUp = true;
}

function infoField(text: string, name: string): string | null {
  const at = text.indexOf(`\r\n${name}:`);
  if (at < 0) return null;
  const start = at + name.length + 3;
  const end = text.indexOf('\r\n', start);
  return text.slice(start, end < 0 ? text.length : end);
}

/** INFO from the master and the replica, often, while the handover runs: the switch is seen at once. */
export function pollHandover(cx: StepContext, m: MasterInstance, sw: Switchover, r: ReplicaInstance | null): void {
  if (cx.now - sw.lastPollAt < COORDINATED_POLL_MS) return;
  sw.lastPollAt = cx.now;
  for (const ri of [m, r]) {
    if (ri && !ri.link.disconnected && ri.link.pendingCommands < POLL_MAX_PENDING) send(cx, ri, 'cc', ['INFO'], 'info');
  }
}

/** A stalled instance is not sent more INFO than this many unanswered commands. */
const POLL_MAX_PENDING = 10;

export interface HandoverAbort {
  event: string;
  /** The error line for the client. */
  error: string;
}

/** Whether the handover has failed: the master gave up or refused, or stayed silent past TIMEOUT. Null while it may still succeed. */
export function handoverVerdict(cx: StepContext, sw: Switchover, replicaName: string): HandoverAbort | null {
  const elapsed = cx.now - sw.sentAt;
  const timedOut: HandoverAbort = {
    event: '-failover-abort-coordinated-timeout',
    error: `ERR Failover aborted: replica ${replicaName} did not catch up within ${sw.timeoutMs} ms; the master stays master`,
  };
  if (sw.masterGaveUp) {
    if (elapsed >= sw.timeoutMs) return timedOut;
    return {
      event: '-failover-abort-coordinated-aborted',
      error: `ERR Failover aborted: the master gave up the handover to ${replicaName} before the timeout; the master stays master`,
    };
  }
  // Once the master hands over, its role is gone: the failover runs to its end (or to failover-timeout).
  if (!sw.handingOver && elapsed > sw.timeoutMs + COORDINATED_GRACE_MS) return timedOut;
  return null;
}

/** The error a waiting client gets when a switchover's failover was aborted at some state. */
export function abortedError(state: FailoverState): string {
  switch (state) {
    case 'select_slave':
      return 'ERR Failover aborted: the replica could no longer be promoted';
    case 'send_slaveof_noone':
      return 'ERR Failover aborted: the chosen replica could not be reached';
    case 'wait_promotion':
      return 'ERR Failover aborted: the chosen replica was not promoted in time';
    default:
      return 'ERR Failover aborted';
  }
}
