import { announced, sameAddress, type Address } from './address.js';
import { isIpLiteral } from './ip.js';
import { currentMasterAddress, type Instance, type MasterInstance, type ReplicaInstance } from './instance.js';
import { observePromotion, queueClientReconfig, sendSlaveOf } from './failover.js';
import { createReplica, resetMaster } from './roster.js';
import type { StepContext } from './step-context.js';

/**
 * Where a master is and who replicates from it: the switch of a master's
 * address (after our failover, or a newer configuration heard from a peer),
 * replicas that claim to be masters or follow the wrong one, and the progress
 * of the replicas a failover repointed.
 */

/** The end of a failover we led: clients, peers and the config learn the new master. */
export function switchToPromoted(cx: StepContext, m: MasterInstance): void {
  const to = m.promoted ? m.promoted.addr : m.addr;
  cx.emit('warning', '+switch-master', m, `${m.name} ${addrText(cx, m.addr)} ${addrText(cx, to)}`, false);
  resetMasterAndChangeAddress(cx, m, to.hostname, to.port);
}

function addrText(cx: StepContext, a: Address): string {
  return `${announced(a, cx.settings.announceHostnames)} ${a.port}`;
}

/**
 * Points a master at a new address: the old replicas, and the old master
 * itself, become the replicas of the new one. Peers are kept.
 */
export function resetMasterAndChangeAddress(cx: StepContext, m: MasterInstance, host: string, port: number): boolean {
  const next = cx.address(host, port);
  if (typeof next === 'string') return false;
  const keep: Address[] = [];
  for (const r of m.replicas.values()) if (!sameAddress(r.addr, next)) keep.push({ ...r.addr });
  if (!sameAddress(next, m.addr)) keep.push({ ...m.addr });
  resetMaster(cx, m, { keepSentinels: true, announce: false });
  m.addr = next;
  m.addressGeneration++;
  m.oDownSinceTime = 0;
  m.sDownSinceTime = 0;
  forgetAboutOldAddress(cx, m);
  for (const a of keep) {
    const r = createReplica(cx, m, a);
    if (r) cx.emit('notice', '+slave', r);
  }
  cx.persist();
  return true;
}

/**
 * Beyond Redis: nothing learnt about the old address may judge the new one.
 * Redis keeps its peers' "master is down" answers (about the dead master) and
 * reconnects to the new address only after its reconnect throttle, so with a
 * short down-after it can see the new master SDOWN, then ODOWN, and fail over
 * a second time. We connect at once and drop those answers.
 */
function forgetAboutOldAddress(cx: StepContext, m: MasterInstance): void {
  m.link.lastReconnTime = 0;
  for (const s of m.sentinels.values()) {
    s.flags.masterDown = false;
    s.leader = null;
    s.lastMasterDownReplyTime = cx.now - 5 * cx.timings.askPeriod - 1;
  }
}

/** Hellos may have told us of a newer configuration of this master at another address. */
export function followNewerConfig(cx: StepContext, m: MasterInstance, fromSentinel: Instance, ip: string, port: number): void {
  // Beyond Redis: compared with the address we now give out, so a failover of ours that a newer
  // configuration overtook is abandoned instead of finishing under the newer epoch.
  const current = currentMasterAddress(m);
  if (port === current.port && hostMatches(cx, current, ip)) return;
  cx.emit('warning', '+config-update-from', fromSentinel);
  cx.emit('warning', '+switch-master', m, `${m.name} ${addrText(cx, current)} ${ip} ${port}`, false);
  if (resetMasterAndChangeAddress(cx, m, ip, port)) {
    queueClientReconfig(cx, m, 'observer', current, m.addr);
  }
}

/** Does `host`, as an instance reported it, name this address? Names are looked up only with resolve-hostnames. */
export function hostMatches(cx: StepContext, addr: Address, host: string): boolean {
  const ip = cx.settings.resolveHostnames ? cx.resolveHost(host) : isIpLiteral(host) ? host : null;
  if (ip !== null) return ip.toLowerCase() === addr.ip.toLowerCase();
  return (cx.settings.resolveHostnames ? addr.hostname : addr.ip).toLowerCase() === host.toLowerCase();
}

export function masterLooksSane(cx: StepContext, m: MasterInstance): boolean {
  return (
    m.roleReported === 'master' &&
    !m.flags.sdown &&
    !m.flags.odown &&
    cx.now - m.infoRefresh < cx.timings.infoPeriod * 2
  );
}

export function noDownFor(cx: StepContext, ri: Instance, ms: number): boolean {
  const mostRecent = Math.max(ri.sDownSinceTime, ri.oDownSinceTime);
  return mostRecent === 0 || cx.now - mostRecent > ms;
}

/**
 * The acting half of INFO processing for replicas (skipped in TILT): promotion
 * observed, replicas claiming to be masters converted, misconfigured ones fixed,
 * and reconfiguration progress.
 */
export function actOnReplicaInfo(cx: StepContext, r: ReplicaInstance): void {
  const m = r.master;
  const now = cx.now;
  if (r.roleReported === 'master') {
    if (!observePromotion(cx, r)) {
      const wait = cx.timings.publishPeriod * 4;
      if (
        !r.flags.promoted &&
        masterLooksSane(cx, m) &&
        noDownFor(cx, r, wait) &&
        now - r.roleReportedTime > wait &&
        sendSlaveOf(cx, r, m.addr)
      ) {
        cx.emit('notice', '+convert-to-slave', r);
      }
    }
  }

  if (
    r.roleReported === 'slave' &&
    (r.slaveMasterPort !== m.addr.port || r.slaveMasterHost === null || !hostMatches(cx, m.addr, r.slaveMasterHost))
  ) {
    const wait = m.failoverTimeoutMs;
    if (
      masterLooksSane(cx, m) &&
      noDownFor(cx, r, wait) &&
      now - r.slaveConfChangeTime > wait &&
      sendSlaveOf(cx, r, m.addr)
    ) {
      cx.emit('notice', '+fix-slave-config', r);
    }
  }

  if (r.roleReported === 'slave' && (r.flags.reconfSent || r.flags.reconfInprog) && m.promoted) {
    if (
      r.flags.reconfSent &&
      r.slaveMasterHost !== null &&
      hostMatches(cx, m.promoted.addr, r.slaveMasterHost) &&
      r.slaveMasterPort === m.promoted.addr.port
    ) {
      r.flags.reconfSent = false;
      r.flags.reconfInprog = true;
      cx.emit('notice', '+slave-reconf-inprog', r);
    }
    if (r.flags.reconfInprog && r.slaveMasterLinkUp) {
      r.flags.reconfInprog = false;
      r.flags.reconfDone = true;
      cx.emit('notice', '+slave-reconf-done', r);
    }
  }
}
