import { emptySentinelConfig, newMasterConfig, type SentinelConfig } from '../../src/config/model.js';
import type { Action, ObservedReply, ReplyTag } from '../../src/core/actions.js';
import { PersistGate } from '../../src/core/persist-gate.js';
import { Sentinel, type Input, type InputBody, type StepOutput } from '../../src/core/sentinel.js';
import { toConfig } from '../../src/core/snapshot.js';
import { FAST_TUNING, HELLO_CHANNEL, REDIS_TUNING, type Tuning } from '../../src/core/timing.js';
import type { Reply } from '../../src/resp/reply.js';
import { FLUSH_FAILED_REPLY, OK_IF_FLUSHED, repliesWithVote, sentinelCommand, type CommandEnvironment } from '../../src/server/commands/sentinel-subcommands.js';
import { Checker, MASTER_NAME, convergenceProblem, type SentinelView } from './invariants.js';
import { Network, type Client, type Connection, type LaterReply, type Server } from './network.js';
import { DOWN_AFTER_MS, FAILOVER_TIMEOUT_MS, SIM_TIMINGS, STABLE_MS, nodeNames, type Fault, type Load, type Plan } from './plan.js';
import { SimRedis } from './redis.js';
import { Rng, Scheduler } from './rng.js';

/** Wall-clock origin of the simulated sentinels: timestamps of 0 must look ancient, as they do in production. */
const EPOCH_MS = 1_700_000_000_000;
const SENTINEL_PORT = 26379;
const REDIS_PORT = 6379;
const REDIS_CRON_MS = 100;
const CHECK_EVERY_MS = 250;
const NO_SCRIPTS: CommandEnvironment = { isExecutable: () => false };
/** A config write (temp file, fsync, rename, directory fsync) takes up to this long. */
const MAX_WRITE_MS = 8;

const connKey = (link: number, kind: string) => `${link}:${kind}`;

/**
 * What a sentinel process does first when it runs again after a stall, with both its tick
 * timer expired and messages waiting: `io-first` reads the messages, then ticks (the daemon
 * runs the tick from setImmediate, after Node's poll phase; Redis's event loop also handles
 * file events before time events); `timers-first` ticks, then reads them (a tick run straight
 * from the timer callback: Node's timers phase comes before its poll phase).
 */
export type LoopOrder = 'io-first' | 'timers-first';

export interface WorldOptions {
  /** Overrides the tuning the plan names (to compare variants of the fast profile). */
  tuning?: Tuning;
  /** Overrides it for some sentinels (by index): a mixed group, e.g. with Redis's tuning standing in for redis-sentinel. */
  tuningOf?: (index: number) => Tuning | undefined;
  loopOrder?: LoopOrder;
  /** Called after every input a core took: which sentinel, the simulated time, what the core asked for, the input's result. */
  onStep?: (sentinel: number, now: number, input: Input['kind'], actions: readonly Action[], result: unknown) => void;
}

/** One sentinel machine: its clock, its config on disk, and the core running on it (null while down). */
export class SentinelNode implements Client, SentinelView {
  core: Sentinel | null = null;
  /** The running core's actions, held behind its config writes as the daemon holds them. */
  gate: PersistGate | null = null;
  /** A write under way when the sentinel is killed reaches the disk or not (rename done or not). */
  writing: SentinelConfig | null = null;
  incarnation = 0;
  clockOffset = 0;
  readonly conns = new Map<string, Connection>();
  readonly listener: SentinelListener;
  /** Under load: the process does not run before this time; its current stall began then. */
  stalledUntil = 0;
  stalledSince = 0;
  /** Messages that arrived while the process was stalled, in arrival order. */
  pendingIO: Array<() => void> = [];
  /** The tick timer expired while the process was stalled. */
  timerDue: (() => void) | null = null;

  constructor(
    readonly index: number,
    readonly node: string,
    readonly ip: string,
    public persisted: SentinelConfig,
    readonly rng: Rng,
    private readonly world: World,
  ) {
    this.listener = new SentinelListener(this, world);
  }

  now(): number {
    return this.world.clockOf(this);
  }

  persistedLeaderEpoch(): bigint {
    return this.persisted.masters.find((m) => m.name === MASTER_NAME)?.leaderEpoch ?? 0n;
  }

  private isCurrent(c: Connection): boolean {
    return this.core !== null && this.conns.get(connKey(c.link, c.kind)) === c;
  }

  connected(c: Connection): void {
    this.world.io(this, () => {
      if (this.isCurrent(c)) this.world.input(this, { kind: 'connected', link: c.link, conn: c.kind, generation: c.generation, localIp: this.ip });
    });
  }

  closed(c: Connection, reason: string, neverConnected: boolean): void {
    this.world.io(this, () => {
      if (!this.isCurrent(c)) return;
      this.conns.delete(connKey(c.link, c.kind));
      this.world.input(this, { kind: 'closed', link: c.link, conn: c.kind, generation: c.generation, reason, neverConnected });
    });
  }

  reply(c: Connection, tag: ReplyTag, args: string[], reply: ObservedReply): void {
    this.world.io(this, () => {
      if (!this.isCurrent(c)) return;
      if (tag.purpose === 'is-master-down') this.world.checker.onMasterDownAnswer(this, c.server.address.split(':')[0], args, reply);
      this.world.input(this, { kind: 'reply', link: c.link, conn: c.kind, generation: c.generation, tag, reply });
    });
  }

  message(c: Connection, channel: string, payload: string): void {
    this.world.io(this, () => {
      if (this.isCurrent(c)) this.world.input(this, { kind: 'message', link: c.link, generation: c.generation, payload });
    });
  }
}

/** A sentinel's port 26379 as its peers use it: PING, hellos by PUBLISH, and SENTINEL commands. */
class SentinelListener implements Server {
  readonly node: string;
  readonly address: string;
  readonly clients = new Set<Connection>();

  constructor(
    private readonly owner: SentinelNode,
    private readonly world: World,
  ) {
    this.node = owner.node;
    this.address = `${owner.ip}:${SENTINEL_PORT}`;
  }

  isUp(): boolean {
    return this.owner.core !== null;
  }

  accept(c: Connection): void {
    this.clients.add(c);
  }

  forget(c: Connection): void {
    this.clients.delete(c);
  }

  whenRunning(run: () => void): void {
    this.world.io(this.owner, run);
  }

  /** Connections with a reply waiting for a config write: what they send next waits behind it, as in the daemon. */
  private readonly waiting = new Map<Connection, Array<() => void>>();

  handle(c: Connection, args: string[]): ObservedReply | undefined | LaterReply {
    const queue = this.waiting.get(c);
    if (queue) return { later: (send) => queue.push(() => this.answer(c, args, send)) };
    const reply = this.run(c, args);
    if (reply === undefined || !('later' in reply)) return reply;
    this.waiting.set(c, []);
    return {
      later: (send) =>
        reply.later((r) => {
          send(r);
          this.release(c);
        }),
    };
  }

  /** Runs the next queued command of a connection whose waiting reply went out. */
  private release(c: Connection): void {
    const queue = this.waiting.get(c);
    if (!queue) return;
    const next = queue.shift();
    if (next === undefined) {
      this.waiting.delete(c);
      return;
    }
    next();
  }

  private answer(c: Connection, args: string[], send: (r: ObservedReply) => void): void {
    const reply = this.run(c, args);
    if (reply === undefined) {
      this.release(c);
    } else if ('later' in reply) {
      reply.later((r) => {
        send(r);
        this.release(c);
      });
    } else {
      send(reply);
      this.release(c);
    }
  }

  /** Property 2 on the wire: a vote given in an is-master-down answer is on disk when the answer leaves. */
  private checkVoteOnDisk(args: string[], reply: Reply): void {
    if ((args[1] ?? '').toLowerCase() !== 'is-master-down-by-addr' || reply.type !== 'array') return;
    const [, leader, epoch] = reply.items;
    if (leader?.type !== 'bulk' || String(leader.value) === '*' || epoch?.type !== 'integer') return;
    const persisted = this.owner.persistedLeaderEpoch();
    if (persisted < BigInt(epoch.value)) {
      this.world.checker.violations.push(
        `at ${this.world.sched.now}ms: ${this.owner.node} answered its vote in epoch ${epoch.value} but persisted leader-epoch ${persisted}`,
      );
    }
  }

  private run(_c: Connection, args: string[]): ObservedReply | undefined | LaterReply {
    switch ((args[0] ?? '').toUpperCase()) {
      case 'AUTH':
      case 'CLIENT':
        return { type: 'string', value: 'OK' };
      case 'PING':
        return { type: 'string', value: 'PONG' };
      case 'PUBLISH':
        if (args[1] !== HELLO_CHANNEL) return { type: 'integer', value: 0 };
        this.world.deliverHello(this.owner, args[2] ?? '');
        return { type: 'integer', value: 1 };
      case 'SENTINEL': {
        const s = this.owner;
        const output = this.world.input<Reply>(s, { kind: 'command', run: (cx) => sentinelCommand(cx, args.slice(1), NO_SCRIPTS) });
        const gate = s.gate;
        if (output === undefined || gate === null) return undefined;
        const reply = output.result;
        const upTo = gate.requests;
        if (!output.persists && (!repliesWithVote(args.slice(1)) || gate.isWritten(upTo))) {
          this.checkVoteOnDisk(args, reply);
          return observed(reply);
        }
        // The reply waits for the write its step asked for (a vote, an epoch), or, showing a vote,
        // for every write so far, as in the daemon; a crash first means no reply.
        return {
          later: (send) =>
            gate.whenWritten(upTo, (error) => {
              this.checkVoteOnDisk(args, reply);
              send(observed(reply === OK_IF_FLUSHED && error !== null ? FLUSH_FAILED_REPLY : reply));
            }),
        };
      }
      default:
        return { type: 'error', value: `ERR unknown command '${args[0]}'` };
    }
  }
}

/** A server reply as ioredis (RESP2) hands it to the links. */
function observed(r: Reply): ObservedReply {
  switch (r.type) {
    case 'simple':
    case 'verbatim':
      return { type: 'string', value: r.value };
    case 'bulk':
      return { type: 'string', value: r.value.toString() };
    case 'error':
      return { type: 'error', value: r.value };
    case 'integer':
      // As off the wire: a number when it fits exactly.
      return { type: 'integer', value: Number.isSafeInteger(Number(r.value)) ? Number(r.value) : r.value };
    case 'array':
    case 'set':
    case 'push':
      return { type: 'array', items: r.items.map(observed) };
    case 'map':
      return { type: 'array', items: r.entries.flatMap(([k, v]) => [observed(k), observed(v)]) };
    case 'double':
      return { type: 'string', value: String(r.value) };
    case 'boolean':
      return { type: 'integer', value: r.value ? 1 : 0 };
    default:
      return { type: 'null' };
  }
}

export interface Outcome {
  plan: Plan;
  violations: string[];
  convergedAt: number | null;
  checker: Checker;
  trace: string[];
  endedAt: number;
}

/**
 * A deployment in simulated time: sentinels (real cores), simulated Redis
 * instances and the network between them, driven through a fault plan.
 * Everything random comes from the plan's seed, so a run replays exactly.
 */
export class World {
  readonly sched = new Scheduler();
  readonly net: Network;
  readonly redis: SimRedis[];
  readonly sentinels: SentinelNode[];
  readonly checker: Checker;
  private readonly rng: Rng;
  private readonly byAddress = new Map<string, SimRedis>();
  private readonly trace: string[] = [];
  private partitionId = 0;
  private stableSince: number | null = null;
  private lastProblem = 'never checked';
  private done = false;
  convergedAt: number | null = null;

  constructor(
    readonly plan: Plan,
    private readonly keepFullTrace = false,
    private readonly options: WorldOptions = {},
  ) {
    this.rng = new Rng(plan.seed ^ 0x5eed);
    this.net = new Network(this.sched, this.rng.fork());
    this.checker = new Checker(() => this.sched.now);
    const names = nodeNames(plan.topology);
    const redisRng = this.rng.fork();
    const env = { now: () => this.sched.now, rng: redisRng, net: this.net, at: (a: string) => this.byAddress.get(a), all: () => this.redis };
    const masterIp = '10.0.1.1';
    this.redis = names.redis.map((node, i) => {
      const ip = `10.0.1.${i + 1}`;
      const r =
        i === 0
          ? new SimRedis(node, ip, REDIS_PORT, 100, { role: 'master', masterHost: null, masterPort: 0 }, env)
          : new SimRedis(node, ip, REDIS_PORT, plan.topology.replicaPriorities[i - 1], { role: 'slave', masterHost: masterIp, masterPort: REDIS_PORT }, env);
      // An established deployment: replicas are in sync when the sentinels start.
      r.linkUp = i !== 0;
      this.byAddress.set(r.address, r);
      this.net.register(r);
      return r;
    });
    this.sentinels = names.sentinels.map((node, i) => {
      const config = emptySentinelConfig();
      config.myid = this.rng.hex(40);
      const m = newMasterConfig(MASTER_NAME, masterIp, REDIS_PORT, plan.topology.quorum);
      m.downAfterMs = DOWN_AFTER_MS;
      m.failoverTimeoutMs = FAILOVER_TIMEOUT_MS;
      config.masters.push(m);
      const s = new SentinelNode(i, node, `10.0.0.${i + 1}`, config, this.rng.fork(), this);
      this.net.register(s.listener);
      return s;
    });
  }

  // ------------------------------------------------------------ running

  run(): Outcome {
    for (const s of this.sentinels) this.sched.at(s.rng.int(0, 200), () => this.startSentinel(s));
    this.every(REDIS_CRON_MS, () => this.redis.forEach((r) => r.cron()));
    for (const f of this.plan.faults) this.sched.at(f.at, () => this.apply(f.fault));
    if (this.plan.load) this.scheduleLoad(this.plan.load);
    this.sched.at(this.plan.healAt, () => this.heal());
    this.sched.at(this.plan.healAt, () => this.every(CHECK_EVERY_MS, () => this.checkConvergence()));
    const quiet = this.plan.kind === 'quiet';
    this.sched.runUntil(this.plan.deadline, () => (this.done && !quiet) || this.checker.violations.length > 0);
    const violations = [...this.checker.violations];
    if (violations.length === 0 && this.convergedAt === null) {
      violations.push(`no convergence within ${this.plan.deadline - this.plan.healAt}ms after healing: ${this.lastProblem}`);
    } else if (violations.length === 0 && this.stableSince !== null && this.sched.now - this.stableSince < STABLE_MS) {
      // Converged at the last checks only: agreement must hold, checked every CHECK_EVERY_MS, for a whole STABLE_MS.
      violations.push(`convergence held for only ${this.sched.now - this.stableSince}ms before the deadline (${STABLE_MS}ms needed)`);
    }
    return { plan: this.plan, violations, convergedAt: this.convergedAt, checker: this.checker, trace: this.trace, endedAt: this.sched.now };
  }

  private every(ms: number, fn: () => void): void {
    const loop = () => {
      fn();
      this.sched.after(ms, loop);
    };
    loop();
  }

  private checkConvergence(): void {
    const problem = convergenceProblem({ redis: this.redis, sentinels: this.sentinels, ignoreDownInstances: this.plan.ignoreDownInstances });
    if (problem !== null) {
      this.lastProblem = problem;
      this.stableSince = null;
      this.convergedAt = null;
      return;
    }
    this.stableSince ??= this.sched.now;
    this.convergedAt = this.stableSince;
    // Under load, a starved leader may finish its own switch long after the others agree.
    const loaded = this.plan.load !== undefined && this.sched.now < this.plan.load.to;
    if (this.sched.now - this.stableSince >= STABLE_MS && !loaded) this.done = true;
  }

  log(who: string, text: string): void {
    this.trace.push(`${String(this.sched.now).padStart(6)} ${who} ${text}`);
    if (!this.keepFullTrace && this.trace.length > 600) this.trace.splice(0, 300);
  }

  // ------------------------------------------------------------ sentinels

  private startSentinel(s: SentinelNode): void {
    if (s.core) return;
    s.incarnation++;
    this.checker.onRestart(s);
    const incarnation = s.incarnation;
    const current = () => s.incarnation === incarnation && s.core !== null;
    s.core = new Sentinel(
      { listeningPort: SENTINEL_PORT, timings: SIM_TIMINGS, tuning: this.tuning(s) },
      { random: () => s.rng.next(), resolve: () => null },
    );
    const core = s.core;
    s.gate = new PersistGate({
      snapshot: () => toConfig(core.state),
      // Asynchronous, as in the daemon: nothing the step queued after the persist happens before the write is done.
      write: (config, done) => {
        s.writing = structuredClone(config);
        this.sched.after(this.rng.int(0, MAX_WRITE_MS), () => {
          if (!current()) return;
          s.persisted = s.writing ?? s.persisted;
          s.writing = null;
          // The file is on disk now; the process hears of it once it runs.
          this.io(s, () => done(null));
        });
      },
      perform: (a) => {
        if (!current()) return;
        if (a.kind === 'crash') {
          this.crashSentinel(s);
          this.sched.after(1000, () => this.startSentinel(s));
        } else this.perform(s, core, a);
      },
    });
    this.log(s.node, `started (incarnation ${s.incarnation})`);
    this.input(s, { kind: 'load', config: structuredClone(s.persisted) });
    this.input(s, { kind: 'start' });
    this.scheduleTick(s, s.incarnation, s.rng.int(1, 100));
  }

  private tuning(s: SentinelNode): Tuning {
    return this.options.tuningOf?.(s.index) ?? this.options.tuning ?? (this.plan.tuning === 'fast' ? FAST_TUNING : REDIS_TUNING);
  }

  private scheduleTick(s: SentinelNode, incarnation: number, delay: number): void {
    const run = () => {
      if (s.incarnation !== incarnation || !s.core) return;
      const next = this.input(s, { kind: 'tick' });
      if (s.incarnation === incarnation && s.core) this.scheduleTick(s, incarnation, next?.nextTickMs ?? 0);
    };
    this.sched.after(delay, () => {
      if (this.sched.now < s.stalledUntil) s.timerDue = run;
      else run();
    });
  }

  // ------------------------------------------------------------ CPU starvation

  /** Runs a message's handling now, or once the process runs again if it is stalled. */
  io(s: SentinelNode, fn: () => void): void {
    if (this.sched.now >= s.stalledUntil) {
      fn();
      return;
    }
    const incarnation = s.incarnation;
    s.pendingIO.push(() => {
      if (s.incarnation === incarnation) fn();
    });
  }

  private stall(s: SentinelNode, ms: number, maxContinuousMs: number): void {
    const now = this.sched.now;
    if (s.stalledUntil <= now) s.stalledSince = now;
    const until = Math.min(now + ms, s.stalledSince + maxContinuousMs);
    if (until <= s.stalledUntil || until <= now) return;
    if (s.stalledUntil <= now) this.log(s.node, `stalled for ${until - now}ms`);
    s.stalledUntil = until;
    this.sched.at(until, () => this.resume(s));
  }

  /** One turn of the event loop after a stall: expired timers, then I/O, then immediates. */
  private resume(s: SentinelNode): void {
    if (this.sched.now < s.stalledUntil) return;
    const timer = s.timerDue;
    s.timerDue = null;
    const ioFirst = (this.options.loopOrder ?? 'io-first') === 'io-first';
    if (timer && !ioFirst) timer();
    const io = s.pendingIO;
    s.pendingIO = [];
    for (const fn of io) fn();
    if (timer && ioFirst) timer();
  }

  /** Stalls drawn from their own stream, so that a plan with load leaves every other draw as it was. */
  private scheduleLoad(load: Load): void {
    const rng = new Rng(this.plan.seed ^ 0x10ad);
    for (const s of this.sentinels) {
      let t = load.from + rng.int(0, 50);
      while (t < load.to) {
        const ms = rng.int(load.minStallMs, load.maxStallMs);
        this.sched.at(t, () => this.stall(s, ms, load.maxContinuousStallMs));
        t += ms + rng.int(1, load.maxRunMs);
      }
    }
    let t = load.from + rng.int(0, load.episodeGapMs[1]);
    while (t < load.to) {
      const base = rng.int(load.episodeMs[0], load.episodeMs[1]);
      for (const s of this.sentinels) {
        const ms = Math.max(1, base + rng.int(-30, 30));
        this.sched.at(t + rng.int(0, 15), () => this.stall(s, ms, load.maxContinuousStallMs));
      }
      t += rng.int(load.episodeGapMs[0], load.episodeGapMs[1]);
    }
  }

  private crashSentinel(s: SentinelNode): void {
    if (!s.core) return;
    s.core = null;
    s.gate = null;
    // Killed during a write: the rename happened or it did not.
    if (s.writing !== null && this.rng.chance(0.5)) s.persisted = s.writing;
    s.writing = null;
    s.incarnation++;
    s.pendingIO = [];
    s.timerDue = null;
    for (const c of s.conns.values()) this.net.closeByClient(c);
    s.conns.clear();
    for (const c of [...s.listener.clients]) this.net.closeByServer(c, 'Connection closed');
    this.log(s.node, 'crashed');
  }

  /** Feeds one input to a sentinel's core and carries out, in order, what it asked for. */
  input<T = void>(s: SentinelNode, input: InputBody<T>): StepOutput<T> | undefined {
    const core = s.core;
    if (!core) return undefined;
    const output = core.step({ ...input, now: this.clockOf(s) });
    this.options.onStep?.(s.index, this.sched.now, input.kind, output.actions, output.result);
    s.gate?.push(output.actions);
    return output;
  }

  /** A sentinel's own clock: the wall clock of its machine. */
  clockOf(s: SentinelNode): number {
    return EPOCH_MS + this.sched.now + s.clockOffset;
  }

  private perform(s: SentinelNode, core: Sentinel, a: Action): void {
    switch (a.kind) {
      case 'connect': {
        const key = connKey(a.link, a.conn);
        const old = s.conns.get(key);
        if (old) this.net.closeByClient(old);
        s.conns.set(key, this.net.connect(s, a.host, a.port, a.link, a.conn, a.generation));
        break;
      }
      case 'send': {
        const c = s.conns.get(connKey(a.link, a.conn));
        if (!c || c.generation !== a.generation) break;
        if (isSlaveOfNoOne(a.args) && c.server instanceof SimRedis) this.checker.onSlaveOfNoOne(s, core.state, a.tag, c.server);
        if (a.args[0] === 'SLAVEOF' && c.server instanceof SimRedis) this.log(s.node, `-> ${c.server.node} ${a.args.join(' ')}`);
        this.net.send(c, a.args, a.tag);
        break;
      }
      case 'close': {
        const key = connKey(a.link, a.conn);
        const c = s.conns.get(key);
        if (!c || c.generation !== a.generation) break;
        s.conns.delete(key);
        this.net.closeByClient(c);
        break;
      }
      case 'event':
        if (a.event.level !== 'debug' && a.event.level !== 'verbose') this.log(s.node, `${a.event.type} ${a.event.message}`);
        this.checker.onEvent(s, core.state, a.event);
        break;
      default:
        break;
    }
  }

  /** A hello PUBLISHed to a sentinel is processed at once; a duplicated one comes again a little later. */
  deliverHello(s: SentinelNode, payload: string): void {
    this.input(s, { kind: 'hello', payload });
    if (this.rng.chance(this.net.quality.dupRate)) {
      this.sched.after(this.rng.int(1, 50), () => this.io(s, () => this.input(s, { kind: 'hello', payload })));
    }
  }

  // ------------------------------------------------------------ faults

  private currentMaster(): SimRedis | undefined {
    return this.redis.find((r) => r.up && r.repl.role === 'master');
  }

  private apply(f: Fault): void {
    this.log('world', `fault ${JSON.stringify(f)}`);
    switch (f.kind) {
      case 'network':
        this.net.quality = f.quality;
        break;
      case 'partition': {
        const master = this.currentMaster()?.node ?? 'r0';
        this.net.partition(f.groups.map((g) => g.map((n) => (n === '@master' ? master : n))));
        const id = ++this.partitionId;
        if (f.healAfterMs !== null) this.sched.after(f.healAfterMs, () => id === this.partitionId && this.net.partition([]));
        break;
      }
      case 'clock-jump':
        this.sentinels[f.sentinel].clockOffset += f.deltaMs;
        break;
      case 'crash-sentinel': {
        const s = this.sentinels[f.sentinel];
        this.crashSentinel(s);
        this.sched.after(f.downMs, () => this.startSentinel(s));
        break;
      }
      case 'kill-master': {
        const r = this.currentMaster();
        if (!r) break;
        this.killRedis(r, f.downMs);
        break;
      }
      case 'kill-replica':
        this.killRedis(this.redis[f.redis], f.downMs);
        break;
      case 'manual-failover': {
        const reply = this.input<Reply>(this.sentinels[f.sentinel], { kind: 'command', run: (cx) => sentinelCommand(cx, ['failover', MASTER_NAME], NO_SCRIPTS) })?.result;
        this.log(`s${f.sentinel}`, `SENTINEL FAILOVER -> ${JSON.stringify(reply)}`);
        break;
      }
    }
  }

  private killRedis(r: SimRedis, downMs: number | null): void {
    if (!r.up) return;
    r.kill();
    this.log(r.node, 'killed');
    if (downMs !== null) this.sched.after(downMs, () => this.restartRedis(r));
  }

  private restartRedis(r: SimRedis): void {
    if (r.up) return;
    r.restart();
    this.log(r.node, `restarted as ${r.repl.role}${r.repl.role === 'slave' ? ` of ${r.masterAddress()}` : ''}`);
  }

  /** Chaos ends: the network is whole again and every process runs (master-death keeps its master dead). */
  private heal(): void {
    if (this.plan.kind !== 'chaos') return;
    this.log('world', 'heal');
    this.partitionId++;
    this.net.heal();
    for (const s of this.sentinels) this.startSentinel(s);
    for (const r of this.redis) this.restartRedis(r);
  }
}

function isSlaveOfNoOne(args: string[]): boolean {
  return args.length === 3 && args[0].toUpperCase() === 'SLAVEOF' && args[1].toUpperCase() === 'NO' && args[2].toUpperCase() === 'ONE';
}

export function runPlan(plan: Plan, keepFullTrace = false, options: WorldOptions = {}): Outcome {
  return new World(plan, keepFullTrace, options).run();
}
