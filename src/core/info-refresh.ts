import { holdEmptyMaster, restartedEmpty } from './empty-restart.js';
import { actOnReplicaInfo } from './reconfiguration.js';
import { parseInfo, type ParsedInfo } from './info.js';
import type { Instance, MasterInstance, ReplicaInstance } from './instance.js';
import { createReplica, findReplica } from './roster.js';
import type { StepContext } from './step-context.js';

/**
 * What an INFO reply from a master or replica teaches: reboots, role changes,
 * replication state, and replicas not seen before.
 */

export function refreshFromInfo(cx: StepContext, ri: Instance, text: string): void {
  if (ri.kind === 'sentinel') return;
  const now = cx.now;
  const info = parseInfo(text);
  ri.info = text;

  if (info.runId !== null) {
    if (ri.runid !== null && ri.runid !== info.runId) {
      cx.emit('notice', '+reboot', ri);
      if (ri.kind === 'master' && ri.masterRebootDownAfterPeriodMs !== 0) {
        ri.flags.masterReboot = true;
        ri.masterRebootSinceTime = now;
      }
      // Beyond Redis: see empty-restart.ts.
      if (ri.kind === 'master' && ri.protectEmptyRestart && !cx.state.tilt && info.role === 'master' && restartedEmpty(ri, text)) {
        holdEmptyMaster(cx, ri);
      }
    }
    ri.runid = info.runId;
  }
  if (ri.kind === 'master') {
    for (const r of info.replicas) discoverReplica(cx, ri, r.ip, r.port);
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
    cx.emit('verbose', ri.kind === role ? '+role-change' : '-role-change', ri, `new reported role is ${role === 'master' ? 'master' : 'slave'}`);
  }
  if (!cx.state.tilt && ri.kind === 'slave') actOnReplicaInfo(cx, ri);
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

function discoverReplica(cx: StepContext, master: MasterInstance, ip: string, port: number): void {
  const addr = cx.address(ip, port);
  if (typeof addr === 'string') return;
  if (findReplica(cx, master, addr)) return;
  const r = createReplica(cx, master, addr);
  if (!r) return;
  cx.emit('notice', '+slave', r);
  cx.persist();
}
