/**
 * The commands the conformance test sends, as data. Every case runs on a fresh
 * connection to the sentinel under test and to the real redis-sentinel, once in
 * RESP2 and once after `HELLO 3` (unless `protocols` says otherwise); every
 * reply is normalised (normalise.ts) and must then be identical.
 *
 * Placeholders in arguments are replaced per side (side.ts):
 *   {master-ip} {master-port} {replica-port} {sentinel-port} {peer-port}
 *   {peer-id} {myid} {unused-port}
 */

/**
 * How a reply is compared beyond the normalisation every reply gets:
 * - `exact`: the normalised reply as it is (the default);
 * - `shape`: only the type tree (every scalar masked), for replies made of ids or ages;
 * - `unordered`: the top-level elements in any order (hash-ordered replies such as COMMAND LIST);
 * - `info`: an INFO text as its sections and their sets of field names (values of stable fields too).
 */
export type ReplyMask = 'exact' | 'shape' | 'unordered' | 'info';

export interface CommandSpec {
  args: string[];
  /** Send as an inline command (`PING\r\n`) instead of a RESP multibulk. */
  inline?: boolean;
  /** How many frames the command produces (SUBSCRIBE a b gives 2); 1 unless told. */
  replies?: number;
  mask?: ReplyMask;
}

export type CommandEntry = string[] | CommandSpec;

export interface ConformanceCase {
  name: string;
  commands: CommandEntry[];
  /** Protocols to run the case in; both unless told. */
  protocols?: Array<2 | 3>;
}

export function commandSpec(entry: CommandEntry): CommandSpec {
  return Array.isArray(entry) ? { args: entry } : entry;
}

const info = (...sections: string[]): CommandSpec => ({ args: ['INFO', ...sections], mask: 'info' });
const shape = (...args: string[]): CommandSpec => ({ args, mask: 'shape' });
const HELLO_FOR_UNKNOWN_MASTER = '127.0.0.1,1,0000000000000000000000000000000000000000,0,nosuchmaster,127.0.0.1,1,0';
const LONG_ARG = 'x'.repeat(150);

export const CASES: ConformanceCase[] = [
  // Connection and generic commands.
  { name: 'PING with 0, 1 and 2 arguments', commands: [['PING'], ['PING', 'hello'], ['PING', ''], ['PING', 'a', 'b'], ['ping']] },
  { name: 'inline commands', commands: [{ args: ['PING'], inline: true }, { args: ['SENTINEL', 'MASTERS', 'x'], inline: true }] },
  { name: 'ECHO is not a sentinel command', commands: [['ECHO', 'hi'], ['ECHO']] },
  {
    name: 'unknown commands with arguments',
    commands: [
      ['GET', 'foo'],
      ['FOO'],
      ['FOO', 'a', 'b'],
      ['set', 'k', 'v'],
      ['SELECT', '0'],
      ['MULTI'],
      ['CONFIG', 'GET', '*'],
      ['FOO', LONG_ARG, 'second'],
      ['FOO', 'a', LONG_ARG],
      ['FOO', 'line\r\nbreak'],
    ],
  },
  {
    name: 'INFO section selections',
    commands: [
      info(),
      info('default'),
      info('all'),
      info('everything'),
      info('server'),
      info('clients'),
      info('stats'),
      info('cpu'),
      info('sentinel'),
      info('SENTINEL'),
      info('keyspace'),
      info('replication'),
      info('server', 'sentinel', 'replication'),
      info('cpu', 'all'),
    ],
  },
  { name: 'ROLE', commands: [['ROLE'], ['ROLE', 'x']] },
  { name: 'AUTH errors', commands: [['AUTH', 'foo'], ['AUTH', 'default', 'wrong'], ['AUTH', 'a', 'b', 'c'], ['AUTH']] },
  {
    name: 'HELLO versions and options',
    commands: [
      ['HELLO'],
      ['HELLO', '4'],
      ['HELLO', 'abc'],
      ['HELLO', '3', 'FOO'],
      ['HELLO', '2', 'AUTH', 'default', 'wrong'],
      ['HELLO', '2', 'AUTH', 'default'],
      ['HELLO', '3', 'SETNAME', 'conformance'],
      ['CLIENT', 'GETNAME'],
      ['HELLO', '2', 'SETNAME', 'bad name'],
      ['HELLO', '2'],
      ['HELLO', '3'],
    ],
  },
  {
    name: 'CLIENT ID, SETNAME and GETNAME',
    commands: [
      shape('CLIENT', 'ID'),
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'conformance'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'bad name'],
      ['CLIENT', 'SETNAME', 'bad\nname'],
      ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME'],
    ],
  },
  { name: 'CLIENT LIST and INFO', commands: [['CLIENT', 'SETNAME', 'conformance'], ['CLIENT', 'LIST'], ['CLIENT', 'INFO'], ['CLIENT', 'LIST', 'TYPE', 'pubsub'], ['CLIENT', 'LIST', 'TYPE', 'bogus']] },
  {
    name: 'CLIENT KILL errors',
    commands: [
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID', 'abc'],
      ['CLIENT', 'KILL', 'ID', '999999'],
      ['CLIENT', 'KILL', 'foo', 'bar'],
      ['CLIENT', 'KILL', 'USER', 'nosuchuser'],
      ['CLIENT', 'KILL'],
    ],
  },
  { name: 'CLIENT HELP and unknown subcommands', commands: [['CLIENT', 'HELP'], ['CLIENT', 'NO-TOUCH', 'on'], ['CLIENT', 'SETINFO', 'lib-name', 'x'], ['CLIENT', 'FOO'], ['CLIENT']] },
  {
    name: 'COMMAND subcommands',
    commands: [
      ['COMMAND', 'COUNT'],
      ['COMMAND', 'INFO', 'ping'],
      ['COMMAND', 'INFO', 'nosuch'],
      ['COMMAND', 'DOCS', 'ping'],
      { args: ['COMMAND', 'LIST'], mask: 'unordered' },
      ['COMMAND', 'GETKEYS', 'sentinel', 'masters'],
      ['COMMAND', 'GETKEYS', 'get', 'foo'],
      ['COMMAND', 'GETKEYS', 'ping'],
      ['COMMAND', 'HELP'],
      ['COMMAND', 'FOO'],
    ],
  },
  { name: 'ACL basics', commands: [['ACL', 'WHOAMI'], ['ACL', 'HELP'], ['ACL', 'FOO']] },

  // Pub/sub.
  {
    name: 'SUBSCRIBE / PSUBSCRIBE / UNSUBSCRIBE replies and PING while subscribed',
    commands: [
      { args: ['SUBSCRIBE', 'a', 'b'], replies: 2 },
      ['PSUBSCRIBE', 'p*'],
      ['PING'],
      ['PING', 'hi'],
      ['UNSUBSCRIBE', 'a'],
      ['PUNSUBSCRIBE', 'p*'],
      ['UNSUBSCRIBE', 'b'],
      ['PING'],
    ],
  },
  { name: 'UNSUBSCRIBE with no subscription', commands: [['UNSUBSCRIBE'], ['PUNSUBSCRIBE'], ['UNSUBSCRIBE', 'x']] },
  {
    name: 'RESP2 subscribed context refuses other commands',
    protocols: [2],
    commands: [['SUBSCRIBE', 'a'], ['SENTINEL', 'MASTERS'], ['INFO'], ['CLIENT', 'ID'], ['GET', 'x'], ['PING']],
  },
  {
    name: 'PUBLISH accepts only hellos',
    commands: [
      ['PUBLISH', 'foo', 'bar'],
      ['PUBLISH', '__sentinel__:HELLO', 'x'],
      ['PUBLISH', '__sentinel__:hello', 'garbage'],
      ['PUBLISH', '__sentinel__:hello', HELLO_FOR_UNKNOWN_MASTER],
      ['PUBLISH', 'a'],
    ],
  },
  { name: 'SHUTDOWN ABORT with no shutdown pending', commands: [['SHUTDOWN', 'ABORT']] },

  // SENTINEL subcommands.
  { name: 'SENTINEL MASTERS', commands: [['SENTINEL', 'MASTERS'], ['sentinel', 'masters']] },
  { name: 'SENTINEL MASTER known and unknown', commands: [['SENTINEL', 'MASTER', 'mymaster'], ['SENTINEL', 'MASTER', 'nosuch'], ['SENTINEL', 'MASTER', 'MYMASTER']] },
  { name: 'SENTINEL REPLICAS and SLAVES', commands: [['SENTINEL', 'REPLICAS', 'mymaster'], ['SENTINEL', 'SLAVES', 'mymaster'], ['SENTINEL', 'REPLICAS', 'nosuch']] },
  { name: 'SENTINEL SENTINELS', commands: [['SENTINEL', 'SENTINELS', 'mymaster'], ['SENTINEL', 'SENTINELS', 'nosuch']] },
  { name: 'SENTINEL GET-MASTER-ADDR-BY-NAME', commands: [['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'], ['SENTINEL', 'get-master-addr-by-name', 'nosuch']] },
  { name: 'SENTINEL MYID', commands: [['SENTINEL', 'MYID']] },
  { name: 'SENTINEL CKQUORUM', commands: [['SENTINEL', 'CKQUORUM', 'mymaster'], ['SENTINEL', 'CKQUORUM', 'nosuch']] },
  {
    name: 'SENTINEL INFO-CACHE',
    commands: [shape('SENTINEL', 'INFO-CACHE', 'mymaster'), ['SENTINEL', 'INFO-CACHE', 'nosuch'], shape('SENTINEL', 'INFO-CACHE', 'mymaster', 'mymaster', 'nosuch')],
  },
  {
    name: 'SENTINEL CONFIG GET and SET errors',
    commands: [
      ['SENTINEL', 'CONFIG', 'GET', '*'],
      ['SENTINEL', 'CONFIG', 'GET', 'announce*'],
      ['SENTINEL', 'CONFIG', 'GET', 'RESOLVE-HOSTNAMES'],
      ['SENTINEL', 'CONFIG', 'GET', 'nomatch'],
      ['SENTINEL', 'CONFIG', 'SET', 'foo', 'bar'],
      ['SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'maybe'],
      ['SENTINEL', 'CONFIG', 'SET', 'announce-port', 'abc'],
      ['SENTINEL', 'CONFIG', 'SET', 'announce-port', '70000'],
      ['SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no'],
      ['SENTINEL', 'CONFIG', 'GET', 'a', 'b'],
      ['SENTINEL', 'CONFIG', 'SET', 'a'],
      ['SENTINEL', 'CONFIG', 'FOO', 'a'],
      ['SENTINEL', 'CONFIG', 'GET'],
    ],
  },
  {
    name: 'SENTINEL DEBUG',
    commands: [
      ['SENTINEL', 'DEBUG'],
      ['SENTINEL', 'DEBUG', 'foo', '1'],
      ['SENTINEL', 'DEBUG', 'ping-period', 'abc'],
      ['SENTINEL', 'DEBUG', 'ping-period', '0'],
      ['SENTINEL', 'DEBUG', 'ping-period'],
      ['SENTINEL', 'DEBUG', 'info-period', '10000'],
    ],
  },
  {
    name: 'SENTINEL SET errors and success',
    commands: [
      ['SENTINEL', 'SET', 'nosuch', 'quorum', '1'],
      ['SENTINEL', 'SET', 'mymaster', 'foo', '1'],
      ['SENTINEL', 'SET', 'mymaster', 'quorum', 'abc'],
      ['SENTINEL', 'SET', 'mymaster', 'quorum', '0'],
      ['SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '-5'],
      ['SENTINEL', 'SET', 'mymaster', 'rename-command', 'a'],
      ['SENTINEL', 'SET', 'mymaster', 'notification-script', '/bin/true'],
      ['SENTINEL', 'SET', 'mymaster', 'foo'],
      ['SENTINEL', 'SET', 'mymaster', 'quorum', '2'],
      ['SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '5000', 'parallel-syncs', '1'],
      ['SENTINEL', 'SET', 'mymaster', 'QUORUM', '2', 'foo', 'bar'],
    ],
  },
  {
    name: 'SENTINEL MONITOR a second master, then REMOVE it',
    commands: [
      ['SENTINEL', 'MONITOR', 'other', '127.0.0.1', '{unused-port}', '2'],
      ['SENTINEL', 'MASTER', 'other'],
      ['SENTINEL', 'MONITOR', 'other', '127.0.0.1', '{unused-port}', '2'],
      ['SENTINEL', 'REMOVE', 'other'],
      ['SENTINEL', 'MASTER', 'other'],
      ['SENTINEL', 'REMOVE', 'other'],
      ['SENTINEL', 'MASTERS'],
    ],
  },
  {
    name: 'SENTINEL MONITOR errors',
    commands: [
      ['SENTINEL', 'MONITOR', 'x', '127.0.0.1', '{unused-port}', 'abc'],
      ['SENTINEL', 'MONITOR', 'x', '127.0.0.1', 'abc', '2'],
      ['SENTINEL', 'MONITOR', 'x', '127.0.0.1', '{unused-port}', '0'],
      ['SENTINEL', 'MONITOR', 'x', 'not-an-ip', '{unused-port}', '2'],
      ['SENTINEL', 'MONITOR', 'x', '127.0.0.1', '70000', '2'],
      ['SENTINEL', 'MONITOR', 'mymaster', '127.0.0.1', '{unused-port}', '2'],
      ['SENTINEL', 'MASTER', 'x'],
    ],
  },
  { name: 'SENTINEL RESET on a pattern matching nothing', commands: [['SENTINEL', 'RESET', 'nomatch*'], ['SENTINEL', 'RESET', 'MYMASTER']] },
  { name: 'SENTINEL FLUSHCONFIG', commands: [['SENTINEL', 'FLUSHCONFIG']] },
  { name: 'SENTINEL PENDING-SCRIPTS', commands: [['SENTINEL', 'PENDING-SCRIPTS']] },
  { name: 'SENTINEL HELP', commands: [['SENTINEL', 'HELP'], ['sentinel', 'help']] },
  {
    name: 'SENTINEL IS-MASTER-DOWN-BY-ADDR',
    commands: [
      ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', '1', '0', '*'],
      ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '{master-ip}', '{master-port}', '0', '*'],
      ['SENTINEL', 'is-master-down-by-addr', '{master-ip}', '{master-port}', '0', '*'],
      ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', 'abc', '0', '*'],
      ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', '{master-port}', 'abc', '*'],
    ],
  },
  {
    name: 'SENTINEL SIMULATE-FAILURE help and unknown flags',
    commands: [['SENTINEL', 'SIMULATE-FAILURE', 'help'], ['SENTINEL', 'SIMULATE-FAILURE', 'foo'], ['SENTINEL', 'simulate-failure', 'HELP']],
  },
  { name: 'SENTINEL FAILOVER of an unknown master', commands: [['SENTINEL', 'FAILOVER', 'nosuch']] },
  {
    name: 'SENTINEL wrong arity and unknown subcommands',
    commands: [
      ['SENTINEL'],
      ['SENTINEL', 'MASTER'],
      ['SENTINEL', 'MASTERS', 'x'],
      ['SENTINEL', 'MYID', 'x'],
      ['SENTINEL', 'MONITOR', 'a', 'b', 'c'],
      ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', 'a'],
      ['SENTINEL', 'SET', 'mymaster', 'quorum'],
      ['SENTINEL', 'INFO-CACHE'],
      ['SENTINEL', 'REPLICAS', 'a', 'b'],
      ['SENTINEL', 'FOO'],
      ['SENTINEL', LONG_ARG],
    ],
  },
  { name: 'PUBLISH and SUBSCRIBE arity', commands: [['PUBLISH'], ['SUBSCRIBE'], ['PSUBSCRIBE']] },
];
