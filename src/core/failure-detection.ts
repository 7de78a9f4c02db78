import { announced } from './address.js';
import type { ObservedReply } from './actions.js';
import { heldAfterEmptyRestart, releaseEmptyRestartHold } from './empty-restart.js';
import type { Instance, MasterInstance, SentinelInstance } from './instance.js';
import { closeConnection, send } from './links.js';
import type { StepContext } from './step-context.js';

/**
 * Who is down: SDOWN from our own pings and INFO (closing links that stopped
 * answering), ODOWN from the peers' is-master-down answers, and asking them.
 */

/** How long the instance has gone without a valid reply, as SDOWN measures it. */
function unavailableFor(cx: StepContext, ri: Instance): number {
  const link = ri.link;
  if (link.actPingTime) return cx.now - link.actPingTime;
  if (link.disconnected) return cx.now - link.lastAvailTime;
  return 0;
}

/** Whether the SDOWN rules hold right now, whatever the flag says since the last check. */
export function seesDown(cx: StepContext, ri: Instance): boolean {
  return downCondition(cx, ri, unavailableFor(cx, ri));
}

function downCondition(cx: StepContext, ri: Instance, elapsed: number): boolean {
  const now = cx.now;
  return (
    elapsed > ri.downAfterMs ||
    (ri.kind === 'master' &&
      ri.roleReported === 'slave' &&
      now - ri.roleReportedTime > ri.downAfterMs + 2 * cx.timings.infoPeriod) ||
    (ri.kind === 'master' && ri.flags.masterReboot && now - ri.masterRebootSinceTime > ri.masterRebootDownAfterPeriodMs) ||
    (ri.kind === 'master' && heldAfterEmptyRestart(ri))
  );
}

export function checkSubjectivelyDown(cx: StepContext, ri: Instance): void {
  const link = ri.link;
  const now = cx.now;
  const elapsed = unavailableFor(cx, ri);
  if (ri.kind === 'master') releaseEmptyRestartHold(cx, ri);

  if (
    link.cc &&
    now - link.ccConnTime > cx.timings.minLinkReconnectPeriod &&
    link.actPingTime !== 0 &&
    now - link.actPingTime > ri.downAfterMs / 2 &&
    now - link.lastPongTime > ri.downAfterMs / 2
  ) {
    closeConnection(cx, link, 'cc');
  }
  if (
    link.pc &&
    now - link.pcConnTime > cx.timings.minLinkReconnectPeriod &&
    now - link.pcLastActivity > cx.timings.publishPeriod * 3
  ) {
    closeConnection(cx, link, 'pc');
  }

  const down = downCondition(cx, ri, elapsed);

  if (down && !ri.flags.sdown) {
    cx.emit('warning', '+sdown', ri);
    ri.sDownSinceTime = now;
    ri.flags.sdown = true;
  } else if (!down && ri.flags.sdown) {
    cx.emit('warning', '-sdown', ri);
    ri.flags.sdown = false;
    ri.flags.scriptKillSent = false;
  }
}

export function checkObjectivelyDown(cx: StepContext, m: MasterInstance): void {
  let votes = 0;
  let odown = false;
  const now = cx.now;
  if (m.flags.sdown) {
    votes = 1;
    // Beyond Redis: an answer too old to be asked about again does not count, even in the
    // tick that ends TILT, before the asking step has had a chance to expire it.
    const fresh = (s: SentinelInstance) => now - s.lastMasterDownReplyTime <= 5 * cx.timings.askPeriod;
    for (const s of m.sentinels.values()) if (s.flags.masterDown && fresh(s)) votes++;
    odown = votes >= m.quorum;
  }
  if (odown && !m.flags.odown) {
    cx.emit('warning', '+odown', m, `#quorum ${votes}/${m.quorum}`);
    m.flags.odown = true;
    m.oDownSinceTime = now;
  } else if (!odown && m.flags.odown) {
    cx.emit('warning', '-odown', m);
    m.flags.odown = false;
  }
}

export function askMasterStateToOtherSentinels(cx: StepContext, m: MasterInstance, forced: boolean): void {
  const now = cx.now;
  for (const s of m.sentinels.values()) {
    if (now - s.lastMasterDownReplyTime > 5 * cx.timings.askPeriod) {
      s.flags.masterDown = false;
      s.leader = null;
    }
    if (!m.flags.sdown || s.link.disconnected) continue;
    if (!forced && !askIsDue(cx, s, now)) continue;
    s.lastMasterDownAskTime = now;
    const addr = m.addr;
    send(
      cx,
      s,
      'cc',
      [
        'SENTINEL',
        'is-master-down-by-addr',
        announced(addr, cx.settings.announceHostnames),
        String(addr.port),
        String(cx.settings.currentEpoch),
        m.failoverState !== 'none' ? cx.settings.myid : '*',
      ],
      'is-master-down',
    );
  }
}

/**
 * Redis asks once an ask-period has passed since the last answer; the fast profile asks more
 * often while answers keep coming, and at once on a connection made since its last ask (a
 * peer that stalled long enough for its link to be dropped hears of our failover at once).
 */
function askIsDue(cx: StepContext, s: SentinelInstance, now: number): boolean {
  const fast = cx.tuning.askPeriodWhileSdownMs;
  if (fast === null) return now - s.lastMasterDownReplyTime >= cx.timings.askPeriod;
  if (s.link.ccConnTime > s.lastMasterDownAskTime) return true;
  const answered = s.lastMasterDownReplyTime >= s.lastMasterDownAskTime;
  return now - s.lastMasterDownAskTime >= (answered ? fast : cx.timings.askPeriod);
}

export function handleMasterDownReply(cx: StepContext, s: SentinelInstance, reply: ObservedReply): void {
  if (reply.type !== 'array' || reply.items.length !== 3) return;
  const [down, leader, epoch] = reply.items;
  if (down.type !== 'integer' || leader.type !== 'string' || epoch.type !== 'integer') return;
  s.lastMasterDownReplyTime = cx.now;
  s.flags.masterDown = down.value === 1;
  if (leader.value !== '*') {
    // Redis stores the signed reply in its uint64_t: a negative epoch wraps.
    const voted = BigInt.asUintN(64, BigInt(epoch.value));
    if (voted !== s.leaderEpoch) cx.log('warning', `${s.name} voted for ${leader.value} ${voted}`);
    s.leader = leader.value;
    s.leaderEpoch = voted;
  }
}
