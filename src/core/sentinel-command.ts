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
import { announced, makeAddress } from './address.js';
import { describeFields } from './describe.js';
import { globMatch } from './glob.js';
import type { MasterInstance } from './instance.js';
import { parseStrictInt } from './numbers.js';
import type { SentinelCore } from './sentinel.js';
import { DEBUG_PARAMETERS } from './timing.js';

/** Hooks into the world the command handlers need but the core must not touch. */
export interface CommandEnvironment {
  /** access(path, X_OK) */
  isExecutable(path: string): boolean;
}

const NO_SUCH_MASTER = 'No such master with that name';
const FLUSH_FAILED = 'Failed to save config file. Check server logs.';

type Handler = (core: SentinelCore, args: string[], env: CommandEnvironment) => Reply;

/** SENTINEL <subcommand>: `argv` starts at the subcommand; arity was checked by the server. */
export function sentinelCommand(core: SentinelCore, argv: string[], env: CommandEnvironment): Reply {
  const handler = HANDLERS[argv[0].toLowerCase()];
  if (!handler) return err(`unknown subcommand '${argv[0].slice(0, 128)}'. Try SENTINEL HELP.`);
  return handler(core, argv.slice(1), env);
}

function withMaster(core: SentinelCore, name: string, answer: (m: MasterInstance) => Reply): Reply {
  const m = core.masters.get(name);
  return m ? answer(m) : err(NO_SUCH_MASTER);
}

function describe(core: SentinelCore, ri: Parameters<typeof describeFields>[0]): Reply {
  return bulkMap(describeFields(ri, core.now(), core.announceHostnames));
}

function flushAndReply(core: SentinelCore): Reply {
  return core.flushConfig() === null ? ok : err(FLUSH_FAILED);
}

const HANDLERS: Record<string, Handler> = {
  masters: (core) => array([...core.masters.values()].map((m) => describe(core, m))),

  master: (core, [name]) => withMaster(core, name, (m) => describe(core, m)),

  replicas: (core, [name]) => replicasReply(core, name),
  slaves: (core, [name]) => replicasReply(core, name),

  sentinels: (core, [name]) =>
    withMaster(core, name, (m) => array([...m.sentinels.values()].map((s) => describe(core, s)))),

  'get-master-addr-by-name': (core, [name]) => {
    const m = core.masters.get(name);
    if (!m) return nullArray;
    const addr = core.currentMasterAddress(m);
    return bulkArray([announced(addr, core.announceHostnames), String(addr.port)]);
  },

  myid: (core) => bulk(core.myid),

  'is-master-down-by-addr': (core, [ip, portText, epochText, runid]) => {
    const port = parseStrictInt(portText);
    const epoch = parseStrictInt(epochText);
    if (port === null || epoch === null) return err('value is not an integer or out of range');
    const answer = core.isMasterDownByAddr(ip, port, epoch, runid);
    return array([integer(answer.down ? 1 : 0), bulk(answer.leader), integer(answer.epoch)]);
  },

  reset: (core, [pattern]) => {
    let count = 0;
    for (const m of [...core.masters.values()]) {
      if (!globMatch(pattern, m.name)) continue;
      core.resetMaster(m, { keepSentinels: false, announce: true });
      count++;
    }
    return integer(count);
  },

  ckquorum: (core, [name]) => withMaster(core, name, (m) => ckquorum(m)),

  flushconfig: (core) => flushAndReply(core),

  monitor: (core, [name, host, portText, quorumText]) => {
    const quorum = parseStrictInt(quorumText);
    if (quorum === null) return err('Invalid quorum');
    const port = parseStrictInt(portText);
    if (port === null) return err('Invalid port');
    if (quorum <= 0) return err('Quorum must be 1 or greater.');
    if (!core.isAcceptableHost(host)) return err('Invalid IP address or hostname specified');
    if (core.masters.has(name)) return err('Duplicate master name.');
    const addr = makeAddress(host, port, core.resolveHostnames, (h) => core.resolveHost(h));
    if (typeof addr === 'string') return err(addr);
    const m = core.createMaster(name, addr, quorum);
    const reply = flushAndReply(core);
    core.emit('warning', '+monitor', m, `quorum ${m.quorum}`);
    return reply;
  },

  remove: (core, [name]) =>
    withMaster(core, name, (m) => {
      core.emit('warning', '-monitor', m);
      core.removeMaster(m);
      return flushAndReply(core);
    }),

  set: (core, [name, ...options], env) => setCommand(core, name, options, env),

  'info-cache': (core, names) => {
    const now = core.now();
    const seen = new Set<string>();
    const out: Reply[] = [];
    for (const name of names) {
      const m = core.masters.get(name);
      if (!m || seen.has(name)) continue;
      seen.add(name);
      const age = (refresh: number) => integer(m.infoRefresh ? now - refresh : 0);
      const entries: Reply[] = [array([age(m.infoRefresh), m.info === null ? nullBulk : bulk(m.info)])];
      for (const r of m.replicas.values()) entries.push(array([age(r.infoRefresh), r.info === null ? nullBulk : bulk(r.info)]));
      out.push(bulk(m.name), array(entries));
    }
    return array(out);
  },

  'pending-scripts': () => array([]),

  config: (core, args) => {
    const sub = args[0].toLowerCase();
    if (sub === 'set' && args.length === 3) return configSet(core, args[1], args[2]);
    if (sub === 'get' && args.length === 2) return configGet(core, args[1]);
    return err('Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');
  },

  debug: (core, args) => {
    if (args.length === 0) {
      return bulkMap(DEBUG_PARAMETERS.map(([name, key]) => [name.toUpperCase(), core.timings[key]]));
    }
    for (let j = 0; j < args.length; j++) {
      const option = args[j];
      const param = DEBUG_PARAMETERS.find(([name]) => name === option.toLowerCase());
      if (!param || j + 1 >= args.length) return err(`Unknown option or number of arguments for SENTINEL DEBUG '${option}'`);
      const value = parseStrictInt(args[++j]);
      if (value === null || value <= 0) return err(`Invalid argument '${args[j]}' for SENTINEL DEBUG '${option}'`);
      core.timings[param[1]] = value;
    }
    return ok;
  },

  'simulate-failure': (core, flags) => {
    core.simFailureFlags = 0;
    for (const flag of flags) {
      const f = flag.toLowerCase();
      if (f === 'crash-after-election') {
        core.simFailureFlags |= 1;
        core.log('warning', 'Failure simulation: this Sentinel will crash after being successfully elected as failover leader');
      } else if (f === 'crash-after-promotion') {
        core.simFailureFlags |= 2;
        core.log('warning', 'Failure simulation: this Sentinel will crash after promoting the selected replica to master');
      } else if (f === 'help') {
        return bulkArray(['crash-after-election', 'crash-after-promotion']);
      } else {
        return err('Unknown failure simulation specified');
      }
    }
    return ok;
  },
};

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

function replicasReply(core: SentinelCore, name: string): Reply {
  return withMaster(core, name, (m) =>
    array([...m.replicas.values()].filter((r) => r.replicaAnnounced).map((r) => describe(core, r))),
  );
}

function setCommand(core: SentinelCore, name: string, options: string[], env: CommandEnvironment): Reply {
  const m = core.masters.get(name);
  if (!m) return err(NO_SUCH_MASTER);
  let changes = 0;
  const fail = (reply: Reply): Reply => {
    if (changes > 0) core.flushConfig();
    return reply;
  };
  for (let j = 0; j < options.length; j++) {
    const option = options[j];
    const opt = option.toLowerCase();
    const more = options.length - 1 - j;
    const start = j;
    const invalid = (value: string) => fail(err(`Invalid argument '${value}' for SENTINEL SET '${option}'`));
    const positive = (min: number): number | null => {
      const v = parseStrictInt(options[j]);
      return v === null || v < min ? null : v;
    };
    let redact = false;

    if (more < 1 || !SET_OPTIONS.has(opt) || (opt === 'rename-command' && more < 2)) {
      return fail(err(`Unknown option or number of arguments for SENTINEL SET '${option}'`));
    }
    j++;
    const value = options[j];
    switch (opt) {
      case 'down-after-milliseconds': {
        const v = positive(1);
        if (v === null) return invalid(value);
        m.downAfterMs = v;
        for (const r of m.replicas.values()) r.downAfterMs = v;
        for (const s of m.sentinels.values()) s.downAfterMs = v;
        break;
      }
      case 'failover-timeout': {
        const v = positive(1);
        if (v === null) return invalid(value);
        m.failoverTimeoutMs = v;
        break;
      }
      case 'parallel-syncs': {
        const v = positive(1);
        if (v === null) return invalid(value);
        m.parallelSyncs = v;
        break;
      }
      case 'quorum': {
        const v = positive(1);
        if (v === null) return invalid(value);
        m.quorum = v;
        break;
      }
      case 'master-reboot-down-after-period': {
        const v = positive(0);
        if (v === null) return invalid(value);
        m.masterRebootDownAfterPeriodMs = v;
        break;
      }
      case 'notification-script':
      case 'client-reconfig-script': {
        if (core.denyScriptsReconfig) {
          return fail(
            err(
              'Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration',
            ),
          );
        }
        if (value !== '' && !env.isExecutable(value)) {
          return fail(
            err(
              opt === 'notification-script'
                ? 'Notification script seems non existing or non executable'
                : 'Client reconfiguration script seems non existing or non executable',
            ),
          );
        }
        if (opt === 'notification-script') m.notificationScript = value === '' ? null : value;
        else m.clientReconfigScript = value === '' ? null : value;
        break;
      }
      case 'auth-pass':
      case 'auth-user': {
        if (opt === 'auth-pass') {
          m.authPass = value === '' ? null : value;
          redact = true;
        } else {
          m.authUser = value === '' ? null : value;
        }
        core.dropConnections(m);
        for (const r of m.replicas.values()) core.dropConnections(r);
        break;
      }
      case 'rename-command': {
        const renamed = options[++j];
        if (value === '' || renamed === '') return invalid(value === '' ? value : renamed);
        m.renamedCommands.delete(value.toLowerCase());
        if (value.toLowerCase() !== renamed.toLowerCase()) m.renamedCommands.set(value.toLowerCase(), [value, renamed]);
        break;
      }
    }
    changes++;
    const shown = options.slice(start + 1, j + 1).map((v) => (redact ? '******' : v));
    core.emit('warning', '+set', m, `${option} ${shown.join(' ')}`);
  }
  return flushAndReply(core);
}

const SET_OPTIONS = new Set([
  'down-after-milliseconds',
  'failover-timeout',
  'parallel-syncs',
  'quorum',
  'master-reboot-down-after-period',
  'notification-script',
  'client-reconfig-script',
  'auth-pass',
  'auth-user',
  'rename-command',
]);

const CONFIG_PARAMETERS = [
  'resolve-hostnames',
  'announce-hostnames',
  'announce-ip',
  'announce-port',
  'sentinel-user',
  'sentinel-pass',
] as const;

function configSet(core: SentinelCore, param: string, value: string): Reply {
  const p = param.toLowerCase();
  const badValue = () => err(`Invalid value '${value}' to SENTINEL CONFIG SET '${param}'`);
  const yesno = (v: string) => (v.toLowerCase() === 'yes' ? true : v.toLowerCase() === 'no' ? false : null);
  let dropPeerLinks = false;
  switch (p) {
    case 'resolve-hostnames':
    case 'announce-hostnames': {
      const b = yesno(value);
      if (b === null) return badValue();
      if (p === 'resolve-hostnames') core.resolveHostnames = b;
      else core.announceHostnames = b;
      break;
    }
    case 'announce-ip':
      core.announceIp = value;
      break;
    case 'announce-port': {
      const n = parseStrictInt(value);
      if (n === null || n < 0 || n > 65535) return badValue();
      core.announcePort = n;
      break;
    }
    case 'sentinel-user':
      core.sentinelUser = value === '' ? null : value;
      dropPeerLinks = true;
      break;
    case 'sentinel-pass':
      core.sentinelPass = value === '' ? null : value;
      dropPeerLinks = true;
      break;
    default:
      return err(`Invalid argument '${param}' to SENTINEL CONFIG SET`);
  }
  const reply = flushAndReply(core);
  if (dropPeerLinks) core.dropAllSentinelLinks();
  return reply;
}

function configGet(core: SentinelCore, pattern: string): Reply {
  const values: Record<(typeof CONFIG_PARAMETERS)[number], string> = {
    'resolve-hostnames': core.resolveHostnames ? 'yes' : 'no',
    'announce-hostnames': core.announceHostnames ? 'yes' : 'no',
    'announce-ip': core.announceIp ?? '',
    'announce-port': String(core.announcePort),
    'sentinel-user': core.sentinelUser ?? '',
    'sentinel-pass': core.sentinelPass ?? '',
  };
  return map(
    CONFIG_PARAMETERS.filter((name) => globMatch(pattern, name, true)).map((name) => [bulk(name), bulk(values[name])]),
  );
}
