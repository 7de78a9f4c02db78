import { announced } from './address.js';
import { flagsString, type Instance } from './instance.js';

/**
 * The field list of SENTINEL MASTER/REPLICAS/SENTINELS for one instance, in
 * Redis's order. Every value is a string: the wire sends them as bulk strings.
 */
export function describeFields(ri: Instance, now: number, announceHostnames: boolean): Array<[string, string]> {
  const f: Array<[string, string]> = [];
  const add = (k: string, v: string | number | bigint) => f.push([k, String(v)]);
  const link = ri.link;

  add('name', ri.name);
  add('ip', announced(ri.addr, announceHostnames));
  add('port', ri.addr.port);
  add('runid', ri.runid ?? '');
  add('flags', flagsString(ri));
  add('link-pending-commands', link.pendingCommands);
  add('link-refcount', link.refcount);
  if (ri.kind === 'master' && ri.flags.failoverInProgress) add('failover-state', ri.failoverState);
  add('last-ping-sent', link.actPingTime ? now - link.actPingTime : 0);
  add('last-ok-ping-reply', now - link.lastAvailTime);
  add('last-ping-reply', now - link.lastPongTime);
  if (ri.flags.sdown) add('s-down-time', now - ri.sDownSinceTime);
  if (ri.flags.odown) add('o-down-time', now - ri.oDownSinceTime);
  add('down-after-milliseconds', ri.downAfterMs);

  if (ri.kind !== 'sentinel') {
    add('info-refresh', ri.infoRefresh ? now - ri.infoRefresh : 0);
    add('role-reported', ri.roleReported === 'master' ? 'master' : 'slave');
    add('role-reported-time', now - ri.roleReportedTime);
  }
  if (ri.kind === 'master') {
    // Redis prints these uint64_t epochs as signed long longs.
    add('config-epoch', BigInt.asIntN(64, ri.configEpoch));
    add('num-slaves', ri.replicas.size);
    add('num-other-sentinels', ri.sentinels.size);
    add('quorum', ri.quorum);
    add('failover-timeout', ri.failoverTimeoutMs);
    add('parallel-syncs', ri.parallelSyncs);
    if (ri.notificationScript !== null) add('notification-script', ri.notificationScript);
    if (ri.clientReconfigScript !== null) add('client-reconfig-script', ri.clientReconfigScript);
    // Beyond Redis: shown only when set, so a redis-sentinel config gets Redis's fields.
    if (ri.forgetAfterMs !== 0) add('forget-after', ri.forgetAfterMs);
  }
  if (ri.kind === 'slave') {
    add('master-link-down-time', ri.masterLinkDownTime);
    add('master-link-status', ri.slaveMasterLinkUp ? 'ok' : 'err');
    add('master-host', ri.slaveMasterHost ?? '?');
    add('master-port', ri.slaveMasterPort);
    add('slave-priority', ri.slavePriority);
    add('slave-repl-offset', ri.slaveReplOffset);
    add('replica-announced', ri.replicaAnnounced ? 1 : 0);
  }
  if (ri.kind === 'sentinel') {
    add('last-hello-message', now - ri.lastHelloTime);
    add('voted-leader', ri.leader ?? '?');
    add('voted-leader-epoch', BigInt.asIntN(64, ri.leaderEpoch));
  }
  return f;
}
