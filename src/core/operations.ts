import { announced } from './address.js';
import { lowerAscii } from './ascii.js';
import { describeFields } from './describe.js';
import { isMasterDownByAddr as answerIsMasterDown } from './election.js';
import { explainMaster, type MasterExplanation } from './explain.js';
import { SIM_CRASH_AFTER_ELECTION, SIM_CRASH_AFTER_PROMOTION, userFailover, userSwitchover } from './failover.js';
import { globMatch } from './glob.js';
import { currentMasterAddress, type Instance, type MasterInstance, type ReplicaInstance } from './instance.js';
import { dropAllSentinelLinks, dropConnections } from './links.js';
import { createMaster, forgetRefusal, forgetReplica, forgetSentinel, removeMaster, resetMaster } from './roster.js';
import type { StepContext } from './step-context.js';
import type { SwitchoverRequest } from './switchover.js';
import { DEBUG_PARAMETERS, type Timings } from './timing.js';

/*
 * What a client's SENTINEL command may read or change in the sentinel, as functions over
 * plain data: the server parses and validates the arguments and formats the replies, and
 * calls nothing else on the core's state. Each runs within a step (a `command` input), so a
 * change's config write and events go out with that step's actions.
 */

/** A request refused: the error line to answer, its code first ('ERR ...', 'INPROG ...'). */
export interface Refusal {
  readonly error: string;
}

export const NO_SUCH_MASTER: Refusal = { error: 'ERR No such master with that name' };

/** An instance description: field names and values, in Redis's order (see describe.ts). */
export type Fields = Array<[string, string]>;

// ---------------------------------------------------------------- queries

export interface LinkLatency {
  master: string;
  role: 'master' | 'slave' | 'sentinel';
  address: string;
  /** The last answered PING's round trip; -1 when none was answered yet. */
  rttMs: number;
}

/** Beyond Redis, for metrics: the last PING round trip of every link, per master. */
export function linkLatencies(cx: StepContext): LinkLatency[] {
  const out: LinkLatency[] = [];
  for (const m of cx.masters.values()) {
    const add = (role: LinkLatency['role'], ri: { addr: { ip: string; port: number }; link: { lastPingRttMs: number } }) =>
      out.push({ master: m.name, role, address: `${ri.addr.ip}:${ri.addr.port}`, rttMs: ri.link.lastPingRttMs });
    add('master', m);
    for (const r of m.replicas.values()) add('slave', r);
    for (const s of m.sentinels.values()) add('sentinel', s);
  }
  return out;
}

export function masterNames(cx: StepContext): string[] {
  return [...cx.masters.keys()];
}

export function isMonitored(cx: StepContext, name: string): boolean {
  return cx.masters.has(name);
}

export function myId(cx: StepContext): string {
  return cx.settings.myid;
}

function fields(cx: StepContext, ri: Instance): Fields {
  return describeFields(ri, cx.now, cx.settings.announceHostnames);
}

export function describeMasters(cx: StepContext): Fields[] {
  return [...cx.masters.values()].map((m) => fields(cx, m));
}

export function describeMaster(cx: StepContext, name: string): Fields | undefined {
  const m = cx.masters.get(name);
  return m && fields(cx, m);
}

/** Replicas that asked not to be announced (`replica-announced no`) are left out; num-slaves still counts them. */
export function describeReplicas(cx: StepContext, name: string): Fields[] | undefined {
  const m = cx.masters.get(name);
  return m && [...m.replicas.values()].filter((r) => r.replicaAnnounced).map((r) => fields(cx, r));
}

export function describeSentinels(cx: StepContext, name: string): Fields[] | undefined {
  const m = cx.masters.get(name);
  return m && [...m.sentinels.values()].map((s) => fields(cx, s));
}

/** Where clients should find the master now: the promoted replica once the failover has repointed the others. */
export function masterAddress(cx: StepContext, name: string): { host: string; port: number } | undefined {
  const m = cx.masters.get(name);
  if (!m) return undefined;
  const addr = currentMasterAddress(m);
  return { host: announced(addr, cx.settings.announceHostnames), port: addr.port };
}

export interface QuorumCheck {
  /** Peers not seen as down, and ourselves. */
  usable: number;
  quorumReachable: boolean;
  majorityReachable: boolean;
}

/** Whether enough sentinels are up to agree that the master is down and to elect a leader. */
export function quorumCheck(cx: StepContext, name: string): QuorumCheck | undefined {
  const m = cx.masters.get(name);
  if (!m) return undefined;
  const voters = m.sentinels.size + 1;
  let usable = 1;
  for (const s of m.sentinels.values()) if (!s.flags.sdown && !s.flags.odown) usable++;
  return { usable, quorumReachable: usable >= m.quorum, majorityReachable: usable >= Math.floor(voters / 2) + 1 };
}

export interface CachedInfo {
  /** Milliseconds since this INFO reply arrived. */
  ageMs: number;
  /** The last INFO reply, null before the first one. */
  info: string | null;
}

/** The last INFO of the master, then of each of its replicas. */
export function cachedInfo(cx: StepContext, name: string): CachedInfo[] | undefined {
  const m = cx.masters.get(name);
  if (!m) return undefined;
  const now = cx.now;
  // Redis reports every age as 0 while the master itself has never answered INFO.
  const entry = (ri: MasterInstance | ReplicaInstance): CachedInfo => ({
    ageMs: m.infoRefresh ? now - ri.infoRefresh : 0,
    info: ri.info,
  });
  return [entry(m), ...[...m.replicas.values()].map(entry)];
}

interface ScriptJobView {
  argv: string[];
  pid: number;
  retryNum: number;
}

export type PendingScript =
  | (ScriptJobView & { running: true; runTimeMs: number })
  | (ScriptJobView & { running: false; runDelayMs: number });

/** The script queue: running jobs with how long they have run, waiting ones with how long until they may start. */
export function pendingScripts(cx: StepContext): PendingScript[] {
  const now = cx.now;
  return cx.state.scripts.jobs.map((job): PendingScript => {
    const view = { argv: job.argv, pid: job.pid, retryNum: job.retryNum };
    if (job.running) return { ...view, running: true, runTimeMs: now - job.startTime };
    return { ...view, running: false, runDelayMs: job.startTime === 0 ? 0 : Math.max(0, job.startTime - now) };
  });
}

/** SENTINEL CONFIG parameters, in the order CONFIG GET lists them. */
export const SENTINEL_PARAMETERS = [
  'resolve-hostnames',
  'announce-hostnames',
  'announce-ip',
  'announce-port',
  'sentinel-user',
  'sentinel-pass',
] as const;

export type SentinelParameter = (typeof SENTINEL_PARAMETERS)[number];

/** Every SENTINEL CONFIG parameter with its value as CONFIG GET shows it. */
export function sentinelParameters(cx: StepContext): Array<[SentinelParameter, string]> {
  const values: Record<SentinelParameter, string> = {
    'resolve-hostnames': cx.settings.resolveHostnames ? 'yes' : 'no',
    'announce-hostnames': cx.settings.announceHostnames ? 'yes' : 'no',
    'announce-ip': cx.settings.announceIp ?? '',
    'announce-port': String(cx.settings.announcePort),
    'sentinel-user': cx.settings.sentinelUser ?? '',
    'sentinel-pass': cx.settings.sentinelPass ?? '',
  };
  return SENTINEL_PARAMETERS.map((name) => [name, values[name]]);
}

/** The timings SENTINEL DEBUG shows and changes, by their parameter names, in its order. */
export function debugTimings(cx: StepContext): Array<[string, number]> {
  return DEBUG_PARAMETERS.map(([name, key]) => [name, cx.timings[key]]);
}

export interface MasterSummary {
  name: string;
  status: 'ok' | 'sdown' | 'odown';
  host: string;
  port: number;
  replicas: number;
  /** The sentinels monitoring it, ourselves included. */
  sentinels: number;
}

/** What INFO's `# Sentinel` section reports. */
export interface SentinelInfo {
  /** How long TILT has lasted; null when not in TILT. */
  tiltMs: number | null;
  runningScripts: number;
  /** Scripts queued, the running ones included. */
  queuedScripts: number;
  simulatedFailureFlags: number;
  masters: MasterSummary[];
}

export function sentinelInfo(cx: StepContext): SentinelInfo {
  return {
    tiltMs: cx.state.tilt ? cx.now - cx.state.tiltStartTime : null,
    runningScripts: cx.state.scripts.running,
    queuedScripts: cx.state.scripts.jobs.length,
    simulatedFailureFlags: cx.state.simFailureFlags,
    masters: [...cx.masters.values()].map((m) => masterSummary(cx, m)),
  };
}

function masterSummary(cx: StepContext, m: MasterInstance): MasterSummary {
  return {
    name: m.name,
    status: m.flags.odown ? 'odown' : m.flags.sdown ? 'sdown' : 'ok',
    host: announced(m.addr, cx.settings.announceHostnames),
    port: m.addr.port,
    replicas: m.replicas.size,
    sentinels: m.sentinels.size + 1,
  };
}

// ---------------------------------------------------------------- votes and changes

export interface MasterDownAnswer {
  down: boolean;
  /** The run id we voted for, or `*` when no vote was asked for (or given). */
  leader: string;
  epoch: bigint;
}

/** A peer asks whether we see the master at ip:port down and, with its run id, for our vote. */
export function isMasterDownByAddr(cx: StepContext, ip: string, port: number, epoch: bigint, runid: string): MasterDownAnswer {
  return answerIsMasterDown(cx, ip, port, epoch, runid);
}

/** Asks for a config write; the reply waits for it (OK_IF_FLUSHED). */
export function flushConfig(cx: StepContext): void {
  cx.persist();
}

/** Starts monitoring a master; `+monitor` follows the config write it asks for. */
export function monitor(cx: StepContext, name: string, host: string, port: number, quorum: number): Refusal | null {
  if (!cx.isAcceptableHost(host)) return { error: 'ERR Invalid IP address or hostname specified' };
  if (cx.masters.has(name)) return { error: 'ERR Duplicate master name.' };
  const addr = cx.address(host, port);
  if (typeof addr === 'string') return { error: `ERR ${addr}` };
  const m = createMaster(cx, name, addr, quorum);
  flushConfig(cx);
  cx.emit('warning', '+monitor', m, `quorum ${m.quorum}`);
  return null;
}

export function remove(cx: StepContext, name: string): Refusal | null {
  const m = cx.masters.get(name);
  if (!m) return NO_SUCH_MASTER;
  cx.emit('warning', '-monitor', m);
  removeMaster(cx, m);
  flushConfig(cx);
  return null;
}

/** Resets every master whose name matches the glob pattern; returns how many. */
export function reset(cx: StepContext, pattern: string): number {
  let count = 0;
  for (const m of [...cx.masters.values()]) {
    if (!globMatch(pattern, m.name)) continue;
    resetMaster(cx, m, { keepSentinels: false, announce: true });
    count++;
  }
  return count;
}

/**
 * Beyond Redis: SENTINEL FORGET <master> REPLICA <ip> <port>. The replica is found by the
 * address SENTINEL REPLICAS shows (or its IP); it must be S_DOWN. +OK follows the config write.
 */
export function forgetReplicaByAddress(cx: StepContext, name: string, ip: string, port: number): Refusal | null {
  const m = cx.masters.get(name);
  if (!m) return NO_SUCH_MASTER;
  const hostnames = cx.settings.announceHostnames;
  let found: ReplicaInstance | undefined;
  for (const r of m.replicas.values()) {
    if (r.addr.port === port && (announced(r.addr, hostnames) === ip || r.addr.ip === ip)) found = r;
  }
  if (!found) return { error: 'ERR No such replica with that address' };
  const refused = forgetRefusal(found);
  if (refused === 'promoted') return { error: `ERR Replica ${found.name} is being promoted by the failover in progress` };
  if (refused === 'up') return { error: `ERR Replica ${found.name} is not down: only a replica flagged s_down can be forgotten` };
  forgetReplica(cx, found);
  return null;
}

/** Beyond Redis: SENTINEL FORGET <master> SENTINEL <runid>, as forgetReplicaByAddress for a peer. */
export function forgetSentinelByRunid(cx: StepContext, name: string, runid: string): Refusal | null {
  const m = cx.masters.get(name);
  if (!m) return NO_SUCH_MASTER;
  const lower = runid.toLowerCase();
  const found = m.sentinels.get(runid) ?? [...m.sentinels.values()].find((s) => s.name.toLowerCase() === lower);
  if (!found) return { error: 'ERR No such sentinel with that runid' };
  if (forgetRefusal(found) !== null) {
    return { error: `ERR Sentinel ${found.name} is not down: only a sentinel flagged s_down can be forgotten` };
  }
  forgetSentinel(cx, found);
  return null;
}

/** Null once the failover has started. */
export function failover(cx: StepContext, name: string): Refusal | null {
  const m = cx.masters.get(name);
  if (!m) return NO_SUCH_MASTER;
  const refused = userFailover(cx, m);
  return refused === null ? null : { error: refused };
}

/** Beyond Redis, SENTINEL EXPLAIN: would a failover of the master start now, with which replica, and if not, why not. */
export function explain(cx: StepContext, name: string): MasterExplanation | undefined {
  const m = cx.masters.get(name);
  return m && explainMaster(cx, m);
}

export type { SwitchoverRequest } from './switchover.js';

/**
 * Beyond Redis: SENTINEL FAILOVER with TO / COORDINATED / TIMEOUT. The failover's epoch once
 * started, by which switchoverOutcome finds how it ended.
 */
export function switchover(cx: StepContext, name: string, request: SwitchoverRequest): Refusal | { epoch: bigint } {
  const m = cx.masters.get(name);
  if (!m) return NO_SUCH_MASTER;
  const refused = userSwitchover(cx, m, request);
  return refused === null ? { epoch: m.failoverEpoch } : { error: refused };
}

/**
 * How the switchover started in `epoch` ended: null while it runs, '' once the chosen replica
 * is master, else the error line. A master removed, reset or switched by a peer's newer
 * configuration meanwhile ends it too.
 */
export function switchoverOutcome(cx: StepContext, name: string, epoch: bigint): string | null {
  const m = cx.masters.get(name);
  const sw = m?.switchover;
  if (!m || !sw || sw.epoch !== epoch) return 'ERR Failover abandoned: the master was removed or reset';
  if (sw.outcome !== null) return sw.outcome;
  if (!m.flags.failoverInProgress || m.failoverEpoch !== epoch) return 'ERR Failover abandoned: the master was reset or reconfigured';
  return null;
}

/** One SENTINEL SET option with its value, parsed (numbers already wrapped to the width Redis stores). */
export type MasterSetting =
  | {
      option:
        | 'down-after-milliseconds'
        | 'failover-timeout'
        | 'parallel-syncs'
        | 'quorum'
        | 'master-reboot-down-after-period'
        | 'forget-after';
      value: number;
    }
  /** `executable`: whether the path names an executable file (not looked at for an empty path, which unsets). */
  | { option: 'notification-script' | 'client-reconfig-script'; path: string; executable: boolean }
  /** An empty value unsets. */
  | { option: 'auth-pass' | 'auth-user'; value: string }
  | { option: 'rename-command'; from: string; to: string }
  /** Beyond Redis: see empty-restart.ts. */
  | { option: 'protect-empty-restart'; value: boolean };

const SCRIPTS_DENIED: Refusal = {
  error:
    'ERR Reconfiguration of scripts path is denied for security reasons. ' +
    'Check the deny-scripts-reconfig configuration directive in your Sentinel configuration',
};

/**
 * Applies one option of SENTINEL SET and announces it with `+set`, showing `typed` (the
 * option and its values as the client wrote them; a password is masked). The config
 * write is left to the caller, once for all the options.
 */
export function setMasterOption(
  cx: StepContext,
  name: string,
  setting: MasterSetting,
  typed: readonly string[],
): Refusal | null {
  const m = cx.masters.get(name);
  if (!m) return NO_SUCH_MASTER;
  const refused = applyMasterSetting(cx, m, setting);
  if (refused) return refused;
  const shown = setting.option === 'auth-pass' ? [typed[0], '******'] : typed;
  cx.emit('warning', '+set', m, shown.join(' '));
  return null;
}

function applyMasterSetting(cx: StepContext, m: MasterInstance, setting: MasterSetting): Refusal | null {
  switch (setting.option) {
    case 'down-after-milliseconds':
      setDownAfter(m, setting.value);
      return null;
    case 'failover-timeout':
      m.failoverTimeoutMs = setting.value;
      return null;
    case 'parallel-syncs':
      m.parallelSyncs = setting.value;
      return null;
    case 'quorum':
      m.quorum = setting.value;
      return null;
    case 'master-reboot-down-after-period':
      m.masterRebootDownAfterPeriodMs = setting.value;
      return null;
    case 'forget-after':
      m.forgetAfterMs = setting.value;
      return null;
    case 'notification-script':
    case 'client-reconfig-script':
      return setScript(cx, m, setting.option, setting.path, setting.executable);
    case 'auth-pass':
    case 'auth-user':
      setCredential(cx, m, setting.option, setting.value);
      return null;
    case 'rename-command':
      renameCommand(m, setting.from, setting.to);
      return null;
    case 'protect-empty-restart':
      m.protectEmptyRestart = setting.value;
      if (!setting.value) m.flags.emptyRestart = false;
      return null;
  }
}

/** The master's replicas and peers are judged by the same period. */
function setDownAfter(m: MasterInstance, ms: number): void {
  m.downAfterMs = ms;
  for (const r of m.replicas.values()) r.downAfterMs = ms;
  for (const s of m.sentinels.values()) s.downAfterMs = ms;
}

function setScript(
  cx: StepContext,
  m: MasterInstance,
  option: 'notification-script' | 'client-reconfig-script',
  path: string,
  executable: boolean,
): Refusal | null {
  if (cx.settings.denyScriptsReconfig) return SCRIPTS_DENIED;
  if (path !== '' && !executable) {
    return {
      error:
        option === 'notification-script'
          ? 'ERR Notification script seems non existing or non executable'
          : 'ERR Client reconfiguration script seems non existing or non executable',
    };
  }
  if (option === 'notification-script') m.notificationScript = path === '' ? null : path;
  else m.clientReconfigScript = path === '' ? null : path;
  return null;
}

function setCredential(cx: StepContext, m: MasterInstance, option: 'auth-pass' | 'auth-user', value: string): void {
  if (option === 'auth-pass') m.authPass = value === '' ? null : value;
  else m.authUser = value === '' ? null : value;
  // New credentials take effect on fresh connections.
  dropConnections(cx, m);
  for (const r of m.replicas.values()) dropConnections(cx, r);
}

/** Renaming a command to itself (in any case) only removes the mapping. */
function renameCommand(m: MasterInstance, from: string, to: string): void {
  const key = lowerAscii(from);
  m.renamedCommands.delete(key);
  if (key !== lowerAscii(to)) m.renamedCommands.set(key, [from, to]);
}

/** One SENTINEL CONFIG SET parameter with its value, parsed. An empty user or password unsets it. */
export type SentinelSetting =
  | { parameter: 'resolve-hostnames' | 'announce-hostnames'; value: boolean }
  | { parameter: 'announce-ip' | 'sentinel-user' | 'sentinel-pass'; value: string }
  | { parameter: 'announce-port'; value: number };

/** Changes a sentinel-wide parameter and writes the config. */
export function setSentinelParameter(cx: StepContext, setting: SentinelSetting): void {
  applySentinelSetting(cx, setting);
  flushConfig(cx);
  // Peers are reconnected with the new credentials only after the write is asked for.
  if (setting.parameter === 'sentinel-user' || setting.parameter === 'sentinel-pass') dropAllSentinelLinks(cx);
}

function applySentinelSetting(cx: StepContext, setting: SentinelSetting): void {
  switch (setting.parameter) {
    case 'resolve-hostnames':
      cx.settings.resolveHostnames = setting.value;
      break;
    case 'announce-hostnames':
      cx.settings.announceHostnames = setting.value;
      break;
    case 'announce-ip':
      // An empty value stays set (and is written to the config as "").
      cx.settings.announceIp = setting.value;
      break;
    case 'announce-port':
      cx.settings.announcePort = setting.value;
      break;
    case 'sentinel-user':
      cx.settings.sentinelUser = setting.value === '' ? null : setting.value;
      break;
    case 'sentinel-pass':
      cx.settings.sentinelPass = setting.value === '' ? null : setting.value;
      break;
  }
}

export function setDebugTiming(cx: StepContext, timing: keyof Timings, ms: number): void {
  cx.timings[timing] = ms;
}

/** The failures SENTINEL SIMULATE-FAILURE can arm, by name. */
export const SIMULATED_FAILURES = ['crash-after-election', 'crash-after-promotion'] as const;

export type SimulatedFailure = (typeof SIMULATED_FAILURES)[number];

const FAILURE_FLAGS: Record<SimulatedFailure, [number, string]> = {
  'crash-after-election': [
    SIM_CRASH_AFTER_ELECTION,
    'Failure simulation: this Sentinel will crash after being successfully elected as failover leader',
  ],
  'crash-after-promotion': [
    SIM_CRASH_AFTER_PROMOTION,
    'Failure simulation: this Sentinel will crash after promoting the selected replica to master',
  ],
};

export function clearSimulatedFailures(cx: StepContext): void {
  cx.state.simFailureFlags = 0;
}

export function simulateFailure(cx: StepContext, failure: SimulatedFailure): void {
  const [flag, warning] = FAILURE_FLAGS[failure];
  cx.state.simFailureFlags |= flag;
  cx.log('warning', warning);
}
