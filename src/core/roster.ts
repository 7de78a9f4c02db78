import { announced, replicaName, type Address } from './address.js';
import {
  baseFields,
  newLink,
  noFlags,
  replicaDefaults,
  type Instance,
  type MasterInstance,
  type ReplicaInstance,
  type SentinelInstance,
} from './instance.js';
import { dropConnections, releaseLink, shareLinkWithSamePeer } from './links.js';
import type { SentinelCore } from './sentinel.js';
import type { SentinelConfig } from '../config/model.js';

/**
 * The instances a sentinel knows: masters with their replicas and peers, as
 * loaded from the config or discovered, and how they are forgotten or reset.
 */

export function loadMaster(core: SentinelCore, mc: SentinelConfig['masters'][number]): void {
  const addr = core.address(mc.host, mc.port, true);
  if (typeof addr === 'string') return;
  const m = createMaster(core, mc.name, addr, mc.quorum);
  m.downAfterMs = mc.downAfterMs;
  m.failoverTimeoutMs = mc.failoverTimeoutMs;
  m.parallelSyncs = mc.parallelSyncs;
  m.notificationScript = mc.notificationScript;
  m.clientReconfigScript = mc.clientReconfigScript;
  m.authPass = mc.authPass;
  m.authUser = mc.authUser;
  m.masterRebootDownAfterPeriodMs = mc.masterRebootDownAfterPeriodMs;
  m.configEpoch = mc.configEpoch;
  m.leaderEpoch = mc.leaderEpoch;
  for (const [from, to] of mc.renamedCommands) m.renamedCommands.set(from.toLowerCase(), [from, to]);
  for (const r of mc.knownReplicas) {
    const ra = core.address(r.host, r.port, true);
    if (typeof ra !== 'string') createReplica(core, m, ra);
  }
  for (const s of mc.knownSentinels) {
    const sa = core.address(s.host, s.port, true);
    if (typeof sa !== 'string') createSentinel(core, m, sa, s.runid);
  }
}

export function createMaster(core: SentinelCore, name: string, addr: Address, quorum: number): MasterInstance {
  const now = core.now();
  const uid = core.registry.nextUid();
  const link = newLink(core.registry.nextLinkId(), now);
  const m: MasterInstance = {
    ...baseFields('master', uid, name, addr, link, core.timings.defaultDownAfter, now),
    kind: 'master',
    quorum,
    parallelSyncs: 1,
    failoverTimeoutMs: core.timings.defaultFailoverTimeout,
    masterRebootDownAfterPeriodMs: 0,
    masterRebootSinceTime: 0,
    authPass: null,
    authUser: null,
    notificationScript: null,
    clientReconfigScript: null,
    renamedCommands: new Map(),
    configEpoch: 0,
    failoverEpoch: 0,
    failoverState: 'none',
    failoverStateChangeTime: 0,
    failoverStartTime: 0,
    failoverDelayLogged: 0,
    startWait: null,
    electionRetryEpoch: 0,
    quickRetries: 0,
    addressGeneration: 0,
    promoted: null,
    replicas: new Map(),
    sentinels: new Map(),
  };
  core.masters.set(name, m);
  core.registry.add(m);
  return m;
}

export function createReplica(core: SentinelCore, master: MasterInstance, addr: Address): ReplicaInstance | null {
  const name = replicaName(announced(addr, core.announceHostnames), addr.port);
  if (master.replicas.has(name)) return null;
  const now = core.now();
  const uid = core.registry.nextUid();
  const link = newLink(core.registry.nextLinkId(), now);
  const r: ReplicaInstance = {
    ...baseFields('slave', uid, name, addr, link, master.downAfterMs, now),
    ...replicaDefaults(now),
    kind: 'slave',
    master,
  };
  master.replicas.set(name, r);
  core.registry.add(r);
  return r;
}

export function createSentinel(core: SentinelCore, master: MasterInstance, addr: Address, runid: string): SentinelInstance | null {
  if (master.sentinels.has(runid)) return null;
  const now = core.now();
  const uid = core.registry.nextUid();
  const link = newLink(core.registry.nextLinkId(), now);
  const s: SentinelInstance = {
    ...baseFields('sentinel', uid, runid, addr, link, master.downAfterMs, now),
    kind: 'sentinel',
    master,
  };
  s.runid = runid;
  master.sentinels.set(runid, s);
  core.registry.add(s);
  shareLinkWithSamePeer(core, s);
  return s;
}

export function findReplica(core: SentinelCore, master: MasterInstance, addr: Address): ReplicaInstance | undefined {
  return master.replicas.get(replicaName(announced(addr, core.announceHostnames), addr.port));
}

/** Forgets an instance and, when nobody else shares it, its link. */
export function releaseInstance(core: SentinelCore, ri: Instance): void {
  core.registry.forgetInstance(ri);
  if (ri.kind === 'master') {
    for (const r of ri.replicas.values()) releaseInstance(core, r);
    for (const s of ri.sentinels.values()) releaseInstance(core, s);
    ri.replicas.clear();
    ri.sentinels.clear();
  }
  const entry = core.registry.link(ri.link.id);
  if (entry && entry.owner === ri && ri.link.refcount > 1) {
    // Hand the shared link to another instance that still uses it.
    for (const other of core.registry.instances()) {
      if (other.link === ri.link && other !== ri) {
        entry.owner = other;
        break;
      }
    }
  }
  releaseLink(core, ri.link);
}

export function removeMaster(core: SentinelCore, m: MasterInstance): void {
  core.masters.delete(m.name);
  releaseInstance(core, m);
}

/**
 * Forgets what was learnt about a master: its replicas (and, for SENTINEL
 * RESET, its peers), its links, flags and failover, so discovery starts over.
 */
export function resetMaster(core: SentinelCore, m: MasterInstance, opts: { keepSentinels: boolean; announce: boolean }): void {
  const now = core.now();
  for (const r of m.replicas.values()) releaseInstance(core, r);
  m.replicas.clear();
  if (!opts.keepSentinels) {
    for (const s of m.sentinels.values()) releaseInstance(core, s);
    m.sentinels.clear();
  }
  dropConnections(core, m);
  m.flags = noFlags();
  m.leader = null;
  m.failoverState = 'none';
  m.failoverStateChangeTime = 0;
  m.failoverStartTime = 0;
  m.startWait = null;
  m.electionRetryEpoch = 0;
  m.quickRetries = 0;
  m.promoted = null;
  m.runid = null;
  m.link.actPingTime = now;
  m.link.lastPingTime = 0;
  m.link.lastAvailTime = now;
  m.link.lastPongTime = now;
  m.roleReported = 'master';
  m.roleReportedTime = now;
  if (opts.announce) core.emit('warning', '+reset-master', m);
}
