import { lowerAscii } from '../../core/ascii.js';
import { globMatch } from '../../core/glob.js';
import { parseStrictInt } from '../../core/numbers.js';
import { blockerText, type MasterExplanation } from '../../core/explain.js';
import * as ops from '../../core/operations.js';
import type { Fields, MasterSetting, QuorumCheck, Refusal, SentinelSetting } from '../../core/operations.js';
import type { StepContext } from '../../core/step-context.js';
import { COORDINATED_DEFAULT_TIMEOUT_MS, COORDINATED_MAX_TIMEOUT_MS, DEBUG_PARAMETERS } from '../../core/timing.js';
import { preencoded } from '../../resp/encode.js';
import {
  array,
  bulk,
  bulkArray,
  bulkMap,
  err,
  error,
  integer,
  map,
  nullArray,
  nullBulk,
  ok,
  simple,
  stringPairsMap,
  type Reply,
} from '../../resp/reply.js';

/** Hooks into the world the command handlers need but the core must not touch. */
export interface CommandEnvironment {
  /** access(path, X_OK) */
  isExecutable(path: string): boolean;
}

type Handler = (cx: StepContext, args: string[], env: CommandEnvironment) => Reply;

/**
 * SENTINEL <subcommand>: `argv` starts at the subcommand. The server has already
 * looked the subcommand up and checked its arity; both are checked again here, with
 * the same replies, so that no handler ever sees a missing argument.
 */
export function sentinelCommand(cx: StepContext, argv: string[], env: CommandEnvironment): Reply {
  if (argv.length === 0) return err("wrong number of arguments for 'sentinel' command");
  const [sub, entry] = subcommand(argv[0]);
  if (!entry) return err(`unknown subcommand '${firstBytes(argv[0], 128)}'. Try SENTINEL HELP.`);
  const [arity, handler] = entry;
  // Redis counts the container name too: `SENTINEL MASTER x` has arity 3.
  const argc = argv.length + 1;
  if (arity > 0 ? argc !== arity : argc < -arity) return err(`wrong number of arguments for 'sentinel|${sub}' command`);
  return handler(cx, argv.slice(1), env);
}

/** The subcommand last looked up, as typed: clients repeat one spelling, which then needs no lower-casing or hashing. */
let lastSubcommand: { typed: string; found: [string, [number, Handler] | undefined] } | null = null;

function subcommand(typed: string): [string, [number, Handler] | undefined] {
  if (lastSubcommand !== null && lastSubcommand.typed === typed) return lastSubcommand.found;
  const sub = lowerAscii(typed);
  const found: [string, [number, Handler] | undefined] = [sub, HANDLER_TABLE.get(sub)];
  lastSubcommand = { typed, found };
  return found;
}

/** printf's `%.<n>s`: at most `n` bytes of the UTF-8 text. */
function firstBytes(text: string, n: number): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= n ? text : bytes.subarray(0, n).toString('utf8');
}

/** string2ll: the whole text is a canonical signed 64-bit integer, kept exact. */
function parseInt64(text: string): bigint | null {
  if (!/^(0|-?[1-9]\d*)$/.test(text)) return null;
  const v = BigInt(text);
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : null;
}

/** Redis keeps a quorum in an `unsigned int`: the value wraps modulo 2^32. */
function asQuorum(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}

/** Redis keeps parallel-syncs in an `int`: the value wraps to 32 bits, sign included. */
function asInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/**
 * `+OK` that stands for "OK once the config write this command queued has
 * succeeded": the shell sends it after the write, or FLUSH_FAILED_REPLY when the
 * write failed. Recognised by identity; to anyone else it is a plain `+OK`.
 */
export const OK_IF_FLUSHED: Reply = Object.freeze({ type: 'simple', value: 'OK' });

export const FLUSH_FAILED_REPLY: Reply = err('Failed to save config file. Check server logs.');

/**
 * True for a command whose reply can show this sentinel's vote (IS-MASTER-DOWN-BY-ADDR with a
 * run id): it waits for every config write asked for so far, not only its own step's, since
 * the vote it repeats may have been cast by an earlier step whose write is still under way.
 */
export function repliesWithVote(argv: readonly string[]): boolean {
  if (argv.length < 5 || argv[4] === '*') return false;
  const sub = argv[0].toLowerCase();
  return sub === 'is-master-down-by-addr' || sub === 'is-primary-down-by-addr';
}

function refusalReply(refusal: Refusal): Reply {
  return error(refusal.error);
}

/** The reply of a change: its refusal, or +OK once the config write it asked for is done. */
function changeReply(refusal: Refusal | null): Reply {
  return refusal === null ? OK_IF_FLUSHED : refusalReply(refusal);
}

/** An answer about one master, or the error for a name that is not monitored. */
function aboutMaster<T>(found: T | undefined, answer: (found: T) => Reply): Reply {
  return found === undefined ? refusalReply(ops.NO_SUCH_MASTER) : answer(found);
}

/**
 * The GET-MASTER-ADDR-BY-NAME replies given lately, by host then port: made and encoded once
 * while the address holds (the host is the state's own string, whose hash is kept).
 */
const addressReplies = new Map<string, Map<number, Reply>>();
const ADDRESS_HOSTS_KEPT = 1024;

function addressReply(host: string, port: number): Reply {
  let byPort = addressReplies.get(host);
  if (byPort === undefined) {
    if (addressReplies.size >= ADDRESS_HOSTS_KEPT) addressReplies.clear();
    byPort = new Map();
    addressReplies.set(host, byPort);
  }
  let reply = byPort.get(port);
  if (reply === undefined) {
    if (byPort.size >= ADDRESS_HOSTS_KEPT) byPort.clear();
    reply = preencoded(bulkArray([host, String(port)]));
    byPort.set(port, reply);
  }
  return reply;
}

const describeReply = (fields: Fields): Reply => stringPairsMap(fields);
const describeAllReply = (list: Fields[]): Reply => array(list.map(describeReply));

/** Subcommand -> [arity as in the command table (§11.1), handler]. */
const HANDLERS: Record<string, [number, Handler]> = {
  masters: [2, (cx) => describeAllReply(ops.describeMasters(cx))],

  master: [3, (cx, [name]) => aboutMaster(ops.describeMaster(cx, name), describeReply)],

  replicas: [3, (cx, [name]) => aboutMaster(ops.describeReplicas(cx, name), describeAllReply)],
  slaves: [3, (cx, [name]) => aboutMaster(ops.describeReplicas(cx, name), describeAllReply)],

  sentinels: [3, (cx, [name]) => aboutMaster(ops.describeSentinels(cx, name), describeAllReply)],

  'get-master-addr-by-name': [
    3,
    (cx, [name]) => {
      const addr = ops.masterAddress(cx, name);
      return addr ? addressReply(addr.host, addr.port) : nullArray;
    },
  ],

  myid: [2, (cx) => bulk(ops.myId(cx))],

  'is-master-down-by-addr': [
    6,
    (cx, [ip, portText, epochText, runid]) => isMasterDownByAddr(cx, ip, portText, epochText, runid),
  ],

  reset: [3, (cx, [pattern]) => integer(ops.reset(cx, pattern))],

  ckquorum: [3, (cx, [name]) => aboutMaster(ops.quorumCheck(cx, name), ckquorumReply)],

  flushconfig: [
    2,
    (cx) => {
      ops.flushConfig(cx);
      return OK_IF_FLUSHED;
    },
  ],

  monitor: [6, (cx, [name, host, portText, quorumText]) => monitor(cx, name, host, portText, quorumText)],

  remove: [3, (cx, [name]) => changeReply(ops.remove(cx, name))],

  set: [-5, (cx, [name, ...options], env) => setCommand(cx, name, options, env)],

  'info-cache': [-3, (cx, names) => infoCache(cx, names)],

  'pending-scripts': [2, (cx) => pendingScripts(cx)],

  failover: [
    // Beyond Redis: options after the name (Redis's arity is exactly 3).
    -3,
    (cx, [name, ...options]) => {
      if (options.length > 0) return switchoverCommand(cx, name, options);
      const refused = ops.failover(cx, name);
      return refused === null ? ok : refusalReply(refused);
    },
  ],

  config: [
    -3,
    (cx, args) => {
      const sub = lowerAscii(args[0]);
      if (sub === 'set' && args.length === 3) return configSet(cx, args[1], args[2]);
      if (sub === 'get' && args.length === 2) return configGet(cx, args[1]);
      return err('Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');
    },
  ],

  debug: [-2, (cx, args) => debug(cx, args)],

  'simulate-failure': [-3, (cx, flags) => simulateFailure(cx, flags)],

  // Beyond Redis: forgetting one dead replica or peer (arity as `SENTINEL FORGET m SENTINEL id`).
  forget: [-5, (cx, args) => forget(cx, args)],

  // Beyond Redis: why a failover would or would not start now.
  explain: [3, (cx, [name]) => aboutMaster(ops.explain(cx, name), explainReply)],
};

/** Beyond Redis: Valkey 8's names of four subcommands, answered exactly as the Redis names they stand for. */
const VALKEY_ALIASES: ReadonlyArray<[string, string]> = [
  ['primary', 'master'],
  ['primaries', 'masters'],
  ['get-primary-addr-by-name', 'get-master-addr-by-name'],
  ['is-primary-down-by-addr', 'is-master-down-by-addr'],
];
for (const [alias, name] of VALKEY_ALIASES) HANDLERS[alias] = HANDLERS[name];

const HANDLER_TABLE: ReadonlyMap<string, [number, Handler]> = new Map(Object.entries(HANDLERS));

/**
 * SENTINEL FORGET <master> REPLICA <ip> <port> | SENTINEL <runid> (`SLAVE` is taken for
 * `REPLICA`). A form with the wrong number of words gets Redis's arity error.
 */
function forget(cx: StepContext, [name, kindText, ...rest]: string[]): Reply {
  const kind = lowerAscii(kindText);
  const wantedWords = kind === 'replica' || kind === 'slave' ? 2 : kind === 'sentinel' ? 1 : 0;
  if (wantedWords === 0) return err(`Unknown option or number of arguments for SENTINEL FORGET '${kindText}'`);
  if (rest.length !== wantedWords) return err("wrong number of arguments for 'sentinel|forget' command");
  if (wantedWords === 1) return changeReply(ops.forgetSentinelByRunid(cx, name, rest[0]));
  const [ip, portText] = rest;
  const port = parseStrictInt(portText);
  if (port === null || port < 0 || port > 65535) return err('Invalid port');
  return changeReply(ops.forgetReplicaByAddress(cx, name, ip, port));
}

/**
 * Beyond Redis: a coordinated SENTINEL FAILOVER's reply, sent once the switchover is over (see
 * awaitedSwitchover); to a shell that does not wait, a plain +OK.
 */
const awaitedSwitchovers = new WeakMap<Reply, { master: string; epoch: bigint }>();

/** The switchover this reply stands for, to be answered with ops.switchoverOutcome once it is over. */
export function awaitedSwitchover(reply: Reply): { master: string; epoch: bigint } | undefined {
  return awaitedSwitchovers.get(reply);
}

/** The reply for a switchover's outcome (see ops.switchoverOutcome). */
export function switchoverOutcomeReply(outcome: string): Reply {
  return outcome === '' ? ok : error(outcome);
}

/**
 * Beyond Redis: SENTINEL FAILOVER <master> [TO <ip> <port>] [COORDINATED] [TIMEOUT <ms>], each
 * option once, in any order. Without COORDINATED the reply is at once, as for the plain form.
 */
function switchoverCommand(cx: StepContext, name: string, options: string[]): Reply {
  const request = parseSwitchoverOptions(options);
  if (typeof request === 'string') return err(request);
  const started = ops.switchover(cx, name, request);
  if ('error' in started) return refusalReply(started);
  if (!request.coordinated) return ok;
  const reply: Reply = { type: 'simple', value: 'OK' };
  awaitedSwitchovers.set(reply, { master: name, epoch: started.epoch });
  return reply;
}

/** The options, or the error text. */
function parseSwitchoverOptions(options: string[]): ops.SwitchoverRequest | string {
  let target: ops.SwitchoverRequest['target'] = null;
  let coordinated = false;
  let timeoutMs: number | null = null;
  for (let j = 0; j < options.length; j++) {
    const option = lowerAscii(options[j]);
    const left = options.length - 1 - j;
    if (option === 'to' && target === null && left >= 2) {
      const port = parseStrictInt(options[j + 2]);
      if (port === null || port <= 0 || port > 65535) return 'Invalid port';
      target = { host: options[j + 1], port };
      j += 2;
    } else if (option === 'coordinated' && !coordinated) {
      coordinated = true;
    } else if (option === 'timeout' && timeoutMs === null && left >= 1) {
      const v = parseInt64(options[++j]);
      if (v === null || v <= 0n || v > BigInt(COORDINATED_MAX_TIMEOUT_MS)) return 'value is out of range';
      timeoutMs = Number(v);
    } else {
      return 'syntax error';
    }
  }
  if (timeoutMs !== null && !coordinated) return 'TIMEOUT requires COORDINATED';
  return { target, coordinated, timeoutMs: timeoutMs ?? COORDINATED_DEFAULT_TIMEOUT_MS };
}

function pendingScripts(cx: StepContext): Reply {
  return array(
    ops.pendingScripts(cx).map((job) =>
      map([
        [bulk('argv'), bulkArray(job.argv)],
        [bulk('flags'), bulk(job.running ? 'running' : 'scheduled')],
        [bulk('pid'), bulk(String(job.pid))],
        job.running ? [bulk('run-time'), bulk(String(job.runTimeMs))] : [bulk('run-delay'), bulk(String(job.runDelayMs))],
        [bulk('retry-num'), bulk(String(job.retryNum))],
      ]),
    ),
  );
}

function isMasterDownByAddr(
  cx: StepContext,
  ip: string,
  portText: string,
  epochText: string,
  runid: string,
): Reply {
  const port = parseStrictInt(portText);
  const epoch = parseInt64(epochText);
  if (port === null || epoch === null) return err('value is not an integer or out of range');
  // A long long cast to Redis's uint64_t epoch (-1 is 2^64-1), answered cast back.
  const answer = ops.isMasterDownByAddr(cx, ip, port, BigInt.asUintN(64, epoch), runid);
  return array([integer(answer.down ? 1 : 0), bulk(answer.leader), integer(BigInt.asIntN(64, answer.epoch))]);
}

function monitor(cx: StepContext, name: string, host: string, portText: string, quorumText: string): Reply {
  const quorum = parseInt64(quorumText);
  if (quorum === null) return err('Invalid quorum');
  const port = parseStrictInt(portText);
  if (port === null) return err('Invalid port');
  // Checked on the 64-bit value; only then does it wrap into the stored 32 bits.
  if (quorum <= 0n) return err('Quorum must be 1 or greater.');
  return changeReply(ops.monitor(cx, name, host, port, asQuorum(quorum)));
}

/**
 * Names in the order given, each once; unknown names are skipped. (Redis answers in
 * the hash order of its own dictionary, which no client can rely on.)
 */
function infoCache(cx: StepContext, names: string[]): Reply {
  const out: Reply[] = [];
  for (const name of new Set(names)) {
    const cached = ops.cachedInfo(cx, name);
    if (!cached) continue;
    const entries = cached.map(({ ageMs, info }) => array([integer(ageMs), info === null ? nullBulk : bulk(info)]));
    out.push(bulk(name), array(entries));
  }
  return array(out);
}

/** Applies `<param> <value>` pairs one by one: an error leaves the earlier ones applied. */
function debug(cx: StepContext, args: string[]): Reply {
  if (args.length === 0) return bulkMap(ops.debugTimings(cx).map(([name, ms]) => [name.toUpperCase(), ms]));
  for (let j = 0; j < args.length; j++) {
    const option = args[j];
    const param = DEBUG_PARAMETERS.find(([name]) => name === lowerAscii(option));
    if (!param || j + 1 >= args.length) {
      return err(`Unknown option or number of arguments for SENTINEL DEBUG '${option}'`);
    }
    const value = parseStrictInt(args[++j]);
    if (value === null || value <= 0) return err(`Invalid argument '${args[j]}' for SENTINEL DEBUG '${option}'`);
    ops.setDebugTiming(cx, param[1], value);
  }
  return ok;
}

/** The flags start from none; `help` answers at once, keeping the flags set before it. */
function simulateFailure(cx: StepContext, flags: string[]): Reply {
  ops.clearSimulatedFailures(cx);
  for (const flag of flags) {
    const f = lowerAscii(flag);
    const known = ops.SIMULATED_FAILURES.find((name) => name === f);
    if (known) ops.simulateFailure(cx, known);
    else if (f === 'help') return bulkArray([...ops.SIMULATED_FAILURES]);
    else return err('Unknown failure simulation specified');
  }
  return ok;
}

/** SENTINEL EXPLAIN's reply: fields and values as SENTINEL MASTER gives them (bulk strings), with nested lists and maps. */
function explainReply(e: MasterExplanation): Reply {
  const field = (name: string, value: Reply): [Reply, Reply] => [bulk(name), value];
  const text = (name: string, value: string | number | bigint): [Reply, Reply] => field(name, bulk(String(value)));
  const yesNo = (name: string, value: boolean): [Reply, Reply] => text(name, value ? 'yes' : 'no');
  const orNil = (value: string | null): Reply => (value === null ? nullBulk : bulk(value));
  const replicas = e.replicas.map((r) =>
    map([
      text('name', r.name),
      text('ip', r.ip),
      text('port', r.port),
      field('runid', orNil(r.runid)),
      text('slave-priority', r.priority),
      text('slave-repl-offset', r.offset),
      yesNo('eligible', r.eligible),
      field('reasons', bulkArray(r.reasons)),
    ]),
  );
  const sentinels = e.peers.map((p) =>
    map([
      text('runid', p.runid),
      text('ip', p.ip),
      text('port', p.port),
      text('link', p.linkUp ? 'ok' : 'disconnected'),
      yesNo('s-down', p.sdown),
      text('sees-master', p.opinion),
      field('voted-for', orNil(p.votedFor)),
      text('vote-epoch', p.voteEpoch),
    ]),
  );
  const t = e.lastElection;
  const election =
    t === null
      ? nullBulk
      : map([
          text('epoch', t.epoch),
          field('leader', orNil(t.winner)),
          text('votes-needed', t.needed),
          field('votes', array(t.votes.map((v) => map([text('voter', v.voter), field('voted-for', orNil(v.votedFor))])))),
        ]);
  return map([
    text('name', e.name),
    yesNo('failover-would-start', e.blockers.length === 0),
    field('blocked-by', bulkArray(e.blockers.map(blockerText))),
    text('quorum', e.quorum),
    text('sentinels-agreeing-down', e.agreeing),
    text('voters', e.voters),
    text('votes-needed', e.votesNeeded),
    text('voters-reachable', e.votersReachable),
    yesNo('election-winnable', e.votersReachable >= e.votesNeeded),
    text('failover-state', e.failoverState),
    text('failover-epoch', e.failoverEpoch),
    field('selected-replica', orNil(e.selected === null ? null : e.selected.name)),
    field('replicas', array(replicas)),
    field('sentinels', array(sentinels)),
    field('my-vote', orNil(e.myVote.leader)),
    text('my-vote-epoch', e.myVote.epoch),
    field('last-election', election),
  ]);
}

function ckquorumReply(check: QuorumCheck): Reply {
  const { usable, quorumReachable, majorityReachable } = check;
  if (quorumReachable && majorityReachable) {
    return simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
  }
  const reasons: string[] = [];
  if (!quorumReachable) reasons.push('Not enough available Sentinels to reach the specified quorum for this master');
  if (!majorityReachable) reasons.push('Not enough available Sentinels to reach the majority and authorize a failover');
  return error(`NOQUORUM ${usable} usable Sentinels. ${reasons.join('. ')}`);
}

type SetOption = MasterSetting['option'];

/** How many values each SENTINEL SET option takes. */
const SET_OPTION_VALUES: Record<SetOption, number> = {
  'down-after-milliseconds': 1,
  'failover-timeout': 1,
  'parallel-syncs': 1,
  quorum: 1,
  'master-reboot-down-after-period': 1,
  // Beyond Redis (see roster.forgetLongDown).
  'forget-after': 1,
  'notification-script': 1,
  'client-reconfig-script': 1,
  'auth-pass': 1,
  'auth-user': 1,
  'rename-command': 2,
  'protect-empty-restart': 1,
};

/** Beyond Redis: Valkey 8's name of an option, applied as the Redis name (and written to the config under it). */
const SET_OPTION_ALIASES: ReadonlyMap<string, SetOption> = new Map([
  ['primary-reboot-down-after-period', 'master-reboot-down-after-period'],
]);

function setOption(typed: string): SetOption | undefined {
  const option = lowerAscii(typed);
  return Object.hasOwn(SET_OPTION_VALUES, option) ? (option as SetOption) : SET_OPTION_ALIASES.get(option);
}

/**
 * SENTINEL SET: options apply left to right, each with its `+set` event. The first
 * error stops the rest; what was already applied stays, and is flushed, but the
 * reply is the error whatever the flush gives.
 */
function setCommand(cx: StepContext, name: string, options: string[], env: CommandEnvironment): Reply {
  if (!ops.isMonitored(cx, name)) return refusalReply(ops.NO_SUCH_MASTER);
  let changes = 0;
  for (let j = 0; j < options.length; ) {
    const typed = options[j];
    const option = setOption(typed);
    if (option === undefined || options.length - 1 - j < SET_OPTION_VALUES[option]) {
      return failAfter(cx, changes, err(`Unknown option or number of arguments for SENTINEL SET '${typed}'`));
    }
    const wanted = SET_OPTION_VALUES[option];
    const values = options.slice(j + 1, j + 1 + wanted);
    const setting = parseSetOption(option, values, env);
    if (typeof setting === 'string') {
      return failAfter(cx, changes, err(`Invalid argument '${setting}' for SENTINEL SET '${typed}'`));
    }
    const refused = ops.setMasterOption(cx, name, setting, [typed, ...values]);
    if (refused) return failAfter(cx, changes, refusalReply(refused));
    changes++;
    j += 1 + wanted;
  }
  ops.flushConfig(cx);
  return OK_IF_FLUSHED;
}

function failAfter(cx: StepContext, changes: number, reply: Reply): Reply {
  if (changes > 0) ops.flushConfig(cx);
  return reply;
}

/** One option of SENTINEL SET with its values (two for rename-command): the setting, or the value that is not valid for it. */
function parseSetOption(option: SetOption, values: string[], env: CommandEnvironment): MasterSetting | string {
  const [value] = values;
  // A strict 64-bit integer no smaller than `min`.
  const number = (min: bigint): bigint | null => {
    const v = parseInt64(value);
    return v === null || v < min ? null : v;
  };
  switch (option) {
    case 'down-after-milliseconds':
    case 'failover-timeout': {
      const v = number(1n);
      return v === null ? value : { option, value: Number(v) };
    }
    case 'parallel-syncs': {
      const v = number(1n);
      return v === null ? value : { option, value: asInt32(v) };
    }
    case 'quorum': {
      const v = number(1n);
      return v === null ? value : { option, value: asQuorum(v) };
    }
    case 'master-reboot-down-after-period':
    case 'forget-after': {
      const v = number(0n);
      return v === null ? value : { option, value: Number(v) };
    }
    case 'notification-script':
    case 'client-reconfig-script':
      return { option, path: value, executable: value !== '' && env.isExecutable(value) };
    case 'auth-pass':
    case 'auth-user':
      return { option, value };
    case 'rename-command': {
      const [from, to] = values;
      if (from === '') return from;
      if (to === '') return to;
      return { option, from, to };
    }
    case 'protect-empty-restart': {
      const v = lowerAscii(value);
      return v === 'yes' ? { option, value: true } : v === 'no' ? { option, value: false } : value;
    }
  }
}

function configSet(cx: StepContext, param: string, value: string): Reply {
  const setting = parseSentinelSetting(lowerAscii(param), value);
  if (setting === undefined) return err(`Invalid argument '${param}' to SENTINEL CONFIG SET`);
  if (setting === null) return err(`Invalid value '${value}' to SENTINEL CONFIG SET '${param}'`);
  ops.setSentinelParameter(cx, setting);
  return OK_IF_FLUSHED;
}

/** The setting, null for a bad value, undefined for an unknown parameter. */
function parseSentinelSetting(param: string, value: string): SentinelSetting | null | undefined {
  switch (param) {
    case 'resolve-hostnames':
    case 'announce-hostnames': {
      const v = lowerAscii(value);
      return v === 'yes' ? { parameter: param, value: true } : v === 'no' ? { parameter: param, value: false } : null;
    }
    case 'announce-ip':
    case 'sentinel-user':
    case 'sentinel-pass':
      return { parameter: param, value };
    case 'announce-port': {
      const n = parseStrictInt(value);
      return n === null || n < 0 || n > 65535 ? null : { parameter: param, value: n };
    }
    default:
      return undefined;
  }
}

/** The pattern is matched without case against the parameter names, always in the same order. */
function configGet(cx: StepContext, pattern: string): Reply {
  return map(
    ops
      .sentinelParameters(cx)
      .filter(([name]) => globMatch(pattern, name, true))
      .map(([name, value]) => [bulk(name), bulk(value)]),
  );
}
