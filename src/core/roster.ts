import { announced, replicaName, type Address } from './address.js';
import {
  newLink,
  newMaster,
  newReplica,
  newSentinel,
  noFlags,
  type Instance,
  type MasterInstance,
  type ReplicaInstance,
  type SentinelInstance,
} from './instance.js';
import { dropConnections, releaseLink, shareLinkWithSamePeer } from './links.js';
import type { StepContext } from './step-context.js';
import { masterSettings, type MasterConfig } from './persisted.js';

/**
 * The instances a sentinel knows: masters with their replicas and peers, as
 * loaded from the config or discovered, and how they are forgotten or reset.
 */

/** A master from the config, with the replicas and peers it lists. */
export function loadMaster(cx: StepContext, mc: MasterConfig): void {
  const addr = cx.address(mc.host, mc.port, true);
  if (typeof addr === 'string') return;
  const m = createMaster(cx, mc.name, addr, mc.quorum);
  Object.assign(m, masterSettings(mc));
  for (const [from, to] of mc.renamedCommands) m.renamedCommands.set(from.toLowerCase(), [from, to]);
  for (const r of mc.knownReplicas) {
    const ra = cx.address(r.host, r.port, true);
    if (typeof ra !== 'string') createReplica(cx, m, ra);
  }
  for (const s of mc.knownSentinels) {
    const sa = cx.address(s.host, s.port, true);
    if (typeof sa !== 'string') createSentinel(cx, m, sa, s.runid);
  }
}

export function createMaster(cx: StepContext, name: string, addr: Address, quorum: number): MasterInstance {
  const now = cx.now;
  const uid = cx.registry.nextUid();
  const link = newLink(cx.registry.nextLinkId(), now);
  const m = newMaster(uid, name, addr, link, cx.timings.defaultDownAfter, cx.timings.defaultFailoverTimeout, quorum, now);
  cx.masters.set(name, m);
  cx.registry.add(m);
  return m;
}

export function createReplica(cx: StepContext, master: MasterInstance, addr: Address): ReplicaInstance | null {
  const name = replicaName(announced(addr, cx.settings.announceHostnames), addr.port);
  if (master.replicas.has(name)) return null;
  const now = cx.now;
  const uid = cx.registry.nextUid();
  const link = newLink(cx.registry.nextLinkId(), now);
  const r = newReplica(uid, name, addr, link, master, now);
  master.replicas.set(name, r);
  cx.registry.add(r);
  return r;
}

export function createSentinel(cx: StepContext, master: MasterInstance, addr: Address, runid: string): SentinelInstance | null {
  if (master.sentinels.has(runid)) return null;
  const now = cx.now;
  const uid = cx.registry.nextUid();
  const link = newLink(cx.registry.nextLinkId(), now);
  const s = newSentinel(uid, runid, addr, link, master, now);
  s.runid = runid;
  master.sentinels.set(runid, s);
  cx.registry.add(s);
  shareLinkWithSamePeer(cx, s);
  return s;
}

export function findReplica(cx: StepContext, master: MasterInstance, addr: Address): ReplicaInstance | undefined {
  return master.replicas.get(replicaName(announced(addr, cx.settings.announceHostnames), addr.port));
}

/** Forgets an instance and, when nobody else shares it, its link. */
export function releaseInstance(cx: StepContext, ri: Instance): void {
  cx.registry.forgetInstance(ri);
  if (ri.kind === 'master') {
    for (const r of ri.replicas.values()) releaseInstance(cx, r);
    for (const s of ri.sentinels.values()) releaseInstance(cx, s);
    ri.replicas.clear();
    ri.sentinels.clear();
  }
  const entry = cx.registry.link(ri.link.id);
  if (entry && entry.owner === ri && ri.link.refcount > 1) {
    // Hand the shared link to another instance that still uses it.
    for (const other of cx.registry.instances()) {
      if (other.link === ri.link && other !== ri) {
        entry.owner = other;
        break;
      }
    }
  }
  releaseLink(cx, ri.link);
}

export function removeMaster(cx: StepContext, m: MasterInstance): void {
  cx.masters.delete(m.name);
  releaseInstance(cx, m);
}

/**
 * Forgets what was learnt about a master: its replicas (and, for SENTINEL
 * RESET, its peers), its links, flags and failover, so discovery starts over.
 */
export function resetMaster(cx: StepContext, m: MasterInstance, opts: { keepSentinels: boolean; announce: boolean }): void {
  const now = cx.now;
  for (const r of m.replicas.values()) releaseInstance(cx, r);
  m.replicas.clear();
  if (!opts.keepSentinels) {
    for (const s of m.sentinels.values()) releaseInstance(cx, s);
    m.sentinels.clear();
  }
  dropConnections(cx, m);
  m.flags = noFlags();
  m.leader = null;
  m.failoverState = 'none';
  m.failoverStateChangeTime = 0;
  m.failoverStartTime = 0;
  m.startWait = null;
  m.electionRetryEpoch = 0n;
  m.quickRetries = 0;
  m.promoted = null;
  m.runid = null;
  m.link.actPingTime = now;
  m.link.lastPingTime = 0;
  m.link.lastAvailTime = now;
  m.link.lastPongTime = now;
  m.roleReported = 'master';
  m.roleReportedTime = now;
  if (opts.announce) cx.emit('warning', '+reset-master', m);
}

/**
 * Beyond Redis: drops one replica of a master, as if it had never been discovered, and asks
 * for the config write that removes its known-replica line. Unlike SENTINEL RESET, the master
 * and its other replicas and peers keep their links, flags and failover state. `-slave`
 * mirrors the `+slave` of its discovery; `note` (e.g. why) follows the instance in the event.
 */
export function forgetReplica(cx: StepContext, r: ReplicaInstance, note = ''): void {
  cx.emit('warning', '-slave', r, note);
  r.master.replicas.delete(r.name);
  releaseInstance(cx, r);
  cx.persist();
}

/** Beyond Redis: drops one peer of a master (the `+sentinel` of its discovery undone), as forgetReplica does a replica. */
export function forgetSentinel(cx: StepContext, s: SentinelInstance, note = ''): void {
  cx.emit('warning', '-sentinel', s, note);
  s.master.sentinels.delete(s.name);
  releaseInstance(cx, s);
  cx.persist();
}

/**
 * Why an instance may not be forgotten, or null when it may: only one this sentinel sees
 * S_DOWN (no valid reply for down-after-milliseconds), and never the replica a failover in
 * progress is promoting.
 */
export function forgetRefusal(ri: ReplicaInstance | SentinelInstance): 'up' | 'promoted' | null {
  if (ri.kind === 'slave' && ri.master.promoted === ri) return 'promoted';
  return ri.flags.sdown ? null : 'up';
}

/**
 * Beyond Redis, with `forget-after` set: replicas and peers S_DOWN for longer than that are
 * forgotten, so that dead peers stop counting as voters. Not in TILT, when S_DOWN is not
 * being judged.
 */
export function forgetLongDown(cx: StepContext, m: MasterInstance): void {
  const limit = m.forgetAfterMs;
  if (limit <= 0 || cx.state.tilt) return;
  const now = cx.now;
  const due = (ri: ReplicaInstance | SentinelInstance) => forgetRefusal(ri) === null && now - ri.sDownSinceTime > limit;
  const note = `#down for more than ${limit} ms`;
  for (const r of [...m.replicas.values()]) if (due(r)) forgetReplica(cx, r, note);
  for (const s of [...m.sentinels.values()]) if (due(s)) forgetSentinel(cx, s, note);
}
