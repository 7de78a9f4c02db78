import { announced, makeAddress, type Address, type AddressError, type Resolver } from './address.js';
import type { Action, ConnKind, ObservedReply, ReplyPurpose, ReplyTag } from './actions.js';
import { makeEvent, type LogLevel } from './events.js';
import { forceHelloUpdate, processHello } from './hello-exchange.js';
import { masterOf, type Instance, type MasterInstance, type ReplicaInstance, type SentinelInstance } from './instance.js';
import { seesDown } from './failure-detection.js';
import { dropAllSentinelLinks, dropConnections, onConnected, onConnectionClosed, renamed, send } from './links.js';
import { Registry } from './registry.js';
import { onPubsubMessage, onReply } from './replies.js';
import {
  createMaster,
  createReplica,
  createSentinel,
  findReplica,
  loadMaster,
  releaseInstance,
  removeMaster,
  resetMaster,
} from './roster.js';
import { ScriptQueue } from './scripts.js';
import { toConfig } from './snapshot.js';
import { scheduleNextTick, tick } from './tick.js';
import { FAST_TUNING, MAX_DESYNC_MS, REDIS_TIMINGS, RUN_ID_SIZE, type Timings, type Tuning } from './timing.js';
import { isMasterDownByAddr, vote } from './votes.js';
import type { SentinelConfig } from '../config/model.js';

/** flushConfig's answer when the write is the shell's to do, after the step. */
export const FLUSH_QUEUED = Symbol('flush queued');

export interface CoreOptions {
  config: SentinelConfig;
  /** Milliseconds, monotonic enough for intervals; the simulation supplies its own. */
  clock: () => number;
  /** Uniform in [0, 1). */
  random: () => number;
  resolve: Resolver;
  /**
   * Persists the config synchronously; returns null on success or the error text.
   * Without it the core queues a `persist` action instead, and the shell writes the
   * file, logs the outcome and holds back what follows it (see PersistGate).
   */
  saveConfig?: (config: SentinelConfig) => string | null;
  /** The port announced in hello messages when announce-port is 0. */
  listeningPort: number;
  timings?: Partial<Timings>;
  tuning?: Tuning;
}

/**
 * The sentinel: every monitored master with its replicas and peer sentinels,
 * and the rules that act on them. Fed inputs (time passes, replies arrive,
 * links drop, clients ask), it queues actions for the shells to carry out.
 *
 * The state lives here; the rules live in modules of functions over it:
 * links, replies, roster, info-refresh, hello-exchange, failure-detection,
 * votes, tick and failover.
 */
export class SentinelCore {
  readonly masters = new Map<string, MasterInstance>();
  readonly timings: Timings;
  readonly tuning: Tuning;
  myid: string;
  currentEpoch: number;
  announceIp: string | null;
  announcePort: number;
  denyScriptsReconfig: boolean;
  sentinelUser: string | null;
  sentinelPass: string | null;
  resolveHostnames: boolean;
  announceHostnames: boolean;
  /** The password of our own default user, sent to peers when sentinel-pass is not set. */
  requirepass: string | null = null;
  tilt = false;
  tiltStartTime = 0;
  /** When the timer last ran; a jump either way from it enters TILT. */
  previousTickTime: number;
  simFailureFlags = 0;
  hz = 10;
  readonly scripts = new ScriptQueue();
  /** The random extra wait before a failover may start, and after voting for a peer. */
  maxDesyncMs = MAX_DESYNC_MS;
  readonly registry = new Registry();
  readonly listeningPort: number;

  private outbox: Action[] = [];
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly resolve: Resolver;
  private readonly saveConfigFn: ((config: SentinelConfig) => string | null) | undefined;

  constructor(opts: CoreOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.resolve = opts.resolve;
    this.saveConfigFn = opts.saveConfig;
    this.listeningPort = opts.listeningPort;
    this.timings = { ...REDIS_TIMINGS, ...opts.timings };
    this.tuning = opts.tuning ?? FAST_TUNING;
    const c = opts.config;
    this.myid = c.myid ?? '';
    this.currentEpoch = c.currentEpoch;
    this.announceIp = c.announceIp;
    this.announcePort = c.announcePort;
    this.denyScriptsReconfig = c.denyScriptsReconfig;
    this.sentinelUser = c.sentinelUser;
    this.sentinelPass = c.sentinelPass;
    this.resolveHostnames = c.resolveHostnames;
    this.announceHostnames = c.announceHostnames;
    this.previousTickTime = this.clock();
    for (const mc of c.masters) loadMaster(this, mc);
  }

  // ---------------------------------------------------------------- effects

  /** Everything queued since the last call, in order. */
  takeActions(): Action[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  enqueue(...actions: Action[]): void {
    this.outbox.push(...actions);
  }

  now(): number {
    return this.clock();
  }

  randomInt(n: number): number {
    return Math.floor(this.random() * n);
  }

  emit(level: LogLevel, type: string, ri: Instance | null, text = '', withInstance = true): void {
    const event = makeEvent(level, type, ri, text, this.announceHostnames, withInstance);
    this.outbox.push({ kind: 'event', event });
    const script = ri ? masterOf(ri).notificationScript : null;
    if (level === 'warning' && script) this.scripts.add([script, type, event.message]);
  }

  log(level: LogLevel, message: string): void {
    this.outbox.push({ kind: 'log', level, message });
  }

  queueClientReconfig(m: MasterInstance, role: 'leader' | 'observer', from: Address, to: Address): void {
    if (!m.clientReconfigScript) return;
    const show = (a: Address) => [announced(a, this.announceHostnames), String(a.port)];
    this.scripts.add([m.clientReconfigScript, m.name, role, 'start', ...show(from), ...show(to)]);
  }

  crash(): void {
    this.log('warning', 'Sentinel CRASH because of SENTINEL simulate-failure');
    this.outbox.push({ kind: 'crash' });
  }

  /**
   * Writes the config: with a synchronous saveConfig, now, returning null or the
   * error text (already logged); otherwise queues a persist action and returns
   * FLUSH_QUEUED.
   */
  flushConfig(): string | null | typeof FLUSH_QUEUED {
    if (this.saveConfigFn === undefined) {
      this.outbox.push({ kind: 'persist' });
      return FLUSH_QUEUED;
    }
    const error = this.saveConfigFn(toConfig(this));
    if (error === null) this.log('notice', 'Sentinel new configuration saved on disk');
    else this.log('warning', `WARNING: Sentinel was not able to save the new configuration on disk!!!: ${error}`);
    return error;
  }

  /** A sentinel started without `sentinel myid` picks one and saves it at once. */
  ensureMyId(): void {
    if (this.myid.length === RUN_ID_SIZE) return;
    let id = '';
    for (let i = 0; i < RUN_ID_SIZE; i++) id += Math.floor(this.random() * 16).toString(16);
    this.myid = id;
    this.flushConfig();
  }

  /** Start-up events: `+monitor` for every configured master. */
  announceMonitoredMasters(): void {
    for (const m of this.masters.values()) this.emit('warning', '+monitor', m, `quorum ${m.quorum}`);
  }

  // ---------------------------------------------------------------- addresses

  /** An address under our resolve-hostnames setting; `acceptUnresolved` as when loading the config. */
  address(host: string, port: number, acceptUnresolved = false): Address | AddressError {
    return makeAddress(host, port, this.resolveHostnames, this.resolve, acceptUnresolved);
  }

  resolveHost(host: string): string | null {
    return this.resolve(host);
  }

  /** An IP literal, or with resolve-hostnames a name that resolves. */
  isAcceptableHost(host: string): boolean {
    return typeof this.address(host, 0) !== 'string';
  }

  /** The address clients should use for a master right now. */
  currentMasterAddress(m: MasterInstance): Address {
    if (m.promoted && (m.failoverState === 'reconf_slaves' || m.failoverState === 'update_config')) return m.promoted.addr;
    return m.addr;
  }

  // ---------------------------------------------------------------- inputs from the shells

  scheduleNextTick(): number {
    return scheduleNextTick(this);
  }

  tick(): void {
    tick(this);
  }

  onConnected(linkId: number, conn: ConnKind, generation: number, localIp: string): void {
    onConnected(this, linkId, conn, generation, localIp);
  }

  onConnectionClosed(linkId: number, conn: ConnKind, generation: number, reason: string, neverConnected: boolean): void {
    onConnectionClosed(this, linkId, conn, generation, reason, neverConnected);
  }

  onReply(linkId: number, conn: ConnKind, generation: number, tag: ReplyTag, reply: ObservedReply): void {
    onReply(this, linkId, conn, generation, tag, reply);
  }

  onPubsubMessage(linkId: number, generation: number, payload: string): void {
    onPubsubMessage(this, linkId, generation, payload);
  }

  /** A hello from a peer, received on a subscription or through our PUBLISH command. */
  processHello(payload: string): void {
    processHello(this, payload);
  }

  onScriptStarted(job: number, pid: number): void {
    const r = this.scripts.started(job, pid);
    if (r) this.emit(r.level, r.type, null, r.message);
  }

  onScriptSpawnFailed(job: number): void {
    const r = this.scripts.forkFailed(job);
    if (r) this.emit(r.level, r.type, null, r.message);
  }

  onScriptExited(pid: number, exitCode: number, signal: number): void {
    for (const r of this.scripts.exited(pid, exitCode, signal, this.clock(), this.timings)) {
      if (r.type === '') this.log(r.level, r.message);
      else this.emit(r.level, r.type, null, r.message);
    }
  }

  // ---------------------------------------------------------------- for SENTINEL commands and the failover

  instance(uid: number): Instance | undefined {
    return this.registry.instance(uid);
  }

  createMaster(name: string, addr: Address, quorum: number): MasterInstance {
    return createMaster(this, name, addr, quorum);
  }

  createReplica(master: MasterInstance, addr: Address): ReplicaInstance | null {
    return createReplica(this, master, addr);
  }

  createSentinel(master: MasterInstance, addr: Address, runid: string): SentinelInstance | null {
    return createSentinel(this, master, addr, runid);
  }

  findReplica(master: MasterInstance, addr: Address): ReplicaInstance | undefined {
    return findReplica(this, master, addr);
  }

  releaseInstance(ri: Instance): void {
    releaseInstance(this, ri);
  }

  removeMaster(m: MasterInstance): void {
    removeMaster(this, m);
  }

  resetMaster(m: MasterInstance, opts: { keepSentinels: boolean; announce: boolean }): void {
    resetMaster(this, m, opts);
  }

  send(ri: Instance, conn: ConnKind, args: string[], purpose: ReplyPurpose): boolean {
    return send(this, ri, conn, args, purpose);
  }

  renamed(master: MasterInstance, command: string): string {
    return renamed(master, command);
  }

  dropConnections(ri: Instance): void {
    dropConnections(this, ri);
  }

  dropAllSentinelLinks(): void {
    dropAllSentinelLinks(this);
  }

  forceHelloUpdate(m: MasterInstance): void {
    forceHelloUpdate(this, m);
  }

  seesDown(ri: Instance): boolean {
    return seesDown(this, ri);
  }

  vote(m: MasterInstance, reqEpoch: number, reqRunid: string): { leader: string | null; epoch: number } {
    return vote(this, m, reqEpoch, reqRunid);
  }

  isMasterDownByAddr(ip: string, port: number, reqEpoch: number, runid: string): { down: boolean; leader: string; epoch: number } {
    return isMasterDownByAddr(this, ip, port, reqEpoch, runid);
  }
}
