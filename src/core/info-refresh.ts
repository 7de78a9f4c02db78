import { actOnReplicaInfo } from './failover.js';
import { parseInfo, type ParsedInfo } from './info.js';
import type { Instance, MasterInstance, ReplicaInstance } from './instance.js';
import { createReplica, findReplica } from './roster.js';
import type { SentinelCore } from './sentinel.js';

/**
 * What an INFO reply from a master or replica teaches: reboots, role changes,
 * replication state, and replicas not seen before.
 */

export function refreshFromInfo(core: SentinelCore, ri: Instance, text: string): void {
  if (ri.kind === 'sentinel') return;
  const now = core.now();
  const info = parseInfo(text);
  ri.info = text;

  if (info.runId !== null) {
    if (ri.runid !== null && ri.runid !== info.runId) {
      core.emit('notice', '+reboot', ri);
      if (ri.kind === 'master' && ri.masterRebootDownAfterPeriodMs !== 0) {
        ri.flags.masterReboot = true;
        ri.masterRebootSinceTime = now;
      }
    }
    ri.runid = info.runId;
  }
  if (ri.kind === 'master') {
    for (const r of info.replicas) discoverReplica(core, ri, r.ip, r.port);
  }
  if (ri.kind === 'slave') {
    ri.masterLinkDownTime = info.masterLinkDownTime;
    if (info.role === 'slave') readReplicationFields(ri, info, now);
  }
  ri.infoRefresh = now;

  const role = info.role;
  if (role !== ri.roleReported) {
    ri.roleReportedTime = now;
    ri.roleReported = role;
    if (role === 'slave' && ri.kind === 'slave') ri.slaveConfChangeTime = now;
    core.emit('verbose', ri.kind === role ? '+role-change' : '-role-change', ri, `new reported role is ${role === 'master' ? 'master' : 'slave'}`);
  }
  if (!core.tilt && ri.kind === 'slave') actOnReplicaInfo(core, ri);
}

function readReplicationFields(ri: ReplicaInstance, info: ParsedInfo, now: number): void {
  if (info.masterHost !== null && (ri.slaveMasterHost === null || ri.slaveMasterHost.toLowerCase() !== info.masterHost.toLowerCase())) {
    ri.slaveMasterHost = info.masterHost;
    ri.slaveConfChangeTime = now;
  }
  if (info.masterPort !== null && info.masterPort !== ri.slaveMasterPort) {
    ri.slaveMasterPort = info.masterPort;
    ri.slaveConfChangeTime = now;
  }
  if (info.masterLinkUp !== null) ri.slaveMasterLinkUp = info.masterLinkUp;
  if (info.slavePriority !== null) ri.slavePriority = info.slavePriority;
  if (info.slaveReplOffset !== null) ri.slaveReplOffset = info.slaveReplOffset;
  if (info.replicaAnnounced !== null) ri.replicaAnnounced = info.replicaAnnounced !== 0;
}

function discoverReplica(core: SentinelCore, master: MasterInstance, ip: string, port: number): void {
  const addr = core.address(ip, port);
  if (typeof addr === 'string') return;
  if (findReplica(core, master, addr)) return;
  const r = createReplica(core, master, addr);
  if (!r) return;
  core.emit('notice', '+slave', r);
  core.flushConfig();
}
