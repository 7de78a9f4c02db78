import { emptySentinelConfig, newMasterConfig, type MasterConfig, type SentinelConfig } from '../../src/config/model.js';
import type { Action, ConnKind, ObservedReply } from '../../src/core/actions.js';
import type { Resolver } from '../../src/core/address.js';
import type { SentinelEvent } from '../../src/core/events.js';
import type { Instance, MasterInstance, ReplicaInstance, SentinelInstance } from '../../src/core/instance.js';
import { PersistGate } from '../../src/core/persist-gate.js';
import { FLUSH_FAILED_REPLY, OK_IF_FLUSHED, sentinelCommand, type CommandEnvironment } from '../../src/server/commands/sentinel-subcommands.js';
import { Sentinel, type InputBody, type StepOutput } from '../../src/core/sentinel.js';
import { toConfig } from '../../src/core/snapshot.js';
import type { SentinelState } from '../../src/core/state.js';
import type { CoreEnvironment, StepContext } from '../../src/core/step-context.js';
import { REDIS_TUNING, type Tuning } from '../../src/core/timing.js';
import { logLineText } from '../../src/events/log-line.js';
import type { Reply } from '../../src/resp/reply.js';

export const MYID = 'a'.repeat(40);
export const PEER_ID = 'b'.repeat(40);

/**
 * A core on a fake clock, driven step by step as the daemon drives it, with a
 * recorder of everything it asks for. Config writes complete at once: each
 * `persist` is snapshotted into `saved` and logged where the daemon logs it.
 */
export class CoreHarness {
  now = 1_000_000;
  readonly sentinel: Sentinel;
  readonly saved: SentinelConfig[] = [];
  readonly events: SentinelEvent[] = [];
  readonly actions: Action[] = [];
  /** Set to make the next config writes fail with this error text. */
  diskError: string | null = null;
  /** The last step's output as the core returned it: its actions before the gate, `persist` markers included. */
  lastOutput: StepOutput<unknown> | null = null;
  private readonly gate: PersistGate;
  private lastBatch: Action[] = [];

  /** Redis's timer and polling unless told otherwise, so tests pin redis-sentinel's behaviour. */
  constructor(configure: (c: SentinelConfig) => void = () => {}, tuning: Tuning = REDIS_TUNING, env: Partial<CoreEnvironment> = {}) {
    const config = emptySentinelConfig();
    config.myid = MYID;
    const m = newMasterConfig('mymaster', '127.0.0.1', 6379, 2);
    m.downAfterMs = 5000;
    config.masters.push(m);
    configure(config);
    this.sentinel = new Sentinel({ listeningPort: 26379, tuning }, { random: () => 0.5, resolve: () => null, ...env });
    this.gate = new PersistGate({
      snapshot: () => toConfig(this.sentinel.state),
      write: (c, done) => {
        this.saved.push(structuredClone(c));
        done(this.diskError);
      },
      perform: (a) => {
        if (a.kind === 'event') this.events.push(a.event);
        this.actions.push(a);
        this.lastBatch.push(a);
      },
    });
    this.step({ kind: 'load', config });
  }

  get state(): SentinelState {
    return this.sentinel.state;
  }

  get master() {
    const m = this.state.masters.get('mymaster');
    if (!m) throw new Error('no master');
    return m;
  }

  /** One input at the current time; returns the step's output (its actions as carried out). */
  step<T = void>(input: InputBody<T>): StepOutput<T> {
    this.lastBatch = [];
    const output = this.sentinel.step<T>({ ...input, now: this.now });
    this.lastOutput = output;
    this.gate.push(output.actions);
    return { ...output, actions: this.lastBatch };
  }

  /** Runs queries and changes within one step, as a client's command does. */
  command<T>(run: (cx: StepContext) => T): T {
    return this.step<T>({ kind: 'command', run }).result;
  }

  /**
   * A client's command as the daemon answers it: when its step asked for a config write, the
   * reply waits for the write, and an OK that stands for "once it is written" becomes
   * FLUSH_FAILED_REPLY if the write failed (writes here are done at once, so it never waits).
   */
  reply(run: (cx: StepContext) => Reply): Reply {
    const { result: reply, persists } = this.step<Reply>({ kind: 'command', run });
    if (!persists) return reply;
    const upTo = this.gate.requests;
    let answer: Reply | null = null;
    this.gate.whenWritten(upTo, (error) => (answer = reply === OK_IF_FLUSHED && error !== null ? FLUSH_FAILED_REPLY : reply));
    if (answer === null) throw new Error('the config write did not complete');
    return answer;
  }

  /** SENTINEL <argv...> from a client, answered as the daemon answers it (see reply). */
  sentinelCommand(argv: string[], env: CommandEnvironment): Reply {
    return this.reply((cx) => sentinelCommand(cx, argv, env));
  }

  tick(): Action[] {
    return this.step({ kind: 'tick' }).actions;
  }

  /** Advances time by `ms` in ticks of `step` ms, draining actions after each tick. */
  advance(ms: number, step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + step);
      this.tick();
    }
  }

  /** Like advance, with the given instances answering PING and PUBLISH after every tick. */
  advanceAnswering(ms: number, instances: Instance[], step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.advance(Math.min(step, end - this.now), step);
      for (const ri of instances) {
        this.answer(ri, 'PING', pong);
        this.answer(ri, 'PUBLISH', { type: 'integer', value: 1 });
      }
    }
  }

  eventLines(): string[] {
    return this.events.map((e) => `${e.type} ${e.message}`);
  }

  /** Marks every connection the core opened as established. */
  connectAll(localIp = '127.0.0.1'): void {
    for (const a of [...this.actions]) {
      if (a.kind === 'connect') this.step({ kind: 'connected', link: a.link, conn: a.conn, generation: a.generation, localIp });
    }
  }

  /** Answers every command sent so far to `ri` on `conn` that matches `command` with `reply`. */
  answer(ri: Instance, command: string, reply: ObservedReply, conn: ConnKind = 'cc'): number {
    let n = 0;
    for (const a of this.takeSends(ri, command, conn)) {
      this.step({ kind: 'reply', link: a.link, conn: a.conn, generation: a.generation, tag: a.tag, reply });
      n++;
    }
    return n;
  }

  private answered = new Set<Action>();

  private takeSends(ri: Instance, command: string, conn: ConnKind) {
    const out: Extract<Action, { kind: 'send' }>[] = [];
    for (const a of this.actions) {
      if (a.kind !== 'send' || this.answered.has(a)) continue;
      if (a.tag.instance !== ri.uid || a.conn !== conn || a.args[0].toUpperCase() !== command) continue;
      this.answered.add(a);
      out.push(a);
    }
    return out;
  }

  sent(ri: Instance, command: string): string[][] {
    return this.actions
      .filter((a): a is Extract<Action, { kind: 'send' }> => a.kind === 'send' && a.tag.instance === ri.uid)
      .filter((a) => a.args[0].toUpperCase() === command)
      .map((a) => a.args);
  }
}

export const pong: ObservedReply = { type: 'string', value: 'PONG' };

export function infoText(lines: string[]): ObservedReply {
  return { type: 'string', value: `${lines.join('\r\n')}\r\n` };
}

/*
 * A small world around one core, for failover tests: redis servers that answer
 * PING, INFO, PUBLISH, SUBSCRIBE and obey SLAVEOF, and peer sentinels that
 * answer SENTINEL is-master-down-by-addr with their opinion and their vote. The
 * core is driven through a CoreHarness, on its fake clock ticking every 100 ms
 * (Redis's tuning unless told otherwise).
 */

export const PEERS = ['b', 'c', 'd', 'e'].map((c) => c.repeat(40));
export const MASTER_PORT = 6379;
export const LOCAL = '127.0.0.1';

export const str = (value: string): ObservedReply => ({ type: 'string', value });
export const int = (value: number): ObservedReply => ({ type: 'integer', value });
export const arr = (...items: ObservedReply[]): ObservedReply => ({ type: 'array', items });

/** A redis-server as the world simulates it. */
export interface Server {
  port: number;
  runid: string;
  /** Answers commands; a server that is not up accepts connections and stays silent. */
  up: boolean;
  /** Refuses connections. */
  refuse: boolean;
  role: 'master' | 'slave';
  masterHost: string;
  masterPort: number;
  linkUp: boolean;
  priority: number;
  offset: number;
  linkDownSeconds: number | null;
  /** Applies SLAVEOF when told. */
  obeys: boolean;
  /** After SLAVEOF <host> <port>, reports its link to the new master as up. */
  syncs: boolean;
  /** Answers INFO with its text, or else with an error. */
  answersInfo: boolean;
}

/** A peer sentinel: how it answers SENTINEL is-master-down-by-addr. */
export interface Peer {
  runid: string;
  port: number;
  up: boolean;
  down: boolean;
  /** Whom it votes for when asked for a vote: the first asker of an epoch, or nobody. */
  vote: 'asker' | 'never';
  votedEpoch: number;
  votedFor: string | null;
  /** Overrides the answer entirely. */
  answer: ((args: string[]) => ObservedReply | null) | null;
}

/** An action the core asked for, as the world saw it. */
export interface WorldRecord {
  at: number;
  action: Action;
  /** For sends: the port (instances) or run id (peers) it went to. */
  target: number | string | null;
}

export interface WorldOptions {
  replicas?: Array<Partial<Server>>;
  peers?: Array<Partial<Peer>>;
  quorum?: number;
  master?: (m: MasterConfig) => void;
  sentinel?: (c: SentinelConfig) => void;
  resolve?: Resolver;
  /** Redis's unless told otherwise. */
  tuning?: Tuning;
}

function replicaServer(port: number, overrides: Partial<Server> = {}): Server {
  return {
    port,
    runid: String(port % 10).repeat(40),
    up: true,
    refuse: false,
    role: 'slave',
    masterHost: LOCAL,
    masterPort: MASTER_PORT,
    linkUp: true,
    priority: 100,
    offset: 1000,
    linkDownSeconds: null,
    obeys: true,
    syncs: true,
    answersInfo: true,
    ...overrides,
  };
}

/**
 * One core (mymaster on 6379, replicas on 6380 and 6381 unless told otherwise,
 * the given peers on 26380...) in a simulated world. Every input reaches the core
 * through the harness; after a tick, a command or a hello the world plays its part
 * with what the core asked for (connections, replies, SLAVEOF effects), in rounds,
 * and records it all.
 */
export class FailoverWorld {
  readonly harness: CoreHarness;
  readonly records: WorldRecord[] = [];
  readonly servers = new Map<number, Server>();
  readonly peers = new Map<string, Peer>();
  private cursor = 0;
  /** How many of the harness's performed actions the world has taken. */
  private taken = 0;
  /** Commands sent to a server or peer while it was not up: answered once it is. */
  private backlog: WorldRecord[] = [];

  constructor(opts: WorldOptions = {}) {
    this.harness = new CoreHarness(
      (config) => {
        const m = config.masters[0];
        m.quorum = opts.quorum ?? 2;
        this.servers.set(MASTER_PORT, { ...replicaServer(MASTER_PORT), runid: '0'.repeat(40), role: 'master' });
        (opts.replicas ?? [{ port: 6380 }, { port: 6381 }]).forEach((r, i) => {
          const port = r.port ?? 6380 + i;
          this.servers.set(port, replicaServer(port, r));
          m.knownReplicas.push({ host: LOCAL, port });
        });
        (opts.peers ?? []).forEach((p, i) => {
          const peer: Peer = {
            runid: PEERS[i],
            port: 26380 + i,
            up: true,
            down: true,
            vote: 'asker',
            votedEpoch: 0,
            votedFor: null,
            answer: null,
            ...p,
          };
          this.peers.set(peer.runid, peer);
          m.knownSentinels.push({ host: LOCAL, port: peer.port, runid: peer.runid });
        });
        opts.master?.(m);
        opts.sentinel?.(config);
      },
      opts.tuning ?? REDIS_TUNING,
      { resolve: opts.resolve ?? (() => null) },
    );
  }

  get now(): number {
    return this.harness.now;
  }

  get state(): SentinelState {
    return this.harness.state;
  }

  get saved(): SentinelConfig[] {
    return this.harness.saved;
  }

  get master(): MasterInstance {
    return this.harness.master;
  }

  replica(port: number): ReplicaInstance {
    const r = [...this.master.replicas.values()].find((x) => x.addr.port === port);
    if (!r) throw new Error(`no replica ${port}`);
    return r;
  }

  sentinel(runid: string): SentinelInstance {
    const s = this.master.sentinels.get(runid);
    if (!s) throw new Error(`no sentinel ${runid}`);
    return s;
  }

  server(port: number): Server {
    const s = this.servers.get(port);
    if (!s) throw new Error(`no server ${port}`);
    return s;
  }

  peer(runid: string): Peer {
    const p = this.peers.get(runid);
    if (!p) throw new Error(`no peer ${runid}`);
    return p;
  }

  /** One timer tick `ms` after the previous one, then the world answers. */
  tick(ms = 100): void {
    this.learnTargets();
    this.harness.now += ms;
    this.harness.tick();
    this.pump();
  }

  run(ms: number, step = 100): void {
    const end = this.now + ms;
    while (this.now < end) this.tick(Math.min(step, end - this.now));
  }

  /** Ticks every `step` ms until `done` holds (checked after every tick); fails after `limit` ms. */
  runUntil(done: () => boolean, limit = 120_000, step = 100): number {
    const end = this.now + limit;
    while (!done()) {
      if (this.now >= end) throw new Error(`condition not reached within ${limit} ms`);
      this.tick(step);
    }
    return this.now;
  }

  /** SENTINEL <argv...> from a client, answered as the daemon answers it; then the world answers. */
  command(...argv: string[]): Reply {
    const reply = this.harness.sentinelCommand(argv, { isExecutable: () => true });
    this.pump();
    return reply;
  }

  /** A hello from a peer, as received on a subscription. */
  hello(payload: string): void {
    this.harness.step({ kind: 'hello', payload });
    this.pump();
  }

  /** Delivers a reply the way the links would, on the current connection. */
  reply(ri: Instance, purpose: 'is-master-down' | 'info' | 'ping', reply: ObservedReply): void {
    const cc = ri.link.cc;
    if (!cc) throw new Error('not connected');
    this.harness.step({ kind: 'reply', link: ri.link.id, conn: 'cc', generation: cc.generation, tag: { instance: ri.uid, purpose }, reply });
    this.pump();
  }

  events(): SentinelEvent[] {
    return this.records.flatMap((r) => (r.action.kind === 'event' ? [r.action.event] : []));
  }

  lines(since = 0): string[] {
    return this.records
      .slice(since)
      .flatMap((r) => (r.action.kind === 'event' ? [`${r.action.event.type} ${r.action.event.message}`] : []));
  }

  types(since = 0): string[] {
    return this.records.slice(since).flatMap((r) => (r.action.kind === 'event' ? [r.action.event.type] : []));
  }

  /** Log lines as the daemon writes them. */
  logs(): string[] {
    return this.records.flatMap((r) => (r.action.kind === 'log' ? [logLineText(r.action)] : []));
  }

  /** Events and log lines, in the order the core produced them. */
  timeline(since = 0): string[] {
    return this.records.slice(since).flatMap((r) => {
      if (r.action.kind === 'event') return [`${r.action.event.type} ${r.action.event.message}`];
      if (r.action.kind === 'log') return [`log: ${logLineText(r.action)}`];
      return [];
    });
  }

  /** When the first event of `type` (with `message`, if given) happened; null if never. */
  timeOf(type: string, message?: string): number | null {
    const r = this.records.find(
      (x) => x.action.kind === 'event' && x.action.event.type === type && (message === undefined || x.action.event.message === message),
    );
    return r ? r.at : null;
  }

  /** Commands sent to the server on `port` or the peer `runid`, upper-cased name first as sent. */
  sentTo(target: number | string, command?: string): Array<{ at: number; args: string[] }> {
    return this.records.flatMap((r) =>
      r.action.kind === 'send' && r.target === target && (command === undefined || r.action.args[0].toUpperCase() === command)
        ? [{ at: r.at, args: r.action.args }]
        : [],
    );
  }

  mark(): number {
    return this.records.length;
  }

  // Where each instance and link points, remembered after the core forgets them (a switch
  // releases the old replica entries in the same tick that sent them commands).
  private readonly targetByUid = new Map<number, number | string>();
  private readonly targetByLink = new Map<number, number | string>();

  private learnTargets(): void {
    for (const m of this.state.masters.values()) {
      for (const ri of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
        const target = ri.kind === 'sentinel' ? (ri.runid ?? '') : ri.addr.port;
        this.targetByUid.set(ri.uid, target);
        this.targetByLink.set(ri.link.id, target);
      }
    }
  }

  /** What the core asked for since the world last looked: the harness's actions, as carried out. */
  private takeActions(): Action[] {
    const batch = this.harness.actions.slice(this.taken);
    this.taken = this.harness.actions.length;
    return batch;
  }

  /**
   * Takes what the core asked for and plays the world's part: connections, replies, SLAVEOF
   * effects. The answers are inputs of their own; what they ask for is played in the next
   * round (ten at most).
   */
  private pump(): void {
    const waiting = this.backlog;
    this.backlog = [];
    for (const r of waiting) this.play(r);
    for (let round = 0; round < 10; round++) {
      const batch = this.takeActions();
      if (batch.length === 0) return;
      this.learnTargets();
      for (const action of batch) {
        let target: number | string | null = null;
        if (action.kind === 'send') target = this.targetByUid.get(action.tag.instance) ?? null;
        if (action.kind === 'connect') target = this.targetByLink.get(action.link) ?? null;
        this.records.push({ at: this.now, action, target });
      }
      while (this.cursor < this.records.length) this.play(this.records[this.cursor++]);
    }
  }

  private play(record: WorldRecord): void {
    const a = record.action;
    const h = this.harness;
    if (a.kind === 'connect') {
      const refused =
        typeof record.target === 'number' ? this.servers.get(record.target)?.refuse ?? true : !(this.peers.get(String(record.target))?.up ?? false);
      if (refused) h.step({ kind: 'closed', link: a.link, conn: a.conn, generation: a.generation, reason: 'Connection refused', neverConnected: true });
      else h.step({ kind: 'connected', link: a.link, conn: a.conn, generation: a.generation, localIp: LOCAL });
      return;
    }
    if (a.kind !== 'send') return;
    const ri = this.state.registry.instance(a.tag.instance);
    if (!ri) return;
    const answer = (reply: ObservedReply) => h.step({ kind: 'reply', link: a.link, conn: a.conn, generation: a.generation, tag: a.tag, reply });
    if (ri.kind === 'sentinel') {
      const peer = this.peers.get(ri.runid ?? '');
      if (!peer) return;
      if (!peer.up) {
        this.backlog.push(record);
        return;
      }
      if (a.tag.purpose === 'is-master-down') {
        const reply = peer.answer ? peer.answer(a.args) : this.peerAnswer(peer, a.args);
        if (reply) answer(reply);
      } else if (a.tag.purpose === 'ping') answer(str('PONG'));
      else if (a.tag.purpose === 'publish') answer(int(1));
      else answer(str('OK'));
      return;
    }
    const server = this.servers.get(ri.addr.port);
    if (!server || server.refuse) return;
    if (!server.up) {
      this.backlog.push(record);
      return;
    }
    if (a.args[0] === 'SLAVEOF' && server.obeys) this.slaveOf(server, a.args[1], a.args[2]);
    switch (a.tag.purpose) {
      case 'ping':
        answer(str('PONG'));
        return;
      case 'info':
        answer(server.answersInfo ? str(this.infoOf(server)) : { type: 'error', value: "NOPERM this user has no permissions to run the 'info' command" });
        return;
      case 'publish': {
        answer(int(1));
        // Our own hello comes back on the subscription, which keeps that link alive.
        const pc = ri.link.pc;
        if (pc) h.step({ kind: 'message', link: ri.link.id, generation: pc.generation, payload: a.args[2] });
        return;
      }
      case 'subscribe':
        answer(arr(str('subscribe'), str(a.args[1] ?? ''), int(1)));
        return;
      default:
        answer(str('OK'));
    }
  }

  private slaveOf(server: Server, host: string, port: string): void {
    if (host === 'NO' && port === 'ONE') {
      server.role = 'master';
      return;
    }
    server.role = 'slave';
    server.masterHost = host;
    server.masterPort = Number(port);
    server.linkUp = server.syncs;
  }

  private peerAnswer(peer: Peer, args: string[]): ObservedReply {
    const epoch = Number(args[4]);
    const runid = args[5];
    let leader = '*';
    let leaderEpoch = 0;
    if (runid !== '*') {
      if (peer.vote === 'asker' && peer.votedEpoch < epoch) {
        peer.votedEpoch = epoch;
        peer.votedFor = runid;
      }
      leader = peer.votedFor ?? '*';
      leaderEpoch = peer.votedEpoch;
    }
    return arr(int(peer.down ? 1 : 0), str(leader), int(leaderEpoch));
  }

  infoOf(s: Server): string {
    const lines = [...(s.runid ? [`run_id:${s.runid}`] : []), '# Replication', `role:${s.role}`];
    if (s.role === 'master') {
      const replicas = [...this.servers.values()].filter((r) => r !== s && r.up && r.role === 'slave' && r.masterPort === s.port);
      lines.push(`connected_slaves:${replicas.length}`);
      replicas.forEach((r, i) => lines.push(`slave${i}:ip=${LOCAL},port=${r.port},state=online,offset=${r.offset},lag=0`));
    } else {
      lines.push(`master_host:${s.masterHost}`, `master_port:${s.masterPort}`, `master_link_status:${s.linkUp ? 'up' : 'down'}`);
      if (s.linkDownSeconds !== null) lines.push(`master_link_down_since_seconds:${s.linkDownSeconds}`);
      lines.push(`slave_repl_offset:${s.offset}`, `slave_priority:${s.priority}`, 'replica_announced:1');
    }
    return `${lines.join('\r\n')}\r\n`;
  }
}
