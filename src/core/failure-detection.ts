import { announced } from './address.js';
import type { ObservedReply } from './actions.js';
import type { Instance, MasterInstance, SentinelInstance } from './instance.js';
import { closeConnection, send } from './links.js';
import type { SentinelCore } from './sentinel.js';

/**
 * Who is down: SDOWN from our own pings and INFO (closing links that stopped
 * answering), ODOWN from the peers' is-master-down answers, and asking them.
 */

/** How long the instance has gone without a valid reply, as SDOWN measures it. */
function unavailableFor(core: SentinelCore, ri: Instance): number {
  const link = ri.link;
  if (link.actPingTime) return core.now() - link.actPingTime;
  if (link.disconnected) return core.now() - link.lastAvailTime;
  return 0;
}

/** Whether the SDOWN rules hold right now, whatever the flag says since the last check. */
export function seesDown(core: SentinelCore, ri: Instance): boolean {
  return downCondition(core, ri, unavailableFor(core, ri));
}

function downCondition(core: SentinelCore, ri: Instance, elapsed: number): boolean {
  const now = core.now();
  return (
    elapsed > ri.downAfterMs ||
    (ri.kind === 'master' &&
      ri.roleReported === 'slave' &&
      now - ri.roleReportedTime > ri.downAfterMs + 2 * core.timings.infoPeriod) ||
    (ri.kind === 'master' && ri.flags.masterReboot && now - ri.masterRebootSinceTime > ri.masterRebootDownAfterPeriodMs)
  );
}

export function checkSubjectivelyDown(core: SentinelCore, ri: Instance): void {
  const link = ri.link;
  const now = core.now();
  const elapsed = unavailableFor(core, ri);

  if (
    link.cc &&
    now - link.ccConnTime > core.timings.minLinkReconnectPeriod &&
    link.actPingTime !== 0 &&
    now - link.actPingTime > ri.downAfterMs / 2 &&
    now - link.lastPongTime > ri.downAfterMs / 2
  ) {
    closeConnection(core, link, 'cc');
  }
  if (
    link.pc &&
    now - link.pcConnTime > core.timings.minLinkReconnectPeriod &&
    now - link.pcLastActivity > core.timings.publishPeriod * 3
  ) {
    closeConnection(core, link, 'pc');
  }

  const down = downCondition(core, ri, elapsed);

  if (down && !ri.flags.sdown) {
    core.emit('warning', '+sdown', ri);
    ri.sDownSinceTime = now;
    ri.flags.sdown = true;
  } else if (!down && ri.flags.sdown) {
    core.emit('warning', '-sdown', ri);
    ri.flags.sdown = false;
    ri.flags.scriptKillSent = false;
  }
}

export function checkObjectivelyDown(core: SentinelCore, m: MasterInstance): void {
  let votes = 0;
  let odown = false;
  const now = core.now();
  if (m.flags.sdown) {
    votes = 1;
    // Beyond Redis: an answer too old to be asked about again does not count, even in the
    // tick that ends TILT, before the asking step has had a chance to expire it.
    const fresh = (s: SentinelInstance) => now - s.lastMasterDownReplyTime <= 5 * core.timings.askPeriod;
    for (const s of m.sentinels.values()) if (s.flags.masterDown && fresh(s)) votes++;
    odown = votes >= m.quorum;
  }
  if (odown && !m.flags.odown) {
    core.emit('warning', '+odown', m, `#quorum ${votes}/${m.quorum}`);
    m.flags.odown = true;
    m.oDownSinceTime = now;
  } else if (!odown && m.flags.odown) {
    core.emit('warning', '-odown', m);
    m.flags.odown = false;
  }
}

export function askMasterStateToOtherSentinels(core: SentinelCore, m: MasterInstance, forced: boolean): void {
  const now = core.now();
  for (const s of m.sentinels.values()) {
    if (now - s.lastMasterDownReplyTime > 5 * core.timings.askPeriod) {
      s.flags.masterDown = false;
      s.leader = null;
    }
    if (!m.flags.sdown || s.link.disconnected) continue;
    if (!forced && !askIsDue(core, s, now)) continue;
    s.lastMasterDownAskTime = now;
    const addr = m.addr;
    send(
      core,
      s,
      'cc',
      [
        'SENTINEL',
        'is-master-down-by-addr',
        announced(addr, core.announceHostnames),
        String(addr.port),
        String(core.currentEpoch),
        m.failoverState !== 'none' ? core.myid : '*',
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
function askIsDue(core: SentinelCore, s: SentinelInstance, now: number): boolean {
  const fast = core.tuning.askPeriodWhileSdownMs;
  if (fast === null) return now - s.lastMasterDownReplyTime >= core.timings.askPeriod;
  if (s.link.ccConnTime > s.lastMasterDownAskTime) return true;
  const answered = s.lastMasterDownReplyTime >= s.lastMasterDownAskTime;
  return now - s.lastMasterDownAskTime >= (answered ? fast : core.timings.askPeriod);
}

export function handleMasterDownReply(core: SentinelCore, s: SentinelInstance, reply: ObservedReply): void {
  if (reply.type !== 'array' || reply.items.length !== 3) return;
  const [down, leader, epoch] = reply.items;
  if (down.type !== 'integer' || leader.type !== 'string' || epoch.type !== 'integer') return;
  s.lastMasterDownReplyTime = core.now();
  s.flags.masterDown = down.value === 1;
  if (leader.value !== '*') {
    if (epoch.value !== s.leaderEpoch) core.log('warning', `${s.name} voted for ${leader.value} ${epoch.value}`);
    s.leader = leader.value;
    s.leaderEpoch = epoch.value;
  }
}
