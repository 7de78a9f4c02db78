/**
 * The sentinel state that lives in sentinel.conf, as typed data.
 * The loader builds it from the file's `sentinel ...` lines; the core builds a
 * fresh one from its live state for every rewrite.
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

export interface MasterConfig {
  name: string;
  /** As written: an IP literal, or a hostname with `resolve-hostnames yes`. */
  host: string;
  port: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  notificationScript: string | null;
  clientReconfigScript: string | null;
  authPass: string | null;
  authUser: string | null;
  masterRebootDownAfterPeriodMs: number;
  configEpoch: number;
  leaderEpoch: number;
  knownReplicas: KnownReplica[];
  knownSentinels: KnownSentinel[];
  /** [command name as configured, name to send instead], in insertion order. */
  renamedCommands: Array<[string, string]>;
}

export interface SentinelConfig {
  myid: string | null;
  currentEpoch: number;
  /** null when unset; an empty string is a set-but-empty value (SENTINEL CONFIG SET announce-ip ""). */
  announceIp: string | null;
  announcePort: number;
  denyScriptsReconfig: boolean;
  sentinelUser: string | null;
  sentinelPass: string | null;
  resolveHostnames: boolean;
  announceHostnames: boolean;
  masters: MasterConfig[];
}

export const SENTINEL_DEFAULT_PORT = 26379;
export const DEFAULT_DOWN_AFTER_MS = 30_000;
export const DEFAULT_FAILOVER_TIMEOUT_MS = 180_000;
export const DEFAULT_PARALLEL_SYNCS = 1;

export function emptySentinelConfig(): SentinelConfig {
  return {
    myid: null,
    currentEpoch: 0,
    announceIp: null,
    announcePort: 0,
    denyScriptsReconfig: true,
    sentinelUser: null,
    sentinelPass: null,
    resolveHostnames: false,
    announceHostnames: false,
    masters: [],
  };
}

export function newMasterConfig(name: string, host: string, port: number, quorum: number): MasterConfig {
  return {
    name,
    host,
    port,
    quorum,
    downAfterMs: DEFAULT_DOWN_AFTER_MS,
    failoverTimeoutMs: DEFAULT_FAILOVER_TIMEOUT_MS,
    parallelSyncs: DEFAULT_PARALLEL_SYNCS,
    notificationScript: null,
    clientReconfigScript: null,
    authPass: null,
    authUser: null,
    masterRebootDownAfterPeriodMs: 0,
    configEpoch: 0,
    leaderEpoch: 0,
    knownReplicas: [],
    knownSentinels: [],
    renamedCommands: [],
  };
}
