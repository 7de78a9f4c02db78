import { REDIS_TIMINGS } from './timing.js';

/**
 * The sentinel state that lives in sentinel.conf, as typed data: the config
 * loader builds it from the file's `sentinel ...` lines, the core loads it and
 * snapshots its live state into it for every rewrite.
 */

export interface KnownReplica {
  host: string;
  port: number;
}

export interface KnownSentinel {
  host: string;
  port: number;
  runid: string;
}

/** A master's own settings and epochs, as the core keeps them on the master (same names). */
export interface MasterSettings {
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  notificationScript: string | null;
  clientReconfigScript: string | null;
  authPass: string | null;
  authUser: string | null;
  masterRebootDownAfterPeriodMs: number;
  /** Beyond Redis: fail over rather than follow a master that restarted empty (`sentinel protect-empty-restart`). */
  protectEmptyRestart: boolean;
  configEpoch: bigint;
  leaderEpoch: bigint;
  /** Beyond Redis: replicas and peers S_DOWN for longer than this are forgotten; 0 (the default) never. */
  forgetAfterMs: number;
  /** Beyond Redis: the port of the proxy to this master (`sentinel proxy-port`); 0 (the default) none. */
  proxyPort: number;
  /** Beyond Redis: the port of the read-only proxy over its replicas (`sentinel proxy-replicas-port`); 0 none. */
  proxyReplicasPort: number;
}

/** Just the settings of `from`, a master config or a live master: the one list of them. */
export function masterSettings(from: MasterSettings): MasterSettings {
  return {
    quorum: from.quorum,
    downAfterMs: from.downAfterMs,
    failoverTimeoutMs: from.failoverTimeoutMs,
    parallelSyncs: from.parallelSyncs,
    notificationScript: from.notificationScript,
    clientReconfigScript: from.clientReconfigScript,
    authPass: from.authPass,
    authUser: from.authUser,
    masterRebootDownAfterPeriodMs: from.masterRebootDownAfterPeriodMs,
    protectEmptyRestart: from.protectEmptyRestart,
    configEpoch: from.configEpoch,
    leaderEpoch: from.leaderEpoch,
    forgetAfterMs: from.forgetAfterMs,
    proxyPort: from.proxyPort,
    proxyReplicasPort: from.proxyReplicasPort,
  };
}

export interface MasterConfig extends MasterSettings {
  name: string;
  /** As written: an IP literal, or a hostname with `resolve-hostnames yes`. */
  host: string;
  port: number;
  knownReplicas: KnownReplica[];
  knownSentinels: KnownSentinel[];
  /** [command name as configured, name to send instead], in insertion order. */
  renamedCommands: Array<[string, string]>;
}

/** The sentinel-wide settings and epoch, as the core keeps them (state.settings). */
export interface SentinelSettings {
  /** Empty until the sentinel picks one at start. */
  myid: string;
  currentEpoch: bigint;
  /** null when unset; an empty string is a set-but-empty value (SENTINEL CONFIG SET announce-ip ""). */
  announceIp: string | null;
  announcePort: number;
  denyScriptsReconfig: boolean;
  sentinelUser: string | null;
  sentinelPass: string | null;
  resolveHostnames: boolean;
  announceHostnames: boolean;
}

export interface SentinelConfig extends Omit<SentinelSettings, 'myid'> {
  myid: string | null;
  masters: MasterConfig[];
}

export const DEFAULT_PARALLEL_SYNCS = 1;

/** Redis's defaults, before the config file is read. */
export function defaultSettings(): SentinelSettings {
  return {
    myid: '',
    currentEpoch: 0n,
    announceIp: null,
    announcePort: 0,
    denyScriptsReconfig: true,
    sentinelUser: null,
    sentinelPass: null,
    resolveHostnames: false,
    announceHostnames: false,
  };
}

export function emptySentinelConfig(): SentinelConfig {
  return { ...defaultSettings(), myid: null, masters: [] };
}

/** A master as `sentinel monitor` creates it, with Redis's defaults. */
export function newMasterConfig(name: string, host: string, port: number, quorum: number): MasterConfig {
  return {
    name,
    host,
    port,
    quorum,
    downAfterMs: REDIS_TIMINGS.defaultDownAfter,
    failoverTimeoutMs: REDIS_TIMINGS.defaultFailoverTimeout,
    parallelSyncs: DEFAULT_PARALLEL_SYNCS,
    notificationScript: null,
    clientReconfigScript: null,
    authPass: null,
    authUser: null,
    masterRebootDownAfterPeriodMs: 0,
    protectEmptyRestart: false,
    configEpoch: 0n,
    leaderEpoch: 0n,
    forgetAfterMs: 0,
    proxyPort: 0,
    proxyReplicasPort: 0,
    knownReplicas: [],
    knownSentinels: [],
    renamedCommands: [],
  };
}
