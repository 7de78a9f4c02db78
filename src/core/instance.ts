import type { Address } from './address.js';
import { DEFAULT_SLAVE_PRIORITY } from './timing.js';

export type InstanceKind = 'master' | 'slave' | 'sentinel';

export type FailoverState =
  | 'none'
  | 'wait_start'
  | 'select_slave'
  | 'send_slaveof_noone'
  | 'wait_promotion'
  | 'reconf_slaves'
  | 'update_config';

/** One outgoing TCP connection of a link. `generation` tells its replies from those of an earlier connection. */
export interface Connection {
  generation: number;
  /** Our side's IP on this connection, once connected (used in hello messages). */
  localIp: string | null;
}

/**
 * The connections to one instance. Sentinel instances with the same run id,
 * listed under several masters, share one link.
 */
export interface Link {
  id: number;
  refcount: number;
  cc: Connection | null;
  pc: Connection | null;
  disconnected: boolean;
  pendingCommands: number;
  ccConnTime: number;
  pcConnTime: number;
  pcLastActivity: number;
  /** When the oldest unanswered PING was sent; 0 when none is outstanding. */
  actPingTime: number;
  lastPingTime: number;
  lastAvailTime: number;
  lastPongTime: number;
  lastReconnTime: number;
  /** Beyond Redis, for metrics: the round trip of the last PING answered in time; -1 before any. */
  lastPingRttMs: number;
}

export interface Flags {
  sdown: boolean;
  odown: boolean;
  /** On a sentinel instance: its last is-master-down answer said the master is down. */
  masterDown: boolean;
  failoverInProgress: boolean;
  promoted: boolean;
  reconfSent: boolean;
  reconfInprog: boolean;
  reconfDone: boolean;
  forceFailover: boolean;
  scriptKillSent: boolean;
  masterReboot: boolean;
  /** Beyond Redis: held since `emptyRestartSince` after it restarted empty (empty-restart.ts); not in the flags string. */
  emptyRestart: boolean;
}

export function noFlags(): Flags {
  return {
    sdown: false,
    odown: false,
    masterDown: false,
    failoverInProgress: false,
    promoted: false,
    reconfSent: false,
    reconfInprog: false,
    reconfDone: false,
    forceFailover: false,
    scriptKillSent: false,
    masterReboot: false,
    emptyRestart: false,
  };
}

/** Fields every monitored instance has, whatever its kind. */
export interface InstanceBase {
  /** Unique within this process; replies are routed by it. */
  uid: number;
  kind: InstanceKind;
  name: string;
  addr: Address;
  runid: string | null;
  flags: Flags;
  link: Link;
  downAfterMs: number;
  sDownSinceTime: number;
  oDownSinceTime: number;
  lastPubTime: number;
  lastHelloTime: number;
  lastMasterDownReplyTime: number;
  lastMasterDownAskTime: number;
  infoRefresh: number;
  info: string | null;
  /** null when the last INFO had no role line. */
  roleReported: 'master' | 'slave' | null;
  roleReportedTime: number;
  /** The vote this instance reported (sentinels), or this sentinel's own vote (masters). */
  leader: string | null;
  leaderEpoch: bigint;
}

export interface ReplicaInstance extends InstanceBase {
  kind: 'slave';
  master: MasterInstance;
  masterLinkDownTime: number;
  slavePriority: number;
  replicaAnnounced: boolean;
  slaveMasterHost: string | null;
  slaveMasterPort: number;
  slaveMasterLinkUp: boolean;
  slaveReplOffset: number;
  slaveConfChangeTime: number;
  slaveReconfSentTime: number;
}

export interface SentinelInstance extends InstanceBase {
  kind: 'sentinel';
  master: MasterInstance;
}

export interface MasterInstance extends InstanceBase {
  kind: 'master';
  quorum: number;
  parallelSyncs: number;
  failoverTimeoutMs: number;
  masterRebootDownAfterPeriodMs: number;
  masterRebootSinceTime: number;
  /** Beyond Redis: replicas and peers S_DOWN for longer than this are forgotten; 0 never. */
  forgetAfterMs: number;
  protectEmptyRestart: boolean;
  emptyRestartSince: number;
  /** Beyond Redis: the built-in proxy's ports (0: none); the daemon opens them, the core only keeps them. */
  proxyPort: number;
  proxyReplicasPort: number;
  authPass: string | null;
  authUser: string | null;
  notificationScript: string | null;
  clientReconfigScript: string | null;
  /** Lower-cased command name -> [the name as configured, the name to send instead]. */
  renamedCommands: Map<string, [string, string]>;
  configEpoch: bigint;
  failoverEpoch: bigint;
  failoverState: FailoverState;
  failoverStateChangeTime: number;
  failoverStartTime: number;
  failoverDelayLogged: number;
  /** Bumped whenever the master's address changes, so answers about an older address are recognised. */
  addressGeneration: number;
  /** With a start jitter or a rank delay: since when this ODOWN master's failover has been waiting to start. */
  startWait: StartWait | null;
  /** The epoch of our own election that nobody could win, while a quick retry is allowed; 0 when none. */
  electionRetryEpoch: bigint;
  /** Quick retries since the master last went ODOWN. */
  quickRetries: number;
  /** Beyond Redis, for SENTINEL EXPLAIN and the log: the votes of our last election's last count. */
  lastElection: ElectionTally | null;
  /** Beyond Redis: the SDOWN episode (its start) whose missing ODOWN was explained in the log; 0 when none. */
  noOdownExplained: number;
  promoted: ReplicaInstance | null;
  /** Beyond Redis: what the last SENTINEL FAILOVER with TO / COORDINATED asked for (see switchover.ts); null otherwise. */
  switchover: Switchover | null;
  /** Keyed by replica name (`ip:port`). */
  replicas: Map<string, ReplicaInstance>;
  /** Keyed by run id. */
  sentinels: Map<string, SentinelInstance>;
}

/** Who voted for whom in one of our elections, as getLeader counted it. */
export interface ElectionTally {
  epoch: bigint;
  /** When it was counted. */
  time: number;
  /** Every voter (this sentinel first) and the run id it voted for in the epoch; null when no vote in it is known. */
  votes: Array<{ voter: string; votedFor: string | null }>;
  /** The votes the winner needs: a majority of the voters, and at least the quorum. */
  needed: number;
  winner: string | null;
}

/**
 * Beyond Redis: `SENTINEL FAILOVER <master> [TO <ip> <port>] [COORDINATED] [TIMEOUT <ms>]`, kept
 * with the failover it started (same epoch), and its outcome once known, for the waiting client.
 */
export interface Switchover {
  /** The failover epoch of the failover it started. */
  epoch: bigint;
  /** TO <ip> <port>: the replica to promote; null to choose as Redis does. */
  target: Address | null;
  /** Writes held on the master (Redis's FAILOVER command) until the replica has caught up. */
  coordinated: boolean;
  /** The TIMEOUT given to the master's FAILOVER. */
  timeoutMs: number;
  /** When FAILOVER was sent to the master; 0 before. */
  sentAt: number;
  /** The master answered +OK to FAILOVER. */
  accepted: boolean;
  /** An INFO since the +OK showed the master handing over (role:slave, or master_failover_state:failover-in-progress). */
  handingOver: boolean;
  /** An INFO since the +OK showed the master still master with no failover under way: it gave up. */
  masterGaveUp: boolean;
  /** When the master and the replica were last polled with INFO. */
  lastPollAt: number;
  /** null while it runs; then '' once the chosen replica is master, or the error line to answer. */
  outcome: string | null;
}

export interface StartWait {
  since: number;
  /** Runs of the timer since then, this one included. */
  ticks: number;
  jitterMs: number;
}

export type Instance = MasterInstance | ReplicaInstance | SentinelInstance;

export function newLink(id: number, now: number): Link {
  return {
    id,
    refcount: 1,
    cc: null,
    pc: null,
    disconnected: true,
    pendingCommands: 0,
    ccConnTime: 0,
    pcConnTime: 0,
    pcLastActivity: 0,
    // An instance that is never reachable must still time out.
    actPingTime: now,
    lastPingTime: 0,
    lastAvailTime: now,
    lastPongTime: now,
    lastReconnTime: 0,
    lastPingRttMs: -1,
  };
}

/**
 * Instances are built by constructors rather than spread literals: V8 then keeps every field
 * inside the object, where a spread literal keeps all but a few in a separate array, one
 * more cache miss for each field the timer reads on its walk over every instance. Fields are
 * declared in the order the config and the replies have always listed them.
 */
abstract class InstanceFields {
  uid: number;
  name: string;
  addr: Address;
  runid: string | null = null;
  flags: Flags = noFlags();
  link: Link;
  downAfterMs: number;
  sDownSinceTime = 0;
  oDownSinceTime = 0;
  lastPubTime: number;
  lastHelloTime: number;
  lastMasterDownReplyTime: number;
  lastMasterDownAskTime = 0;
  infoRefresh = 0;
  info: string | null = null;
  roleReported: 'master' | 'slave' | null;
  roleReportedTime: number;
  leader: string | null = null;
  leaderEpoch = 0n;

  constructor(kind: InstanceKind, uid: number, name: string, addr: Address, link: Link, downAfterMs: number, now: number) {
    this.uid = uid;
    this.name = name;
    this.addr = addr;
    this.link = link;
    this.downAfterMs = downAfterMs;
    this.lastPubTime = now;
    this.lastHelloTime = now;
    this.lastMasterDownReplyTime = now;
    this.roleReported = kind === 'slave' ? 'slave' : 'master';
    this.roleReportedTime = now;
  }
}

class MasterRecord extends InstanceFields implements MasterInstance {
  readonly kind = 'master' as const;
  quorum: number;
  parallelSyncs = 1;
  failoverTimeoutMs: number;
  masterRebootDownAfterPeriodMs = 0;
  masterRebootSinceTime = 0;
  forgetAfterMs = 0;
  protectEmptyRestart = false;
  emptyRestartSince = 0;
  proxyPort = 0;
  proxyReplicasPort = 0;
  authPass: string | null = null;
  authUser: string | null = null;
  notificationScript: string | null = null;
  clientReconfigScript: string | null = null;
  renamedCommands = new Map<string, [string, string]>();
  configEpoch = 0n;
  failoverEpoch = 0n;
  failoverState: FailoverState = 'none';
  failoverStateChangeTime = 0;
  failoverStartTime = 0;
  failoverDelayLogged = 0;
  startWait: StartWait | null = null;
  electionRetryEpoch = 0n;
  quickRetries = 0;
  lastElection: ElectionTally | null = null;
  noOdownExplained = 0;
  addressGeneration = 0;
  promoted: ReplicaInstance | null = null;
  switchover: Switchover | null = null;
  replicas = new Map<string, ReplicaInstance>();
  sentinels = new Map<string, SentinelInstance>();

  constructor(uid: number, name: string, addr: Address, link: Link, downAfterMs: number, failoverTimeoutMs: number, quorum: number, now: number) {
    super('master', uid, name, addr, link, downAfterMs, now);
    this.quorum = quorum;
    this.failoverTimeoutMs = failoverTimeoutMs;
  }
}

class ReplicaRecord extends InstanceFields implements ReplicaInstance {
  masterLinkDownTime = 0;
  slavePriority = DEFAULT_SLAVE_PRIORITY;
  replicaAnnounced = true;
  slaveMasterHost: string | null = null;
  slaveMasterPort = 0;
  slaveMasterLinkUp = false;
  slaveReplOffset = 0;
  slaveConfChangeTime: number;
  slaveReconfSentTime = 0;
  readonly kind = 'slave' as const;
  master: MasterInstance;

  constructor(uid: number, name: string, addr: Address, link: Link, master: MasterInstance, now: number) {
    super('slave', uid, name, addr, link, master.downAfterMs, now);
    this.slaveConfChangeTime = now;
    this.master = master;
  }
}

class SentinelRecord extends InstanceFields implements SentinelInstance {
  readonly kind = 'sentinel' as const;
  master: MasterInstance;

  constructor(uid: number, runid: string, addr: Address, link: Link, master: MasterInstance, now: number) {
    super('sentinel', uid, runid, addr, link, master.downAfterMs, now);
    this.master = master;
  }
}

export function newMaster(uid: number, name: string, addr: Address, link: Link, downAfterMs: number, failoverTimeoutMs: number, quorum: number, now: number): MasterInstance {
  return new MasterRecord(uid, name, addr, link, downAfterMs, failoverTimeoutMs, quorum, now);
}

export function newReplica(uid: number, name: string, addr: Address, link: Link, master: MasterInstance, now: number): ReplicaInstance {
  return new ReplicaRecord(uid, name, addr, link, master, now);
}

export function newSentinel(uid: number, runid: string, addr: Address, link: Link, master: MasterInstance, now: number): SentinelInstance {
  return new SentinelRecord(uid, runid, addr, link, master, now);
}

/**
 * Redis clears `disconnected` as soon as it starts connecting, so an instance
 * that refuses connections shows up without the flag until the refusal is read.
 * We show it until the connections are established: the same state, without
 * the race.
 */
function linkLooksDisconnected(ri: Instance): boolean {
  const { link } = ri;
  if (link.disconnected) return true;
  const connecting = (c: Connection | null) => c !== null && c.localIp === null;
  return connecting(link.cc) || (ri.kind !== 'sentinel' && connecting(link.pc));
}

/** The flags string of SENTINEL MASTER/REPLICAS/SENTINELS, tokens in Redis's order. */
export function flagsString(ri: Instance): string {
  const f = ri.flags;
  const tokens: string[] = [];
  if (f.sdown) tokens.push('s_down');
  if (f.odown) tokens.push('o_down');
  tokens.push(ri.kind);
  if (linkLooksDisconnected(ri)) tokens.push('disconnected');
  if (f.masterDown) tokens.push('master_down');
  if (f.failoverInProgress) tokens.push('failover_in_progress');
  if (f.promoted) tokens.push('promoted');
  if (f.reconfSent) tokens.push('reconf_sent');
  if (f.reconfInprog) tokens.push('reconf_inprog');
  if (f.reconfDone) tokens.push('reconf_done');
  if (f.forceFailover) tokens.push('force_failover');
  if (f.scriptKillSent) tokens.push('script_kill_sent');
  return tokens.join(',');
}

/** The address clients should use for a master right now: the promoted replica's once the failover is past promotion. */
export function currentMasterAddress(m: MasterInstance): Address {
  if (m.promoted && (m.failoverState === 'reconf_slaves' || m.failoverState === 'update_config')) return m.promoted.addr;
  return m.addr;
}

/** The master an instance belongs to: itself for a master. */
export function masterOf(ri: Instance): MasterInstance {
  return ri.kind === 'master' ? ri : ri.master;
}
