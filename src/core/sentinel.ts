import { announced, makeAddress, replicaName, sameAddress, type Address, type Resolver } from './address.js';
import type { Action, ConnKind, ObservedReply, ReplyPurpose, ReplyTag } from './actions.js';
import { makeEvent, type LogLevel } from './events.js';
import { formatHello, parseHello } from './hello.js';
import { parseInfo } from './info.js';
import {
  baseFields,
  newLink,
  noFlags,
  replicaDefaults,
  type Instance,
  type Link,
  type MasterInstance,
  type ReplicaInstance,
  type SentinelInstance,
} from './instance.js';
import { HELLO_CHANNEL, MAX_PENDING_COMMANDS, REDIS_TIMINGS, RUN_ID_SIZE, type Timings } from './timing.js';
import type { SentinelConfig } from '../config/model.js';
import { toConfig } from './snapshot.js';
import {
  actOnReplicaInfo,
  followNewerConfig,
  runFailoverStateMachine,
  startFailoverIfNeeded,
  switchToPromoted,
} from './failover.js';
import { ScriptQueue } from './scripts.js';
import { FAST_TUNING, MAX_DESYNC_MS, type Tuning } from './timing.js';

const REDIS_TICK_MIN = 52;
const REDIS_TICK_MAX = 100;

export interface CoreOptions {
  config: SentinelConfig;
  /** Milliseconds, monotonic enough for intervals; the simulation supplies its own. */
  clock: () => number;
  /** Uniform in [0, 1). */
  random: () => number;
  resolve: Resolver;
  /** Persists the config; returns null on success or the error text. */
  saveConfig: (config: SentinelConfig) => string | null;
  /** The port announced in hello messages when announce-port is 0. */
  listeningPort: number;
  timings?: Partial<Timings>;
  tuning?: Tuning;
}

/**
 * The sentinel: every monitored master with its replicas and peer sentinels,
 * and the rules that act on them. Fed inputs (time passes, replies arrive,
 * links drop, clients ask), it queues actions for the shells to carry out.
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
  simFailureFlags = 0;
  hz = 10;
  readonly scripts = new ScriptQueue();
  /** The random extra wait before a failover may start, and after voting for a peer. */
  maxDesyncMs = MAX_DESYNC_MS;

  private previousTime: number;
  private outbox: Action[] = [];
  private readonly instancesByUid = new Map<number, Instance>();
  private readonly linksById = new Map<number, { link: Link; owner: Instance }>();
  private nextUid = 1;
  private nextLinkId = 1;
  private nextGeneration = 1;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly resolve: Resolver;
  private readonly saveConfigFn: (config: SentinelConfig) => string | null;
  readonly listeningPort: number;

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
    this.previousTime = this.clock();
    for (const mc of c.masters) this.loadMaster(mc);
  }

  // ---------------------------------------------------------------- outbox

  /** Everything queued since the last call, in order. */
  takeActions(): Action[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  now(): number {
    return this.clock();
  }

  emit(level: LogLevel, type: string, ri: Instance | null, text = '', withInstance = true): void {
    const event = makeEvent(level, type, ri, text, this.announceHostnames, withInstance);
    this.outbox.push({ kind: 'event', event });
    const script = ri ? this.masterOf(ri).notificationScript : null;
    if (level === 'warning' && script) this.scripts.add([script, type, event.message]);
  }

  queueClientReconfig(m: MasterInstance, role: 'leader' | 'observer', from: Address, to: Address): void {
    if (!m.clientReconfigScript) return;
    const show = (a: Address) => [announced(a, this.announceHostnames), String(a.port)];
    this.scripts.add([m.clientReconfigScript, m.name, role, 'start', ...show(from), ...show(to)]);
  }

  randomInt(n: number): number {
    return Math.floor(this.random() * n);
  }

  crash(): void {
    this.log('warning', 'Sentinel CRASH because of SENTINEL simulate-failure');
    this.outbox.push({ kind: 'crash' });
  }

  /** Publishes our hello to everything around a master on the next tick. */
  forceHelloUpdate(m: MasterInstance): void {
    const step = this.timings.publishPeriod + 1;
    for (const ri of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
      if (ri.lastPubTime >= step) ri.lastPubTime -= step;
    }
  }

  log(level: LogLevel, message: string): void {
    this.outbox.push({ kind: 'log', level, message });
  }

  /** Writes the config now; returns null or the error text (already logged). */
  flushConfig(): string | null {
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

  // ---------------------------------------------------------------- instances

  private loadMaster(mc: SentinelConfig['masters'][number]): void {
    const addr = makeAddress(mc.host, mc.port, this.resolveHostnames, this.resolve, true);
    if (typeof addr === 'string') return;
    const m = this.createMaster(mc.name, addr, mc.quorum);
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
      const ra = makeAddress(r.host, r.port, this.resolveHostnames, this.resolve, true);
      if (typeof ra !== 'string') this.createReplica(m, ra);
    }
    for (const s of mc.knownSentinels) {
      const sa = makeAddress(s.host, s.port, this.resolveHostnames, this.resolve, true);
      if (typeof sa !== 'string') this.createSentinel(m, sa, s.runid);
    }
  }

  createMaster(name: string, addr: Address, quorum: number): MasterInstance {
    const now = this.clock();
    const uid = this.nextUid++;
    const m: MasterInstance = {
      ...baseFields('master', uid, name, addr, newLink(this.nextLinkId++, now), this.timings.defaultDownAfter, now),
      kind: 'master',
      quorum,
      parallelSyncs: 1,
      failoverTimeoutMs: this.timings.defaultFailoverTimeout,
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
      failoverNotBefore: 0,
      addressGeneration: 0,
      promoted: null,
      replicas: new Map(),
      sentinels: new Map(),
    };
    this.masters.set(name, m);
    this.register(m);
    return m;
  }

  createReplica(master: MasterInstance, addr: Address): ReplicaInstance | null {
    const name = replicaName(announced(addr, this.announceHostnames), addr.port);
    if (master.replicas.has(name)) return null;
    const now = this.clock();
    const r: ReplicaInstance = {
      ...baseFields('slave', this.nextUid++, name, addr, newLink(this.nextLinkId++, now), master.downAfterMs, now),
      ...replicaDefaults(now),
      kind: 'slave',
      master,
    };
    master.replicas.set(name, r);
    this.register(r);
    return r;
  }

  createSentinel(master: MasterInstance, addr: Address, runid: string): SentinelInstance | null {
    if (master.sentinels.has(runid)) return null;
    const now = this.clock();
    const s: SentinelInstance = {
      ...baseFields('sentinel', this.nextUid++, runid, addr, newLink(this.nextLinkId++, now), master.downAfterMs, now),
      kind: 'sentinel',
      master,
    };
    s.runid = runid;
    master.sentinels.set(runid, s);
    this.register(s);
    this.tryLinkSharing(s);
    return s;
  }

  private register(ri: Instance): void {
    this.instancesByUid.set(ri.uid, ri);
    this.linksById.set(ri.link.id, { link: ri.link, owner: ri });
  }

  /** The same peer listed under several masters talks to us over one link. */
  private tryLinkSharing(s: SentinelInstance): void {
    if (s.link.refcount > 1) return;
    for (const m of this.masters.values()) {
      if (m === s.master) continue;
      const match = m.sentinels.get(s.runid ?? '');
      if (!match || match === s) continue;
      this.linksById.delete(s.link.id);
      this.releaseLink(s.link);
      s.link = match.link;
      match.link.refcount++;
      return;
    }
  }

  private releaseLink(link: Link): void {
    link.refcount--;
    if (link.refcount > 0) return;
    this.closeConnection(link, 'cc');
    this.closeConnection(link, 'pc');
    this.linksById.delete(link.id);
  }

  /** Forgets an instance and, when nobody else shares it, its link. */
  releaseInstance(ri: Instance): void {
    this.instancesByUid.delete(ri.uid);
    if (ri.kind === 'master') {
      for (const r of ri.replicas.values()) this.releaseInstance(r);
      for (const s of ri.sentinels.values()) this.releaseInstance(s);
      ri.replicas.clear();
      ri.sentinels.clear();
    }
    const entry = this.linksById.get(ri.link.id);
    if (entry && entry.owner === ri && ri.link.refcount > 1) {
      // Hand the shared link to another instance that still uses it.
      for (const other of this.instancesByUid.values()) {
        if (other.link === ri.link && other !== ri) {
          entry.owner = other;
          break;
        }
      }
    }
    this.releaseLink(ri.link);
  }

  removeMaster(m: MasterInstance): void {
    this.masters.delete(m.name);
    this.releaseInstance(m);
  }

  /**
   * Forgets what was learnt about a master: its replicas (and, for SENTINEL
   * RESET, its peers), its links, flags and failover, so discovery starts over.
   */
  resetMaster(m: MasterInstance, opts: { keepSentinels: boolean; announce: boolean }): void {
    const now = this.clock();
    for (const r of m.replicas.values()) this.releaseInstance(r);
    m.replicas.clear();
    if (!opts.keepSentinels) {
      for (const s of m.sentinels.values()) this.releaseInstance(s);
      m.sentinels.clear();
    }
    this.dropConnections(m);
    m.flags = noFlags();
    m.leader = null;
    m.failoverState = 'none';
    m.failoverStateChangeTime = 0;
    m.failoverStartTime = 0;
    m.promoted = null;
    m.runid = null;
    m.link.actPingTime = now;
    m.link.lastPingTime = 0;
    m.link.lastAvailTime = now;
    m.link.lastPongTime = now;
    m.roleReported = 'master';
    m.roleReportedTime = now;
    if (opts.announce) this.emit('warning', '+reset-master', m);
  }

  /** Closes every peer-sentinel link so they authenticate again with new credentials. */
  dropAllSentinelLinks(): void {
    for (const m of this.masters.values()) for (const s of m.sentinels.values()) this.dropConnections(s);
  }

  resolveHost(host: string): string | null {
    return this.resolve(host);
  }

  /** An IP literal, or with resolve-hostnames a name that resolves. */
  isAcceptableHost(host: string): boolean {
    return typeof makeAddress(host, 0, this.resolveHostnames, this.resolve) !== 'string';
  }

  instance(uid: number): Instance | undefined {
    return this.instancesByUid.get(uid);
  }

  // ---------------------------------------------------------------- links

  private closeConnection(link: Link, conn: ConnKind): void {
    const c = link[conn];
    if (!c) return;
    this.outbox.push({ kind: 'close', link: link.id, conn, generation: c.generation });
    link[conn] = null;
    if (conn === 'cc') link.pendingCommands = 0;
    link.disconnected = true;
  }

  /** Closes an instance's connections so they are re-established (new credentials, reset). */
  dropConnections(ri: Instance): void {
    this.closeConnection(ri.link, 'cc');
    this.closeConnection(ri.link, 'pc');
  }

  renamed(master: MasterInstance, command: string): string {
    return master.renamedCommands.get(command.toLowerCase())?.[1] ?? command;
  }

  private masterOf(ri: Instance): MasterInstance {
    return ri.kind === 'master' ? ri : ri.master;
  }

  /** Sends a command on an instance's link; false when the connection is gone. */
  send(ri: Instance, conn: ConnKind, args: string[], purpose: ReplyPurpose): boolean {
    const c = ri.link[conn];
    if (!c) return false;
    const master = this.masterOf(ri);
    const wire = [this.renamed(master, args[0]), ...args.slice(1)];
    const tag: ReplyTag = { instance: ri.uid, purpose };
    if (purpose === 'is-master-down') tag.addressGeneration = master.addressGeneration;
    this.outbox.push({ kind: 'send', link: ri.link.id, conn, generation: c.generation, args: wire, tag });
    if (purpose !== 'subscribe') ri.link.pendingCommands++;
    return true;
  }

  private authArgs(ri: Instance): string[] | null {
    if (ri.kind === 'sentinel') {
      if (this.sentinelPass !== null) return this.sentinelUser !== null ? ['AUTH', this.sentinelUser, this.sentinelPass] : ['AUTH', this.sentinelPass];
      if (this.requirepass !== null) return ['AUTH', this.requirepass];
      return null;
    }
    const m = this.masterOf(ri);
    if (m.authPass === null) return null;
    return m.authUser !== null ? ['AUTH', m.authUser, m.authPass] : ['AUTH', m.authPass];
  }

  private reconnect(ri: Instance): void {
    const link = ri.link;
    const now = this.clock();
    if (!link.disconnected || ri.addr.port === 0) return;
    if (now - link.lastReconnTime < this.timings.pingPeriod) return;
    link.lastReconnTime = now;
    const clientPrefix = `sentinel-${this.myid.slice(0, 8)}`;
    const auth = this.authArgs(ri);

    if (!link.cc) {
      link.cc = { generation: this.nextGeneration++, localIp: null };
      this.outbox.push({ kind: 'connect', link: link.id, conn: 'cc', generation: link.cc.generation, host: ri.addr.ip, port: ri.addr.port });
      link.pendingCommands = 0;
      link.ccConnTime = now;
      if (auth) this.send(ri, 'cc', auth, 'ignore');
      this.send(ri, 'cc', ['CLIENT', 'SETNAME', `${clientPrefix}-cmd`], 'ignore');
      this.sendPing(ri);
    }
    if (ri.kind !== 'sentinel' && !link.pc) {
      link.pc = { generation: this.nextGeneration++, localIp: null };
      this.outbox.push({ kind: 'connect', link: link.id, conn: 'pc', generation: link.pc.generation, host: ri.addr.ip, port: ri.addr.port });
      link.pcConnTime = now;
      if (auth) this.send(ri, 'pc', auth, 'ignore');
      this.send(ri, 'pc', ['CLIENT', 'SETNAME', `${clientPrefix}-pubsub`], 'ignore');
      this.send(ri, 'pc', ['SUBSCRIBE', HELLO_CHANNEL], 'subscribe');
    }
    if (link.cc && (ri.kind === 'sentinel' || link.pc)) link.disconnected = false;
  }

  private sendPing(ri: Instance): boolean {
    if (!this.send(ri, 'cc', ['PING'], 'ping')) return false;
    const now = this.clock();
    ri.link.lastPingTime = now;
    if (ri.link.actPingTime === 0) ri.link.actPingTime = now;
    return true;
  }

  /** The connection reached the peer; `localIp` is our side of it. */
  onConnected(linkId: number, conn: ConnKind, generation: number, localIp: string): void {
    const c = this.currentConnection(linkId, conn, generation);
    if (c) c.localIp = localIp;
  }

  /** The connection failed or was closed by the other side. */
  onConnectionClosed(linkId: number, conn: ConnKind, generation: number, reason: string, neverConnected: boolean): void {
    const entry = this.linksById.get(linkId);
    if (!entry || !this.currentConnection(linkId, conn, generation)) return;
    const link = entry.link;
    link[conn] = null;
    if (conn === 'cc') link.pendingCommands = 0;
    link.disconnected = true;
    if (neverConnected) this.emit('debug', conn === 'cc' ? '-cmd-link-reconnection' : '-pubsub-link-reconnection', entry.owner, `#${reason}`);
  }

  private currentConnection(linkId: number, conn: ConnKind, generation: number) {
    const entry = this.linksById.get(linkId);
    const c = entry?.link[conn];
    return c && c.generation === generation ? c : null;
  }

  onReply(linkId: number, conn: ConnKind, generation: number, tag: ReplyTag, reply: ObservedReply): void {
    const entry = this.linksById.get(linkId);
    if (!entry || !this.currentConnection(linkId, conn, generation)) return;
    const link = entry.link;
    const now = this.clock();
    if (tag.purpose === 'subscribe') {
      link.pcLastActivity = now;
      // An error in the subscribed context is fatal to that connection, as in hiredis.
      if (reply.type === 'error') this.closeConnection(link, 'pc');
      return;
    }
    if (link.pendingCommands > 0) link.pendingCommands--;
    const ri = this.instancesByUid.get(tag.instance);
    if (!ri || ri.link !== link) return;
    switch (tag.purpose) {
      case 'ping':
        this.handlePingReply(ri, reply);
        break;
      case 'info':
        if (reply.type === 'string') this.refreshFromInfo(ri, reply.value);
        break;
      case 'publish':
        if (reply.type !== 'error') ri.lastPubTime = now;
        break;
      case 'is-master-down':
        // Beyond Redis: an answer about the address the master had before a switch says nothing about the new one.
        if (ri.kind === 'sentinel' && tag.addressGeneration === ri.master.addressGeneration) this.handleMasterDownReply(ri, reply);
        break;
      case 'ignore':
        break;
    }
  }

  /** A message on the hello subscription of a master or replica; like Redis, the channel name is not checked. */
  onPubsubMessage(linkId: number, generation: number, payload: string): void {
    const entry = this.linksById.get(linkId);
    if (!entry || !this.currentConnection(linkId, 'pc', generation)) return;
    entry.link.pcLastActivity = this.clock();
    if (payload.includes(this.myid)) return;
    this.processHello(payload);
  }

  private handlePingReply(ri: Instance, reply: ObservedReply): void {
    const now = this.clock();
    const link = ri.link;
    if (reply.type === 'string' || reply.type === 'error') {
      const text = reply.value;
      if (text.startsWith('PONG') || text.startsWith('LOADING') || text.startsWith('MASTERDOWN')) {
        link.lastAvailTime = now;
        link.actPingTime = 0;
        if (text.startsWith('PONG') && ri.kind === 'master') ri.flags.masterReboot = false;
      } else if (text.startsWith('BUSY') && ri.flags.sdown && !ri.flags.scriptKillSent) {
        if (this.send(ri, 'cc', ['SCRIPT', 'KILL'], 'ignore')) ri.flags.scriptKillSent = true;
      }
    }
    link.lastPongTime = now;
  }

  // ---------------------------------------------------------------- INFO

  private refreshFromInfo(ri: Instance, text: string): void {
    if (ri.kind === 'sentinel') return;
    const now = this.clock();
    const info = parseInfo(text);
    ri.info = text;

    if (info.runId !== null) {
      if (ri.runid !== null && ri.runid !== info.runId) {
        this.emit('notice', '+reboot', ri);
        if (ri.kind === 'master' && ri.masterRebootDownAfterPeriodMs !== 0) {
          ri.flags.masterReboot = true;
          ri.masterRebootSinceTime = now;
        }
      }
      ri.runid = info.runId;
    }
    if (ri.kind === 'master') {
      for (const r of info.replicas) this.discoverReplica(ri, r.ip, r.port);
    }
    if (ri.kind === 'slave') {
      ri.masterLinkDownTime = info.masterLinkDownTime;
      if (info.role === 'slave') this.readReplicationFields(ri, info, now);
    }
    ri.infoRefresh = now;

    const role = info.role;
    if (role !== ri.roleReported) {
      ri.roleReportedTime = now;
      ri.roleReported = role;
      if (role === 'slave' && ri.kind === 'slave') ri.slaveConfChangeTime = now;
      this.emit('verbose', ri.kind === role ? '+role-change' : '-role-change', ri, `new reported role is ${role === 'master' ? 'master' : 'slave'}`);
    }
    if (!this.tilt && ri.kind === 'slave') actOnReplicaInfo(this, ri);
  }

  private readReplicationFields(ri: ReplicaInstance, info: ReturnType<typeof parseInfo>, now: number): void {
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

  private discoverReplica(master: MasterInstance, ip: string, port: number): void {
    const addr = makeAddress(ip, port, this.resolveHostnames, this.resolve);
    if (typeof addr === 'string') return;
    if (this.findReplica(master, addr)) return;
    const r = this.createReplica(master, addr);
    if (!r) return;
    this.emit('notice', '+slave', r);
    this.flushConfig();
  }

  findReplica(master: MasterInstance, addr: Address): ReplicaInstance | undefined {
    return master.replicas.get(replicaName(announced(addr, this.announceHostnames), addr.port));
  }

  // ---------------------------------------------------------------- hello

  /** The address clients should use for a master right now. */
  currentMasterAddress(m: MasterInstance): Address {
    if (m.promoted && (m.failoverState === 'reconf_slaves' || m.failoverState === 'update_config')) return m.promoted.addr;
    return m.addr;
  }

  private announcedPort(): number {
    return this.announcePort !== 0 ? this.announcePort : this.listeningPort;
  }

  private sendHello(ri: Instance): void {
    if (ri.link.disconnected || !ri.link.cc) return;
    const ip = this.announceIp ?? ri.link.cc.localIp;
    if (ip === null) return;
    const master = this.masterOf(ri);
    const addr = this.currentMasterAddress(master);
    const payload = formatHello({
      sentinelIp: ip,
      sentinelPort: this.announcedPort(),
      runId: this.myid,
      currentEpoch: this.currentEpoch,
      masterName: master.name,
      masterIp: announced(addr, this.announceHostnames),
      masterPort: addr.port,
      masterConfigEpoch: master.configEpoch,
    });
    this.send(ri, 'cc', ['PUBLISH', HELLO_CHANNEL, payload], 'publish');
  }

  /** A hello from a peer, received on a subscription or through our PUBLISH command. */
  processHello(payload: string): void {
    const hello = parseHello(payload);
    if (!hello) return;
    const master = this.masters.get(hello.masterName);
    if (!master) return;
    const now = this.clock();
    const helloAddr = makeAddress(hello.sentinelIp, hello.sentinelPort, this.resolveHostnames, this.resolve);

    let si = [...master.sentinels.values()].find(
      (s) => s.runid === hello.runId && typeof helloAddr !== 'string' && sameAddress(s.addr, helloAddr),
    );
    if (!si) {
      if (typeof helloAddr === 'string') return;
      const removed = this.removeMatchingSentinels(master, hello.runId);
      if (removed > 0) {
        this.emit('notice', '+sentinel-address-switch', master, `ip ${hello.sentinelIp} port ${hello.sentinelPort} for ${hello.runId}`);
      } else {
        const other = [...master.sentinels.values()].find((s) => s.runid !== hello.runId && sameAddress(s.addr, helloAddr));
        if (other) {
          this.emit('notice', '+sentinel-invalid-addr', other);
          const staleRunid = other.runid ?? '';
          for (const m of this.masters.values()) this.removeMatchingSentinels(m, staleRunid);
        }
      }
      const created = this.createSentinel(master, helloAddr, hello.runId);
      if (created) {
        if (removed === 0) this.emit('notice', '+sentinel', created);
        if (removed > 0) this.updateSentinelAddressEverywhere(created);
        this.flushConfig();
        si = created;
      }
    }

    if (hello.currentEpoch > this.currentEpoch) {
      this.currentEpoch = hello.currentEpoch;
      this.flushConfig();
      this.emit('warning', '+new-epoch', master, String(this.currentEpoch), false);
    }

    if (si && master.configEpoch < hello.masterConfigEpoch) {
      master.configEpoch = hello.masterConfigEpoch;
      this.onNewerConfigFromHello(master, si, hello.masterIp, hello.masterPort);
    } else if (si && this.losesEpochTie(master, hello.masterConfigEpoch, hello.masterIp, hello.masterPort)) {
      this.onNewerConfigFromHello(master, si, hello.masterIp, hello.masterPort);
    }
    if (si) si.lastHelloTime = now;
  }

  /**
   * Beyond Redis: two SENTINEL FAILOVERs on either side of a partition can leave
   * two configurations with the same epoch, which Redis never reconciles. Elected
   * failovers never share an epoch, so this only settles forced ones: the lower
   * address wins, everywhere alike.
   */
  private losesEpochTie(m: MasterInstance, epoch: number, ip: string, port: number): boolean {
    if (epoch === 0 || epoch !== m.configEpoch || m.flags.failoverInProgress) return false;
    const ours = this.currentMasterAddress(m);
    const ourIp = announced(ours, this.announceHostnames);
    if (ourIp === ip && ours.port === port) return false;
    return ip < ourIp || (ip === ourIp && port < ours.port);
  }

  private onNewerConfigFromHello(master: MasterInstance, from: SentinelInstance, ip: string, port: number): void {
    followNewerConfig(this, master, from, ip, port);
  }

  private removeMatchingSentinels(master: MasterInstance, runid: string): number {
    let removed = 0;
    for (const [key, s] of master.sentinels) {
      if (s.runid === runid) {
        master.sentinels.delete(key);
        this.releaseInstance(s);
        removed++;
      }
    }
    return removed;
  }

  /** A peer that moved: every entry for it, under every master, now points at the new address. */
  private updateSentinelAddressEverywhere(fresh: SentinelInstance): void {
    let updated = 0;
    for (const m of this.masters.values()) {
      const s = m.sentinels.get(fresh.runid ?? '');
      if (!s) continue;
      this.dropConnections(s);
      if (s === fresh) continue;
      s.addr = { ...fresh.addr };
      updated++;
    }
    if (updated > 0) this.emit('notice', '+sentinel-address-update', fresh, `${updated} additional matching instances`);
  }

  // ---------------------------------------------------------------- the timer

  /** The delay until the next tick: Redis runs its timer at a random 10..19 Hz to desynchronise peers. */
  scheduleNextTick(): number {
    const { tickMinMs, tickMaxMs } = this.tuning;
    if (tickMinMs === REDIS_TICK_MIN && tickMaxMs === REDIS_TICK_MAX) {
      this.hz = 10 + this.randomInt(10);
      return Math.floor(1000 / this.hz);
    }
    const delay = tickMinMs + this.randomInt(tickMaxMs - tickMinMs + 1);
    this.hz = Math.floor(1000 / delay);
    return delay;
  }

  tick(): void {
    this.checkTilt();
    let switching: MasterInstance | null = null;
    for (const m of this.masters.values()) {
      this.handleInstance(m);
      for (const r of m.replicas.values()) this.handleInstance(r);
      for (const s of m.sentinels.values()) this.handleInstance(s);
      if (m.failoverState === 'update_config') switching = m;
    }
    if (switching) switchToPromoted(this, switching);
    this.outbox.push(...this.scripts.startPending(this.clock()));
    const { actions, reports } = this.scripts.killTimedOut(this.clock(), this.timings);
    for (const r of reports) this.emit(r.level, r.type, null, r.message);
    this.outbox.push(...actions);
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

  private checkTilt(): void {
    const now = this.clock();
    const delta = now - this.previousTime;
    if (delta < 0 || delta > this.timings.tiltTrigger) {
      this.tilt = true;
      this.tiltStartTime = now;
      this.emit('warning', '+tilt', null, '#tilt mode entered');
      // Beyond Redis: say what was measured, so an operator can tell a stalled process from a clock step.
      this.log('warning', `TILT: the timer ran ${delta} ms after the previous run (trigger ${this.timings.tiltTrigger} ms)`);
    }
    this.previousTime = now;
  }

  private handleInstance(ri: Instance): void {
    this.reconnect(ri);
    this.sendPeriodicCommands(ri);
    if (this.tilt) {
      if (this.clock() - this.tiltStartTime < this.timings.tiltPeriod) return;
      this.tilt = false;
      this.emit('warning', '-tilt', null, '#tilt mode exited');
    }
    this.checkSubjectivelyDown(ri);
    if (ri.kind === 'master') this.handleMasterActing(ri);
  }

  private handleMasterActing(m: MasterInstance): void {
    this.checkObjectivelyDown(m);
    if (startFailoverIfNeeded(this, m)) this.askMasterStateToOtherSentinels(m, true);
    runFailoverStateMachine(this, m);
    this.askMasterStateToOtherSentinels(m, false);
  }

  private sendPeriodicCommands(ri: Instance): void {
    const link = ri.link;
    const now = this.clock();
    if (link.disconnected) return;
    if (link.pendingCommands >= MAX_PENDING_COMMANDS * link.refcount) return;

    let infoPeriod = this.timings.infoPeriod;
    if (ri.kind === 'slave' && (ri.master.flags.odown || ri.master.flags.failoverInProgress || ri.masterLinkDownTime !== 0)) {
      infoPeriod = this.tuning.fastInfoPeriodMs;
    }
    const pingPeriod = Math.min(ri.downAfterMs, this.timings.pingPeriod);

    if (ri.kind !== 'sentinel' && (ri.infoRefresh === 0 || now - ri.infoRefresh > infoPeriod)) {
      this.send(ri, 'cc', ['INFO'], 'info');
    }
    if (now - link.lastPongTime > pingPeriod && now - link.lastPingTime > pingPeriod / 2) {
      this.sendPing(ri);
    }
    if (now - ri.lastPubTime > this.timings.publishPeriod) this.sendHello(ri);
  }

  // ---------------------------------------------------------------- failure detection

  /** How long the instance has gone without a valid reply, as SDOWN measures it. */
  private unavailableFor(ri: Instance): number {
    const link = ri.link;
    if (link.actPingTime) return this.clock() - link.actPingTime;
    if (link.disconnected) return this.clock() - link.lastAvailTime;
    return 0;
  }

  /** Whether the SDOWN rules hold right now, whatever the flag says since the last check. */
  seesDown(ri: Instance): boolean {
    return this.downCondition(ri, this.unavailableFor(ri));
  }

  private downCondition(ri: Instance, elapsed: number): boolean {
    const now = this.clock();
    return (
      elapsed > ri.downAfterMs ||
      (ri.kind === 'master' &&
        ri.roleReported === 'slave' &&
        now - ri.roleReportedTime > ri.downAfterMs + 2 * this.timings.infoPeriod) ||
      (ri.kind === 'master' && ri.flags.masterReboot && now - ri.masterRebootSinceTime > ri.masterRebootDownAfterPeriodMs)
    );
  }

  private checkSubjectivelyDown(ri: Instance): void {
    const link = ri.link;
    const now = this.clock();
    const elapsed = this.unavailableFor(ri);

    if (
      link.cc &&
      now - link.ccConnTime > this.timings.minLinkReconnectPeriod &&
      link.actPingTime !== 0 &&
      now - link.actPingTime > ri.downAfterMs / 2 &&
      now - link.lastPongTime > ri.downAfterMs / 2
    ) {
      this.closeConnection(link, 'cc');
    }
    if (
      link.pc &&
      now - link.pcConnTime > this.timings.minLinkReconnectPeriod &&
      now - link.pcLastActivity > this.timings.publishPeriod * 3
    ) {
      this.closeConnection(link, 'pc');
    }

    const down = this.downCondition(ri, elapsed);

    if (down && !ri.flags.sdown) {
      this.emit('warning', '+sdown', ri);
      ri.sDownSinceTime = now;
      ri.flags.sdown = true;
    } else if (!down && ri.flags.sdown) {
      this.emit('warning', '-sdown', ri);
      ri.flags.sdown = false;
      ri.flags.scriptKillSent = false;
    }
  }

  private checkObjectivelyDown(m: MasterInstance): void {
    let votes = 0;
    let odown = false;
    if (m.flags.sdown) {
      votes = 1;
      for (const s of m.sentinels.values()) if (s.flags.masterDown) votes++;
      odown = votes >= m.quorum;
    }
    const now = this.clock();
    if (odown && !m.flags.odown) {
      this.emit('warning', '+odown', m, `#quorum ${votes}/${m.quorum}`);
      m.flags.odown = true;
      m.oDownSinceTime = now;
    } else if (!odown && m.flags.odown) {
      this.emit('warning', '-odown', m);
      m.flags.odown = false;
    }
  }

  private askMasterStateToOtherSentinels(m: MasterInstance, forced: boolean): void {
    const now = this.clock();
    for (const s of m.sentinels.values()) {
      if (now - s.lastMasterDownReplyTime > 5 * this.timings.askPeriod) {
        s.flags.masterDown = false;
        s.leader = null;
      }
      if (!m.flags.sdown || s.link.disconnected) continue;
      if (!forced && !this.askIsDue(s, now)) continue;
      s.lastMasterDownAskTime = now;
      const addr = m.addr;
      this.send(
        s,
        'cc',
        [
          'SENTINEL',
          'is-master-down-by-addr',
          announced(addr, this.announceHostnames),
          String(addr.port),
          String(this.currentEpoch),
          m.failoverState !== 'none' ? this.myid : '*',
        ],
        'is-master-down',
      );
    }
  }

  /** Redis asks once an ask-period has passed since the last answer; the fast profile asks more often while answers keep coming. */
  private askIsDue(s: SentinelInstance, now: number): boolean {
    const fast = this.tuning.askPeriodWhileSdownMs;
    if (fast === null) return now - s.lastMasterDownReplyTime >= this.timings.askPeriod;
    const answered = s.lastMasterDownReplyTime >= s.lastMasterDownAskTime;
    return now - s.lastMasterDownAskTime >= (answered ? fast : this.timings.askPeriod);
  }

  private handleMasterDownReply(s: SentinelInstance, reply: ObservedReply): void {
    if (reply.type !== 'array' || reply.items.length !== 3) return;
    const [down, leader, epoch] = reply.items;
    if (down.type !== 'integer' || leader.type !== 'string' || epoch.type !== 'integer') return;
    s.lastMasterDownReplyTime = this.clock();
    s.flags.masterDown = down.value === 1;
    if (leader.value !== '*') {
      if (epoch.value !== s.leaderEpoch) this.log('warning', `${s.name} voted for ${leader.value} ${epoch.value}`);
      s.leader = leader.value;
      s.leaderEpoch = epoch.value;
    }
  }

  // ---------------------------------------------------------------- votes

  /** Casts (or recalls) this sentinel's vote for a master's failover leader in an epoch. */
  vote(m: MasterInstance, reqEpoch: number, reqRunid: string): { leader: string | null; epoch: number } {
    if (reqEpoch > this.currentEpoch) {
      this.currentEpoch = reqEpoch;
      this.flushConfig();
      this.emit('warning', '+new-epoch', m, String(this.currentEpoch), false);
    }
    if (m.leaderEpoch < reqEpoch && this.currentEpoch <= reqEpoch) {
      m.leader = reqRunid;
      m.leaderEpoch = this.currentEpoch;
      this.flushConfig();
      this.emit('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`, false);
      if (m.leader.toLowerCase() !== this.myid.toLowerCase()) {
        m.failoverStartTime = this.clock() + this.randomInt(this.maxDesyncMs);
      }
    }
    return { leader: m.leader, epoch: m.leaderEpoch };
  }

  /** SENTINEL IS-MASTER-DOWN-BY-ADDR, as asked by a peer. */
  isMasterDownByAddr(ip: string, port: number, reqEpoch: number, runid: string): { down: boolean; leader: string; epoch: number } {
    const addr = makeAddress(ip, port, this.resolveHostnames, this.resolve);
    const m = typeof addr === 'string' ? undefined : [...this.masters.values()].find((x) => sameAddress(x.addr, addr));
    const down = !this.tilt && m !== undefined && m.flags.sdown;
    if (m && runid.toLowerCase() !== '*') {
      const v = this.vote(m, reqEpoch, runid);
      return { down, leader: v.leader ?? '*', epoch: v.epoch };
    }
    return { down, leader: '*', epoch: 0 };
  }
}
