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
  type Reply,
} from '../resp/reply.js';
import { announced } from './address.js';
import { lowerAscii } from './ascii.js';
import { describeFields } from './describe.js';
import { userFailover } from './failover.js';
import { globMatch } from './glob.js';
import type { MasterInstance } from './instance.js';
import { parseStrictInt } from './numbers.js';
import { isMasterDownByAddr } from './election.js';
import { currentMasterAddress } from './instance.js';
import { dropAllSentinelLinks, dropConnections } from './links.js';
import { createMaster, removeMaster, resetMaster } from './roster.js';
import type { StepContext } from './step-context.js';
import { DEBUG_PARAMETERS } from './timing.js';

/** Hooks into the world the command handlers need but the core must not touch. */
export interface CommandEnvironment {
  /** access(path, X_OK) */
  isExecutable(path: string): boolean;
}

const NO_SUCH_MASTER = 'No such master with that name';
const FLUSH_FAILED = 'Failed to save config file. Check server logs.';

type Handler = (cx: StepContext, args: string[], env: CommandEnvironment) => Reply;

/**
 * SENTINEL <subcommand>: `argv` starts at the subcommand. The server has already
 * looked the subcommand up and checked its arity; both are checked again here, with
 * the same replies, so that no handler ever sees a missing argument.
 */
export function sentinelCommand(cx: StepContext, argv: string[], env: CommandEnvironment): Reply {
  if (argv.length === 0) return err("wrong number of arguments for 'sentinel' command");
  const sub = lowerAscii(argv[0]);
  const entry = Object.hasOwn(HANDLERS, sub) ? HANDLERS[sub] : undefined;
  if (!entry) return err(`unknown subcommand '${firstBytes(argv[0], 128)}'. Try SENTINEL HELP.`);
  const [arity, handler] = entry;
  // Redis counts the container name too: `SENTINEL MASTER x` has arity 3.
  const argc = argv.length + 1;
  if (arity > 0 ? argc !== arity : argc < -arity) return err(`wrong number of arguments for 'sentinel|${sub}' command`);
  return handler(cx, argv.slice(1), env);
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

function withMaster(cx: StepContext, name: string, answer: (m: MasterInstance) => Reply): Reply {
  const m = cx.masters.get(name);
  return m ? answer(m) : err(NO_SUCH_MASTER);
}

function describe(cx: StepContext, ri: Parameters<typeof describeFields>[0]): Reply {
  return bulkMap(describeFields(ri, cx.now, cx.settings.announceHostnames));
}

/**
 * `+OK` that stands for "OK once the config write this command queued has
 * succeeded": the shell sends it after the write, or FLUSH_FAILED_REPLY when the
 * write failed. Recognised by identity; to anyone else it is a plain `+OK`.
 */
export const OK_IF_FLUSHED: Reply = Object.freeze({ type: 'simple', value: 'OK' });

/**
 * True for a command whose reply can show this sentinel's vote (IS-MASTER-DOWN-BY-ADDR with a
 * run id): it waits for every config write asked for so far, not only its own step's, since
 * the vote it repeats may have been cast by an earlier step whose write is still under way.
 */
export function repliesWithVote(argv: readonly string[]): boolean {
  return argv.length >= 5 && argv[0].toLowerCase() === 'is-master-down-by-addr' && argv[4] !== '*';
}
export const FLUSH_FAILED_REPLY: Reply = err(FLUSH_FAILED);

function flushAndReply(cx: StepContext): Reply {
  cx.persist();
  return OK_IF_FLUSHED;
}

/** Subcommand -> [arity as in the command table (§11.1), handler]. */
const HANDLERS: Record<string, [number, Handler]> = {
  masters: [2, (cx) => array([...cx.masters.values()].map((m) => describe(cx, m)))],

  master: [3, (cx, [name]) => withMaster(cx, name, (m) => describe(cx, m))],

  replicas: [3, (cx, [name]) => replicasReply(cx, name)],
  slaves: [3, (cx, [name]) => replicasReply(cx, name)],

  sentinels: [
    3,
    (cx, [name]) => withMaster(cx, name, (m) => array([...m.sentinels.values()].map((s) => describe(cx, s)))),
  ],

  'get-master-addr-by-name': [
    3,
    (cx, [name]) => {
      const m = cx.masters.get(name);
      if (!m) return nullArray;
      const addr = currentMasterAddress(m);
      return bulkArray([announced(addr, cx.settings.announceHostnames), String(addr.port)]);
    },
  ],

  myid: [2, (cx) => bulk(cx.settings.myid)],

  'is-master-down-by-addr': [
    6,
    (cx, [ip, portText, epochText, runid]) => isMasterDownByAddrReply(cx, ip, portText, epochText, runid),
  ],

  reset: [
    3,
    (cx, [pattern]) => {
      let count = 0;
      for (const m of [...cx.masters.values()]) {
        if (!globMatch(pattern, m.name)) continue;
        resetMaster(cx, m, { keepSentinels: false, announce: true });
        count++;
      }
      return integer(count);
    },
  ],

  ckquorum: [3, (cx, [name]) => withMaster(cx, name, (m) => ckquorum(m))],

  flushconfig: [2, (cx) => flushAndReply(cx)],

  monitor: [6, (cx, [name, host, portText, quorumText]) => monitor(cx, name, host, portText, quorumText)],

  remove: [
    3,
    (cx, [name]) =>
      withMaster(cx, name, (m) => {
        cx.emit('warning', '-monitor', m);
        removeMaster(cx, m);
        return flushAndReply(cx);
      }),
  ],

  set: [-5, (cx, [name, ...options], env) => setCommand(cx, name, options, env)],

  'info-cache': [-3, (cx, names) => infoCache(cx, names)],

  'pending-scripts': [2, (cx) => pendingScripts(cx)],

  failover: [
    3,
    (cx, [name]) =>
      withMaster(cx, name, (m) => {
        const refused = userFailover(cx, m);
        return refused === null ? ok : error(refused);
      }),
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
};

function pendingScripts(cx: StepContext): Reply {
  const now = cx.now;
  return array(
    cx.state.scripts.jobs.map((job) =>
      map([
        [bulk('argv'), bulkArray(job.argv)],
        [bulk('flags'), bulk(job.running ? 'running' : 'scheduled')],
        [bulk('pid'), bulk(String(job.pid))],
        job.running
          ? [bulk('run-time'), bulk(String(now - job.startTime))]
          : [bulk('run-delay'), bulk(String(job.startTime === 0 ? 0 : Math.max(0, job.startTime - now)))],
        [bulk('retry-num'), bulk(String(job.retryNum))],
      ]),
    ),
  );
}

function isMasterDownByAddrReply(
  cx: StepContext,
  ip: string,
  portText: string,
  epochText: string,
  runid: string,
): Reply {
  const port = parseStrictInt(portText);
  const epoch = parseStrictInt(epochText);
  if (port === null || epoch === null) return err('value is not an integer or out of range');
  const answer = isMasterDownByAddr(cx, ip, port, epoch, runid);
  return array([integer(answer.down ? 1 : 0), bulk(answer.leader), integer(answer.epoch)]);
}

function monitor(cx: StepContext, name: string, host: string, portText: string, quorumText: string): Reply {
  const quorum = parseInt64(quorumText);
  if (quorum === null) return err('Invalid quorum');
  const port = parseStrictInt(portText);
  if (port === null) return err('Invalid port');
  // Checked on the 64-bit value; only then does it wrap into the stored 32 bits.
  if (quorum <= 0n) return err('Quorum must be 1 or greater.');
  if (!cx.isAcceptableHost(host)) return err('Invalid IP address or hostname specified');
  if (cx.masters.has(name)) return err('Duplicate master name.');
  const addr = cx.address(host, port);
  if (typeof addr === 'string') return err(addr);
  const m = createMaster(cx, name, addr, asQuorum(quorum));
  const reply = flushAndReply(cx);
  cx.emit('warning', '+monitor', m, `quorum ${m.quorum}`);
  return reply;
}

/**
 * Names in the order given, each once; unknown names are skipped. (Redis answers in
 * the hash order of its own dictionary, which no client can rely on.)
 */
function infoCache(cx: StepContext, names: string[]): Reply {
  const now = cx.now;
  const seen = new Set<string>();
  const out: Reply[] = [];
  for (const name of names) {
    const m = cx.masters.get(name);
    if (!m || seen.has(name)) continue;
    seen.add(name);
    // Redis reports every age as 0 while the master itself has never answered INFO.
    const age = (refresh: number) => integer(m.infoRefresh ? now - refresh : 0);
    const info = (text: string | null) => (text === null ? nullBulk : bulk(text));
    const entries: Reply[] = [array([age(m.infoRefresh), info(m.info)])];
    for (const r of m.replicas.values()) entries.push(array([age(r.infoRefresh), info(r.info)]));
    out.push(bulk(m.name), array(entries));
  }
  return array(out);
}

/** Applies `<param> <value>` pairs one by one: an error leaves the earlier ones applied. */
function debug(cx: StepContext, args: string[]): Reply {
  if (args.length === 0) {
    return bulkMap(DEBUG_PARAMETERS.map(([name, key]) => [name.toUpperCase(), cx.timings[key]]));
  }
  for (let j = 0; j < args.length; j++) {
    const option = args[j];
    const param = DEBUG_PARAMETERS.find(([name]) => name === lowerAscii(option));
    if (!param || j + 1 >= args.length) {
      return err(`Unknown option or number of arguments for SENTINEL DEBUG '${option}'`);
    }
    const value = parseStrictInt(args[++j]);
    if (value === null || value <= 0) return err(`Invalid argument '${args[j]}' for SENTINEL DEBUG '${option}'`);
    cx.timings[param[1]] = value;
  }
  return ok;
}

const SIMULATED_FAILURES: ReadonlyArray<[string, number, string]> = [
  [
    'crash-after-election',
    1,
    'Failure simulation: this Sentinel will crash after being successfully elected as failover leader',
  ],
  [
    'crash-after-promotion',
    2,
    'Failure simulation: this Sentinel will crash after promoting the selected replica to master',
  ],
];

/** The flags start from none; `help` answers at once, keeping the flags set before it. */
function simulateFailure(cx: StepContext, flags: string[]): Reply {
  cx.state.simFailureFlags = 0;
  for (const flag of flags) {
    const f = lowerAscii(flag);
    const known = SIMULATED_FAILURES.find(([name]) => name === f);
    if (known) {
      cx.state.simFailureFlags |= known[1];
      cx.log('warning', known[2]);
    } else if (f === 'help') {
      return bulkArray(SIMULATED_FAILURES.map(([name]) => name));
    } else {
      return err('Unknown failure simulation specified');
    }
  }
  return ok;
}

function ckquorum(m: MasterInstance): Reply {
  const voters = m.sentinels.size + 1;
  let usable = 1;
  for (const s of m.sentinels.values()) if (!s.flags.sdown && !s.flags.odown) usable++;
  const noQuorum = usable < m.quorum;
  const noAuthority = usable < Math.floor(voters / 2) + 1;
  if (!noQuorum && !noAuthority) {
    return simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
  }
  const reasons: string[] = [];
  if (noQuorum) reasons.push('Not enough available Sentinels to reach the specified quorum for this master');
  if (noAuthority) reasons.push('Not enough available Sentinels to reach the majority and authorize a failover');
  return error(`NOQUORUM ${usable} usable Sentinels. ${reasons.join('. ')}`);
}

/** Replicas that asked not to be announced (`replica-announced no`) are left out; num-slaves still counts them. */
function replicasReply(cx: StepContext, name: string): Reply {
  return withMaster(cx, name, (m) =>
    array([...m.replicas.values()].filter((r) => r.replicaAnnounced).map((r) => describe(cx, r))),
  );
}

const SCRIPTS_DENIED =
  'Reconfiguration of scripts path is denied for security reasons. ' +
  'Check the deny-scripts-reconfig configuration directive in your Sentinel configuration';

/** How many values each SENTINEL SET option takes. */
const SET_OPTIONS: ReadonlyMap<string, number> = new Map([
  ['down-after-milliseconds', 1],
  ['failover-timeout', 1],
  ['parallel-syncs', 1],
  ['quorum', 1],
  ['master-reboot-down-after-period', 1],
  ['notification-script', 1],
  ['client-reconfig-script', 1],
  ['auth-pass', 1],
  ['auth-user', 1],
  ['rename-command', 2],
]);

/**
 * SENTINEL SET: options apply left to right, each with its `+set` event. The first
 * error stops the rest; what was already applied stays, and is flushed, but the
 * reply is the error whatever the flush gives.
 */
function setCommand(cx: StepContext, name: string, options: string[], env: CommandEnvironment): Reply {
  const m = cx.masters.get(name);
  if (!m) return err(NO_SUCH_MASTER);
  let changes = 0;
  for (let j = 0; j < options.length; ) {
    const option = options[j];
    const wanted = SET_OPTIONS.get(lowerAscii(option));
    if (wanted === undefined || options.length - 1 - j < wanted) {
      return failAfter(cx, changes, err(`Unknown option or number of arguments for SENTINEL SET '${option}'`));
    }
    const values = options.slice(j + 1, j + 1 + wanted);
    const outcome = applySetOption(cx, m, option, values, env);
    if (!outcome.applied) return failAfter(cx, changes, outcome.reply);
    changes++;
    const shown = outcome.redact ? ['******'] : values;
    cx.emit('warning', '+set', m, `${option} ${shown.join(' ')}`);
    j += 1 + wanted;
  }
  return flushAndReply(cx);
}

function failAfter(cx: StepContext, changes: number, reply: Reply): Reply {
  if (changes > 0) cx.persist();
  return reply;
}

type SetOutcome = { applied: true; redact: boolean } | { applied: false; reply: Reply };

/** One option of SENTINEL SET, `option` as typed, with its values (two for rename-command). */
function applySetOption(
  cx: StepContext,
  m: MasterInstance,
  option: string,
  values: string[],
  env: CommandEnvironment,
): SetOutcome {
  const [value] = values;
  const refuse = (message: string): SetOutcome => ({ applied: false, reply: err(message) });
  const invalid = (bad = value) => refuse(`Invalid argument '${bad}' for SENTINEL SET '${option}'`);
  const applied: SetOutcome = { applied: true, redact: false };
  // A strict 64-bit integer no smaller than `min`.
  const number = (min: bigint): bigint | null => {
    const v = parseInt64(value);
    return v === null || v < min ? null : v;
  };

  const opt = lowerAscii(option);
  switch (opt) {
    case 'down-after-milliseconds': {
      const v = number(1n);
      if (v === null) return invalid();
      m.downAfterMs = Number(v);
      for (const r of m.replicas.values()) r.downAfterMs = m.downAfterMs;
      for (const s of m.sentinels.values()) s.downAfterMs = m.downAfterMs;
      return applied;
    }
    case 'failover-timeout': {
      const v = number(1n);
      if (v === null) return invalid();
      m.failoverTimeoutMs = Number(v);
      return applied;
    }
    case 'parallel-syncs': {
      const v = number(1n);
      if (v === null) return invalid();
      m.parallelSyncs = asInt32(v);
      return applied;
    }
    case 'quorum': {
      const v = number(1n);
      if (v === null) return invalid();
      m.quorum = asQuorum(v);
      return applied;
    }
    case 'master-reboot-down-after-period': {
      const v = number(0n);
      if (v === null) return invalid();
      m.masterRebootDownAfterPeriodMs = Number(v);
      return applied;
    }
    case 'notification-script':
    case 'client-reconfig-script': {
      if (cx.settings.denyScriptsReconfig) return refuse(SCRIPTS_DENIED);
      if (value !== '' && !env.isExecutable(value)) {
        return refuse(
          opt === 'notification-script'
            ? 'Notification script seems non existing or non executable'
            : 'Client reconfiguration script seems non existing or non executable',
        );
      }
      if (opt === 'notification-script') m.notificationScript = value === '' ? null : value;
      else m.clientReconfigScript = value === '' ? null : value;
      return applied;
    }
    case 'auth-pass':
    case 'auth-user': {
      if (opt === 'auth-pass') m.authPass = value === '' ? null : value;
      else m.authUser = value === '' ? null : value;
      // New credentials take effect on fresh connections.
      dropConnections(cx, m);
      for (const r of m.replicas.values()) dropConnections(cx, r);
      return { applied: true, redact: opt === 'auth-pass' };
    }
    case 'rename-command': {
      const [from, to] = values;
      if (from === '') return invalid(from);
      if (to === '') return invalid(to);
      const key = lowerAscii(from);
      m.renamedCommands.delete(key);
      // Renaming a command to itself (in any case) only removes the mapping.
      if (key !== lowerAscii(to)) m.renamedCommands.set(key, [from, to]);
      return applied;
    }
    default:
      return refuse(`Unknown option or number of arguments for SENTINEL SET '${option}'`);
  }
}

const CONFIG_PARAMETERS = [
  'resolve-hostnames',
  'announce-hostnames',
  'announce-ip',
  'announce-port',
  'sentinel-user',
  'sentinel-pass',
] as const;

function configSet(cx: StepContext, param: string, value: string): Reply {
  const p = lowerAscii(param);
  const badValue = () => err(`Invalid value '${value}' to SENTINEL CONFIG SET '${param}'`);
  const yesno = (v: string) => (lowerAscii(v) === 'yes' ? true : lowerAscii(v) === 'no' ? false : null);
  let dropPeerLinks = false;
  switch (p) {
    case 'resolve-hostnames':
    case 'announce-hostnames': {
      const b = yesno(value);
      if (b === null) return badValue();
      if (p === 'resolve-hostnames') cx.settings.resolveHostnames = b;
      else cx.settings.announceHostnames = b;
      break;
    }
    case 'announce-ip':
      // An empty value stays set (and is written to the config as "").
      cx.settings.announceIp = value;
      break;
    case 'announce-port': {
      const n = parseStrictInt(value);
      if (n === null || n < 0 || n > 65535) return badValue();
      cx.settings.announcePort = n;
      break;
    }
    case 'sentinel-user':
      cx.settings.sentinelUser = value === '' ? null : value;
      dropPeerLinks = true;
      break;
    case 'sentinel-pass':
      cx.settings.sentinelPass = value === '' ? null : value;
      dropPeerLinks = true;
      break;
    default:
      return err(`Invalid argument '${param}' to SENTINEL CONFIG SET`);
  }
  const reply = flushAndReply(cx);
  // Peers are reconnected with the new credentials only after the reply is decided.
  if (dropPeerLinks) dropAllSentinelLinks(cx);
  return reply;
}

/** The pattern is matched without case against the parameter names, always in this order. */
function configGet(cx: StepContext, pattern: string): Reply {
  const values: Record<(typeof CONFIG_PARAMETERS)[number], string> = {
    'resolve-hostnames': cx.settings.resolveHostnames ? 'yes' : 'no',
    'announce-hostnames': cx.settings.announceHostnames ? 'yes' : 'no',
    'announce-ip': cx.settings.announceIp ?? '',
    'announce-port': String(cx.settings.announcePort),
    'sentinel-user': cx.settings.sentinelUser ?? '',
    'sentinel-pass': cx.settings.sentinelPass ?? '',
  };
  return map(
    CONFIG_PARAMETERS.filter((name) => globMatch(pattern, name, true)).map((name) => [bulk(name), bulk(values[name])]),
  );
}
