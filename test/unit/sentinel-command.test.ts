import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/actions.js';
import { renamed } from '../../src/core/links.js';
import { sentinelInfo } from '../../src/core/operations.js';
import { createReplica } from '../../src/core/roster.js';
import { encodeReply } from '../../src/resp/encode.js';
import type { Reply } from '../../src/resp/reply.js';
import { sentinelSection } from '../../src/server/commands/info.js';
import { sentinelCommand, type CommandEnvironment } from '../../src/server/commands/sentinel-subcommands.js';
import { CoreHarness, MYID, PEER_ID } from './core-fixture.js';

// Error texts, event texts and reply bytes below were captured from redis-sentinel 7.0.15.

const SCRIPT = '/opt/scripts/notify.sh';
const env: CommandEnvironment = { isExecutable: (path) => path === SCRIPT };

function run(h: CoreHarness, ...argv: string[]): Reply {
  return h.sentinelCommand(argv, env);
}

/** The reply as a RESP2 (or RESP3) client receives it. */
function wire(reply: Reply, protocol: 2 | 3 = 2): string {
  return encodeReply(reply, protocol).toString('utf8');
}

function sent(h: CoreHarness, ...argv: string[]): string {
  return wire(run(h, ...argv));
}

function logs(h: CoreHarness): string[] {
  return h.actions.flatMap((a) => (a.kind === 'log' ? [a.message] : []));
}

/** Events and log lines in the order the core produced them. */
function timeline(actions: Action[]): string[] {
  return actions.flatMap((a) => {
    if (a.kind === 'event') return [`${a.event.type} ${a.event.message}`];
    if (a.kind === 'log') return [a.message];
    return [];
  });
}

function mapKeys(reply: Reply): string[] {
  if (reply.type !== 'map') throw new Error(`not a map: ${reply.type}`);
  return reply.entries.map(([k]) => (k.type === 'bulk' ? String(k.value) : '?'));
}

function mapValue(reply: Reply, key: string): string | undefined {
  if (reply.type !== 'map') throw new Error(`not a map: ${reply.type}`);
  const entry = reply.entries.find(([k]) => k.type === 'bulk' && String(k.value) === key);
  return entry && entry[1].type === 'bulk' ? String(entry[1].value) : undefined;
}

const NO_SUCH_MASTER = '-ERR No such master with that name\r\n';
const FLUSH_FAILED = '-ERR Failed to save config file. Check server logs.\r\n';
const SAVED = 'Sentinel new configuration saved on disk';
const MASTER_DESC = 'master mymaster 127.0.0.1 6379';

/** A CoreHarness whose config writes fail with `disk.error` (unless null); `take` gives its events and log lines since the last take. */
function coreWithDisk(disk: { error: string | null }, resolve: (host: string) => string | null = () => null) {
  const h = new CoreHarness(undefined, undefined, { resolve });
  h.diskError = disk.error;
  let taken = 0;
  const take = () => {
    const since = h.actions.slice(taken);
    taken = h.actions.length;
    return timeline(since);
  };
  return { h, take };
}

function withPeers(runids: string[]): CoreHarness {
  return new CoreHarness((c) => {
    c.masters[0].knownSentinels = runids.map((runid, i) => ({ host: '127.0.0.1', port: 26380 + i, runid }));
  });
}

describe('SENTINEL dispatch', () => {
  it('matches subcommand names without case, ASCII only', () => {
    const h = new CoreHarness();
    expect(sent(h, 'MyId')).toBe(`$40\r\n${MYID}\r\n`);
    // U+212A (Kelvin sign) lower-cases to `k` in Unicode, not in C.
    expect(sent(h, 'c\u212aquorum', 'mymaster')).toBe("-ERR unknown subcommand 'c\u212aquorum'. Try SENTINEL HELP.\r\n");
  });

  it('answers an unknown subcommand as Redis does, cut to 128 bytes', () => {
    const h = new CoreHarness();
    expect(sent(h, 'foo')).toBe("-ERR unknown subcommand 'foo'. Try SENTINEL HELP.\r\n");
    expect(sent(h, 'x'.repeat(200))).toBe(`-ERR unknown subcommand '${'x'.repeat(128)}'. Try SENTINEL HELP.\r\n`);
  });

  it('refuses a wrong number of arguments instead of failing on a missing one', () => {
    const h = new CoreHarness();
    expect(sent(h, 'master')).toBe("-ERR wrong number of arguments for 'sentinel|master' command\r\n");
    expect(sent(h, 'set', 'mymaster', 'quorum')).toBe("-ERR wrong number of arguments for 'sentinel|set' command\r\n");
    expect(sent(h, 'myid', 'extra')).toBe("-ERR wrong number of arguments for 'sentinel|myid' command\r\n");
    expect(sent(h)).toBe("-ERR wrong number of arguments for 'sentinel' command\r\n");
  });
});

describe('SENTINEL MASTERS / MASTER / REPLICAS / SLAVES / SENTINELS', () => {
  it('describes a healthy master with the 20 fields, in Redis order', () => {
    const h = new CoreHarness();
    const reply = run(h, 'master', 'mymaster');
    expect(mapKeys(reply)).toEqual([
      'name', 'ip', 'port', 'runid', 'flags', 'link-pending-commands', 'link-refcount', 'last-ping-sent',
      'last-ok-ping-reply', 'last-ping-reply', 'down-after-milliseconds', 'info-refresh', 'role-reported',
      'role-reported-time', 'config-epoch', 'num-slaves', 'num-other-sentinels', 'quorum', 'failover-timeout',
      'parallel-syncs',
    ]);
    expect(wire(reply, 2)).toMatch(/^\*40\r\n\$4\r\nname\r\n\$8\r\nmymaster\r\n\$2\r\nip\r\n\$9\r\n127\.0\.0\.1\r\n/);
    expect(wire(reply, 3)).toMatch(/^%20\r\n/);
    expect(run(h, 'masters')).toEqual({ type: 'array', items: [reply] });
  });

  it('matches master names case-sensitively', () => {
    const h = new CoreHarness();
    for (const sub of ['master', 'replicas', 'slaves', 'sentinels', 'ckquorum', 'remove']) {
      expect(sent(h, sub, 'MyMaster')).toBe(NO_SUCH_MASTER);
    }
  });

  it('leaves replicas with replica-announced no out of REPLICAS and SLAVES, but counts them in num-slaves', () => {
    const h = new CoreHarness();
    const shown = h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6380 }));
    const hidden = h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6381 }));
    if (!shown || !hidden) throw new Error('replicas not created');
    hidden.replicaAnnounced = false;
    for (const sub of ['replicas', 'slaves']) {
      const reply = run(h, sub, 'mymaster');
      if (reply.type !== 'array') throw new Error('not an array');
      expect(reply.items.map((r) => mapValue(r, 'name'))).toEqual(['127.0.0.1:6380']);
      expect(mapKeys(reply.items[0])).toHaveLength(21);
      expect(mapValue(reply.items[0], 'flags')).toBe('slave,disconnected');
    }
    expect(mapValue(run(h, 'master', 'mymaster'), 'num-slaves')).toBe('2');
  });

  it('lists the other sentinels', () => {
    const h = withPeers([PEER_ID]);
    const reply = run(h, 'sentinels', 'mymaster');
    if (reply.type !== 'array') throw new Error('not an array');
    expect(reply.items).toHaveLength(1);
    expect(mapKeys(reply.items[0])).toEqual([
      'name', 'ip', 'port', 'runid', 'flags', 'link-pending-commands', 'link-refcount', 'last-ping-sent',
      'last-ok-ping-reply', 'last-ping-reply', 'down-after-milliseconds', 'last-hello-message', 'voted-leader',
      'voted-leader-epoch',
    ]);
    expect(mapValue(reply.items[0], 'voted-leader')).toBe('?');
  });
});

describe('SENTINEL GET-MASTER-ADDR-BY-NAME and MYID', () => {
  it('gives the address as two bulk strings, or a null array', () => {
    const h = new CoreHarness();
    expect(sent(h, 'get-master-addr-by-name', 'mymaster')).toBe('*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n');
    const unknown = run(h, 'get-master-addr-by-name', 'nosuch');
    expect(wire(unknown, 2)).toBe('*-1\r\n');
    expect(wire(unknown, 3)).toBe('_\r\n');
  });

  it('gives the run id as a bulk string', () => {
    expect(sent(new CoreHarness(), 'myid')).toBe(`$40\r\n${MYID}\r\n`);
  });
});

describe('SENTINEL CKQUORUM', () => {
  it('reports OK as a status reply', () => {
    const h = new CoreHarness();
    run(h, 'set', 'mymaster', 'quorum', '1');
    expect(sent(h, 'ckquorum', 'mymaster')).toBe(
      '+OK 1 usable Sentinels. Quorum and failover authorization can be reached\r\n',
    );
    const peers = withPeers([PEER_ID, 'c'.repeat(40)]);
    expect(sent(peers, 'ckquorum', 'mymaster')).toBe(
      '+OK 3 usable Sentinels. Quorum and failover authorization can be reached\r\n',
    );
  });

  it('reports each missing condition in a NOQUORUM error', () => {
    const quorumOnly = new CoreHarness();
    expect(sent(quorumOnly, 'ckquorum', 'mymaster')).toBe(
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master\r\n',
    );

    const h = withPeers([PEER_ID, 'c'.repeat(40)]);
    for (const s of h.master.sentinels.values()) s.flags.sdown = true;
    run(h, 'set', 'mymaster', 'quorum', '1');
    expect(sent(h, 'ckquorum', 'mymaster')).toBe(
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover\r\n',
    );
    run(h, 'set', 'mymaster', 'quorum', '3');
    expect(sent(h, 'ckquorum', 'mymaster')).toBe(
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. ' +
        'Not enough available Sentinels to reach the majority and authorize a failover\r\n',
    );
  });

  it('does not count peers that are down', () => {
    const h = withPeers([PEER_ID, 'c'.repeat(40)]);
    [...h.master.sentinels.values()][0].flags.odown = true;
    expect(sent(h, 'ckquorum', 'mymaster')).toBe(
      '+OK 2 usable Sentinels. Quorum and failover authorization can be reached\r\n',
    );
    expect(sent(h, 'ckquorum', 'nosuch')).toBe(NO_SUCH_MASTER);
  });
});

describe('SENTINEL INFO-CACHE', () => {
  it('skips unknown names and answers each master once', () => {
    const h = new CoreHarness();
    const reply = run(h, 'info-cache', 'nosuch', 'mymaster', 'mymaster');
    expect(wire(reply, 2)).toBe('*2\r\n$8\r\nmymaster\r\n*1\r\n*2\r\n:0\r\n$-1\r\n');
    expect(wire(reply, 3)).toBe('*2\r\n$8\r\nmymaster\r\n*1\r\n*2\r\n:0\r\n_\r\n');
    expect(sent(h, 'info-cache', 'nosuch')).toBe('*0\r\n');
  });

  it('gives the age and text of the last INFO of the master, then of each replica', () => {
    const h = new CoreHarness();
    const r = h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6380 }));
    if (!r) throw new Error('replica not created');
    r.info = 'role:slave\r\n';
    r.infoRefresh = h.now - 700;
    // Redis reports 0 for every age while the master has no INFO yet.
    expect(sent(h, 'info-cache', 'mymaster')).toBe(
      '*2\r\n$8\r\nmymaster\r\n*2\r\n*2\r\n:0\r\n$-1\r\n*2\r\n:0\r\n$12\r\nrole:slave\r\n\r\n',
    );
    h.master.info = 'role:master\r\n';
    h.master.infoRefresh = h.now - 1500;
    expect(sent(h, 'info-cache', 'mymaster')).toBe(
      '*2\r\n$8\r\nmymaster\r\n*2\r\n*2\r\n:1500\r\n$13\r\nrole:master\r\n\r\n*2\r\n:700\r\n$12\r\nrole:slave\r\n\r\n',
    );
  });
});

describe('SENTINEL CONFIG', () => {
  const ALL_DEFAULTS =
    '*12\r\n$17\r\nresolve-hostnames\r\n$2\r\nno\r\n$18\r\nannounce-hostnames\r\n$2\r\nno\r\n' +
    '$11\r\nannounce-ip\r\n$0\r\n\r\n$13\r\nannounce-port\r\n$1\r\n0\r\n' +
    '$13\r\nsentinel-user\r\n$0\r\n\r\n$13\r\nsentinel-pass\r\n$0\r\n\r\n';

  it('GET matches a glob pattern without case, in a fixed order', () => {
    const h = new CoreHarness();
    expect(sent(h, 'config', 'get', '*')).toBe(ALL_DEFAULTS);
    const announce = run(h, 'CONFIG', 'GET', 'ANNOUNCE-*');
    expect(wire(announce, 2)).toBe(
      '*6\r\n$18\r\nannounce-hostnames\r\n$2\r\nno\r\n$11\r\nannounce-ip\r\n$0\r\n\r\n$13\r\nannounce-port\r\n$1\r\n0\r\n',
    );
    expect(wire(announce, 3)).toMatch(/^%3\r\n/);
    expect(sent(h, 'config', 'get', '[ab]nnounce-ip')).toBe('*2\r\n$11\r\nannounce-ip\r\n$0\r\n\r\n');
    expect(sent(h, 'config', 'get', 'nothing')).toBe('*0\r\n');
    expect(sent(h, 'config', 'get', 'deny*')).toBe('*0\r\n');
  });

  it('supports only GET <pattern> and SET <param> <value>', () => {
    const h = new CoreHarness();
    const only = '-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n';
    expect(sent(h, 'config', 'get', 'a', 'b')).toBe(only);
    expect(sent(h, 'config', 'set', 'a')).toBe(only);
    expect(sent(h, 'config', 'set', 'a', 'b', 'c')).toBe(only);
    expect(sent(h, 'config', 'foo', 'a')).toBe(only);
    expect(sent(h, 'config', 'foo')).toBe(only);
  });

  it('SET refuses unknown parameters and bad values, without flushing', () => {
    const h = new CoreHarness();
    expect(sent(h, 'config', 'set', 'foo', 'bar')).toBe("-ERR Invalid argument 'foo' to SENTINEL CONFIG SET\r\n");
    expect(sent(h, 'config', 'set', 'deny-scripts-reconfig', 'no')).toBe(
      "-ERR Invalid argument 'deny-scripts-reconfig' to SENTINEL CONFIG SET\r\n",
    );
    expect(sent(h, 'config', 'set', 'RESOLVE-HOSTNAMES', 'maybe')).toBe(
      "-ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'RESOLVE-HOSTNAMES'\r\n",
    );
    expect(sent(h, 'config', 'set', 'announce-hostnames', '')).toBe(
      "-ERR Invalid value '' to SENTINEL CONFIG SET 'announce-hostnames'\r\n",
    );
    for (const port of ['65536', '-1', 'x', '012', ' 1']) {
      expect(sent(h, 'config', 'set', 'announce-port', port)).toBe(
        `-ERR Invalid value '${port}' to SENTINEL CONFIG SET 'announce-port'\r\n`,
      );
    }
    expect(h.saved).toHaveLength(0);
  });

  it('SET applies the value and flushes once per change', () => {
    const h = new CoreHarness();
    expect(sent(h, 'CONFIG', 'SET', 'Announce-IP', '1.2.3.4')).toBe('+OK\r\n');
    expect(sent(h, 'config', 'set', 'announce-port', '65535')).toBe('+OK\r\n');
    expect(sent(h, 'config', 'set', 'announce-hostnames', 'YES')).toBe('+OK\r\n');
    expect(sent(h, 'config', 'set', 'resolve-hostnames', 'yes')).toBe('+OK\r\n');
    expect(sent(h, 'config', 'get', 'announce-*')).toBe(
      '*6\r\n$18\r\nannounce-hostnames\r\n$3\r\nyes\r\n$11\r\nannounce-ip\r\n$7\r\n1.2.3.4\r\n$13\r\nannounce-port\r\n$5\r\n65535\r\n',
    );
    expect(h.saved).toHaveLength(4);
    expect(h.saved[3]).toMatchObject({ announceIp: '1.2.3.4', announcePort: 65535, announceHostnames: true, resolveHostnames: true });
    expect(logs(h).filter((l) => l === SAVED)).toHaveLength(4);
  });

  it('SET announce-ip "" keeps an empty value set', () => {
    const h = new CoreHarness();
    expect(sent(h, 'config', 'set', 'announce-ip', '')).toBe('+OK\r\n');
    expect(h.saved[0].announceIp).toBe('');
  });

  it('SET sentinel-user / sentinel-pass flushes, then drops the links to peers; empty unsets', () => {
    const h = withPeers([PEER_ID]);
    h.advance(100);
    h.connectAll();
    const before = h.actions.length;
    expect(sent(h, 'config', 'set', 'sentinel-pass', 'p')).toBe('+OK\r\n');
    const after = h.actions.slice(before).map((a) => a.kind);
    expect(after).toEqual(['log', 'close']);
    expect(sent(h, 'config', 'get', 'sentinel-*')).toBe('*4\r\n$13\r\nsentinel-user\r\n$0\r\n\r\n$13\r\nsentinel-pass\r\n$1\r\np\r\n');
    run(h, 'config', 'set', 'sentinel-pass', '');
    expect(h.state.settings.sentinelPass).toBeNull();
  });

  it('SET answers the flush error when the config cannot be saved', () => {
    const disk = { error: 'Is a directory' as string | null };
    const { h, take } = coreWithDisk(disk);
    expect(wire(h.sentinelCommand(['config', 'set', 'announce-port', '0'], env))).toBe(FLUSH_FAILED);
    expect(take()).toEqual(['WARNING: Sentinel was not able to save the new configuration on disk!!!: Is a directory']);
  });
});

describe('SENTINEL MONITOR', () => {
  it('checks quorum, port, quorum range, address, name, in that order', () => {
    const h = new CoreHarness();
    const cases: Array<[string[], string]> = [
      [['m2', '127.0.0.1', '1', 'x'], 'Invalid quorum'],
      [['m2', '127.0.0.1', 'x', '1'], 'Invalid port'],
      [['m2', '127.0.0.1', 'x', 'y'], 'Invalid quorum'],
      [['m2', '127.0.0.1', '01', '1'], 'Invalid port'],
      [['m2', '127.0.0.1', '1', ' 1'], 'Invalid quorum'],
      [['m2', '127.0.0.1', '99999999999999999999', '1'], 'Invalid port'],
      [['m2', '127.0.0.1', '1', '99999999999999999999'], 'Invalid quorum'],
      [['m2', '127.0.0.1', '1', '0'], 'Quorum must be 1 or greater.'],
      [['m2', '127.0.0.1', '1', '-1'], 'Quorum must be 1 or greater.'],
      [['m2', 'foo.invalid', '1', '1'], 'Invalid IP address or hostname specified'],
      [['m2', 'localhost', '1', '1'], 'Invalid IP address or hostname specified'],
      [['mymaster', '127.0.0.1', '1', '1'], 'Duplicate master name.'],
      [['m2', '127.0.0.1', '70000', '1'], 'Invalid port number.'],
      [['m2', '127.0.0.1', '-5', '1'], 'Invalid port number.'],
    ];
    for (const [args, message] of cases) expect(sent(h, 'monitor', ...args)).toBe(`-ERR ${message}\r\n`);
    expect(h.saved).toHaveLength(0);
    expect(h.events).toHaveLength(0);
  });

  it('creates the master, flushes, replies, then emits +monitor', () => {
    const h = new CoreHarness();
    const before = h.actions.length;
    expect(sent(h, 'monitor', 'm2', '::1', '0', '3')).toBe('+OK\r\n');
    expect(timeline(h.actions.slice(before))).toEqual([SAVED, '+monitor master m2 ::1 0 quorum 3']);
    expect(h.saved).toHaveLength(1);
    expect(mapValue(run(h, 'master', 'm2'), 'quorum')).toBe('3');
    expect(sent(h, 'monitor', 'm2', '127.0.0.1', '6999', '3')).toBe('-ERR Duplicate master name.\r\n');
  });

  it('keeps the quorum in 32 bits, as Redis does, after checking it on 64', () => {
    const h = new CoreHarness();
    expect(sent(h, 'monitor', 'q1', '127.0.0.1', '7001', '4294967297')).toBe('+OK\r\n');
    expect(h.eventLines()).toContain('+monitor master q1 127.0.0.1 7001 quorum 1');
    expect(sent(h, 'monitor', 'q0', '127.0.0.1', '7002', '4294967296')).toBe('+OK\r\n');
    expect(mapValue(run(h, 'master', 'q0'), 'quorum')).toBe('0');
    expect(sent(h, 'ckquorum', 'q0')).toBe('+OK 1 usable Sentinels. Quorum and failover authorization can be reached\r\n');
  });

  it('accepts a hostname when resolve-hostnames is on and it resolves', () => {
    const disk = { error: null };
    const { h } = coreWithDisk(disk, (host) => (host === 'db.example' ? '10.0.0.5' : null));
    expect(wire(h.sentinelCommand(['monitor', 'm2', 'db.example', '6379', '1'], env))).toBe(
      '-ERR Invalid IP address or hostname specified\r\n',
    );
    h.state.settings.resolveHostnames = true;
    expect(wire(h.sentinelCommand(['monitor', 'm2', 'db.example', '6379', '1'], env))).toBe('+OK\r\n');
    expect(h.state.masters.get('m2')?.addr).toEqual({ hostname: 'db.example', ip: '10.0.0.5', port: 6379 });
  });

  it('accepts any name, the empty one included', () => {
    const h = new CoreHarness();
    expect(sent(h, 'monitor', '', '127.0.0.1', '7003', '1')).toBe('+OK\r\n');
    expect(h.eventLines()).toContain('+monitor master  127.0.0.1 7003 quorum 1');
  });

  it('still monitors the master when the flush fails, and says so', () => {
    const disk = { error: 'Is a directory' as string | null };
    const { h, take } = coreWithDisk(disk);
    expect(wire(h.sentinelCommand(['monitor', 'm9', '127.0.0.1', '7000', '1'], env))).toBe(FLUSH_FAILED);
    expect(take()).toEqual([
      'WARNING: Sentinel was not able to save the new configuration on disk!!!: Is a directory',
      '+monitor master m9 127.0.0.1 7000 quorum 1',
    ]);
    expect(h.state.masters.has('m9')).toBe(true);
  });
});

describe('SENTINEL REMOVE', () => {
  it('emits -monitor, forgets the master with its replicas and peers, then flushes', () => {
    const h = withPeers([PEER_ID]);
    h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6380 }));
    const before = h.actions.length;
    expect(sent(h, 'remove', 'mymaster')).toBe('+OK\r\n');
    expect(timeline(h.actions.slice(before))).toEqual([`-monitor ${MASTER_DESC}`, SAVED]);
    expect(h.state.masters.size).toBe(0);
    expect(h.saved[0].masters).toEqual([]);
    expect(sent(h, 'remove', 'mymaster')).toBe(NO_SUCH_MASTER);
  });

  it('answers the flush error, the master being removed anyway', () => {
    const { h, take } = coreWithDisk({ error: 'Is a directory' });
    expect(wire(h.sentinelCommand(['remove', 'mymaster'], env))).toBe(FLUSH_FAILED);
    expect(take()).toEqual([
      `-monitor ${MASTER_DESC}`,
      'WARNING: Sentinel was not able to save the new configuration on disk!!!: Is a directory',
    ]);
    expect(h.state.masters.size).toBe(0);
  });
});

describe('SENTINEL SET', () => {
  it('applies each numeric option with a +set event as typed, and flushes once', () => {
    const h = new CoreHarness();
    expect(
      sent(h, 'set', 'mymaster', 'QUORUM', '3', 'down-after-milliseconds', '2000', 'failover-timeout', '9000',
        'parallel-syncs', '2', 'master-reboot-down-after-period', '0'),
    ).toBe('+OK\r\n');
    expect(h.eventLines()).toEqual([
      `+set ${MASTER_DESC} QUORUM 3`,
      `+set ${MASTER_DESC} down-after-milliseconds 2000`,
      `+set ${MASTER_DESC} failover-timeout 9000`,
      `+set ${MASTER_DESC} parallel-syncs 2`,
      `+set ${MASTER_DESC} master-reboot-down-after-period 0`,
    ]);
    expect(h.saved).toHaveLength(1);
    expect(h.saved[0].masters[0]).toMatchObject({
      quorum: 3,
      downAfterMs: 2000,
      failoverTimeoutMs: 9000,
      parallelSyncs: 2,
      masterRebootDownAfterPeriodMs: 0,
    });
  });

  it('copies down-after-milliseconds to the replicas and peers', () => {
    const h = withPeers([PEER_ID]);
    const r = h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6380 }));
    run(h, 'set', 'mymaster', 'down-after-milliseconds', '1234');
    expect(r?.downAfterMs).toBe(1234);
    expect([...h.master.sentinels.values()][0].downAfterMs).toBe(1234);
  });

  it('refuses values that are not strict integers in range', () => {
    const h = new CoreHarness();
    const cases: Array<[string, string]> = [
      ['quorum', '0'],
      ['quorum', 'x'],
      ['quorum', '-1'],
      ['quorum', '01'],
      ['quorum', '+1'],
      ['quorum', '99999999999999999999'],
      ['down-after-milliseconds', '0'],
      ['failover-timeout', '0'],
      ['parallel-syncs', '0'],
      ['master-reboot-down-after-period', '-1'],
    ];
    for (const [option, value] of cases) {
      expect(sent(h, 'set', 'mymaster', option, value)).toBe(
        `-ERR Invalid argument '${value}' for SENTINEL SET '${option}'\r\n`,
      );
    }
    expect(h.saved).toHaveLength(0);
    expect(h.events).toHaveLength(0);
  });

  it('wraps quorum and parallel-syncs to 32 bits as Redis stores them', () => {
    const h = new CoreHarness();
    run(h, 'set', 'mymaster', 'quorum', '4294967298', 'parallel-syncs', '2147483648');
    expect(h.eventLines()).toEqual([
      `+set ${MASTER_DESC} quorum 4294967298`,
      `+set ${MASTER_DESC} parallel-syncs 2147483648`,
    ]);
    const master = run(h, 'master', 'mymaster');
    expect(mapValue(master, 'quorum')).toBe('2');
    expect(mapValue(master, 'parallel-syncs')).toBe('-2147483648');
  });

  it('refuses unknown options and missing values', () => {
    const h = new CoreHarness();
    expect(sent(h, 'set', 'nosuch', 'quorum', '1')).toBe(NO_SUCH_MASTER);
    expect(sent(h, 'set', 'mymaster', 'foo', 'bar')).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL SET 'foo'\r\n",
    );
    expect(sent(h, 'set', 'mymaster', 'rename-command', 'CONFIG')).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL SET 'rename-command'\r\n",
    );
    expect(h.saved).toHaveLength(0);
  });

  it('stops at the first error, keeps and flushes what was applied, and answers the error', () => {
    const h = new CoreHarness();
    expect(sent(h, 'set', 'mymaster', 'quorum', '1', 'foo', 'bar')).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL SET 'foo'\r\n",
    );
    expect(sent(h, 'set', 'mymaster', 'quorum', '4', 'quorum')).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL SET 'quorum'\r\n",
    );
    expect(sent(h, 'set', 'mymaster', 'quorum', '5', 'quorum', 'x', 'quorum', '6')).toBe(
      "-ERR Invalid argument 'x' for SENTINEL SET 'quorum'\r\n",
    );
    expect(sent(h, 'set', 'mymaster', 'rename-command', 'a', 'b', 'quorum')).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL SET 'quorum'\r\n",
    );
    expect(h.eventLines()).toEqual([
      `+set ${MASTER_DESC} quorum 1`,
      `+set ${MASTER_DESC} quorum 4`,
      `+set ${MASTER_DESC} quorum 5`,
      `+set ${MASTER_DESC} rename-command a b`,
    ]);
    expect(h.saved.map((c) => c.masters[0].quorum)).toEqual([1, 4, 5, 5]);
    expect(h.master.quorum).toBe(5);
  });

  it('answers the flush error on success, but the option error after a partial change', () => {
    const disk = { error: 'Is a directory' as string | null };
    const { h, take } = coreWithDisk(disk);
    expect(wire(h.sentinelCommand(['set', 'mymaster', 'quorum', '2'], env))).toBe(FLUSH_FAILED);
    expect(wire(h.sentinelCommand(['set', 'mymaster', 'quorum', '2', 'foo', 'x'], env))).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL SET 'foo'\r\n",
    );
    const warning = 'WARNING: Sentinel was not able to save the new configuration on disk!!!: Is a directory';
    expect(take()).toEqual([`+set ${MASTER_DESC} quorum 2`, warning, `+set ${MASTER_DESC} quorum 2`, warning]);
    // Nothing applied: no flush is attempted.
    expect(wire(h.sentinelCommand(['set', 'mymaster', 'foo', 'x'], env))).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL SET 'foo'\r\n",
    );
    expect(take()).toEqual([]);
  });

  it('hides the value of auth-pass in its event, and reconnects the master and replicas', () => {
    const h = new CoreHarness();
    h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6380 }));
    h.advance(100);
    h.connectAll();
    const before = h.actions.length;
    expect(sent(h, 'set', 'mymaster', 'AUTH-PASS', 'secret', 'auth-user', 'a b')).toBe('+OK\r\n');
    expect(h.eventLines()).toEqual([`+set ${MASTER_DESC} AUTH-PASS ******`, `+set ${MASTER_DESC} auth-user a b`]);
    expect(h.master.authPass).toBe('secret');
    expect(h.master.authUser).toBe('a b');
    // Two connections each for the master and the replica, dropped on the first option.
    expect(h.actions.slice(before).filter((a) => a.kind === 'close')).toHaveLength(4);

    run(h, 'set', 'mymaster', 'auth-pass', '', 'auth-user', '');
    expect(h.eventLines().slice(2)).toEqual([`+set ${MASTER_DESC} auth-pass ******`, `+set ${MASTER_DESC} auth-user `]);
    expect(h.master.authPass).toBeNull();
    expect(h.master.authUser).toBeNull();
  });

  it('rename-command maps a command, replaces its mapping in any case, and a rename to itself undoes it', () => {
    const h = new CoreHarness();
    expect(sent(h, 'set', 'mymaster', 'rename-command', 'CONFIG', 'xconfig')).toBe('+OK\r\n');
    expect(renamed(h.master, 'config')).toBe('xconfig');
    run(h, 'set', 'mymaster', 'rename-command', 'config', 'yconfig');
    expect(h.saved.at(-1)?.masters[0].renamedCommands).toEqual([['config', 'yconfig']]);
    run(h, 'set', 'mymaster', 'rename-command', 'Config', 'CONFIG');
    expect(renamed(h.master, 'CONFIG')).toBe('CONFIG');
    expect(h.saved.at(-1)?.masters[0].renamedCommands).toEqual([]);
    expect(h.eventLines()).toEqual([
      `+set ${MASTER_DESC} rename-command CONFIG xconfig`,
      `+set ${MASTER_DESC} rename-command config yconfig`,
      `+set ${MASTER_DESC} rename-command Config CONFIG`,
    ]);
  });

  it('rename-command refuses an empty name on either side', () => {
    const h = new CoreHarness();
    const invalid = "-ERR Invalid argument '' for SENTINEL SET 'rename-command'\r\n";
    expect(sent(h, 'set', 'mymaster', 'rename-command', '', 'x')).toBe(invalid);
    expect(sent(h, 'set', 'mymaster', 'rename-command', 'x', '')).toBe(invalid);
    expect(h.master.renamedCommands.size).toBe(0);
  });

  it('refuses script paths while deny-scripts-reconfig is on (the default)', () => {
    const h = new CoreHarness();
    const denied =
      '-ERR Reconfiguration of scripts path is denied for security reasons. ' +
      'Check the deny-scripts-reconfig configuration directive in your Sentinel configuration\r\n';
    expect(sent(h, 'set', 'mymaster', 'notification-script', SCRIPT)).toBe(denied);
    expect(sent(h, 'set', 'mymaster', 'client-reconfig-script', '')).toBe(denied);
  });

  it('sets, checks and clears script paths when allowed', () => {
    const h = new CoreHarness((c) => {
      c.denyScriptsReconfig = false;
    });
    expect(sent(h, 'set', 'mymaster', 'notification-script', '/nonexistent')).toBe(
      '-ERR Notification script seems non existing or non executable\r\n',
    );
    expect(sent(h, 'set', 'mymaster', 'CLIENT-RECONFIG-SCRIPT', '/etc/passwd')).toBe(
      '-ERR Client reconfiguration script seems non existing or non executable\r\n',
    );
    expect(sent(h, 'set', 'mymaster', 'notification-script', SCRIPT, 'client-reconfig-script', SCRIPT)).toBe('+OK\r\n');
    const master = run(h, 'master', 'mymaster');
    expect(mapKeys(master).slice(-2)).toEqual(['notification-script', 'client-reconfig-script']);
    expect(mapValue(master, 'notification-script')).toBe(SCRIPT);
    run(h, 'set', 'mymaster', 'notification-script', '', 'client-reconfig-script', '');
    expect(mapKeys(run(h, 'master', 'mymaster'))).toHaveLength(20);
    expect(h.eventLines()).toEqual([
      `+set ${MASTER_DESC} notification-script ${SCRIPT}`,
      `+set ${MASTER_DESC} client-reconfig-script ${SCRIPT}`,
      `+set ${MASTER_DESC} notification-script `,
      `+set ${MASTER_DESC} client-reconfig-script `,
    ]);
  });
});

describe('SENTINEL RESET', () => {
  it('resets the masters whose name matches, case-sensitively, and counts them', () => {
    const h = new CoreHarness();
    run(h, 'monitor', 'q1', '127.0.0.1', '7001', '1');
    run(h, 'monitor', '', '127.0.0.1', '7003', '1');
    h.events.length = 0;
    const saves = h.saved.length;
    expect(sent(h, 'reset', 'nomatch')).toBe(':0\r\n');
    expect(sent(h, 'reset', 'MY*')).toBe(':0\r\n');
    expect(sent(h, 'reset', 'my*')).toBe(':1\r\n');
    expect(h.eventLines()).toEqual([`+reset-master ${MASTER_DESC}`]);
    // `*` needs a byte: the master with the empty name only matches the empty pattern.
    expect(sent(h, 'reset', '*')).toBe(':2\r\n');
    expect(sent(h, 'reset', '')).toBe(':1\r\n');
    expect(h.saved).toHaveLength(saves);
  });

  it('forgets replicas and peers, and clears SDOWN without a -sdown event', () => {
    const h = withPeers([PEER_ID]);
    h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6380 }));
    h.master.flags.sdown = true;
    run(h, 'reset', 'mymaster');
    expect(sent(h, 'replicas', 'mymaster')).toBe('*0\r\n');
    expect(sent(h, 'sentinels', 'mymaster')).toBe('*0\r\n');
    expect(mapValue(run(h, 'master', 'mymaster'), 'flags')).toBe('master,disconnected');
    expect(h.eventLines()).toEqual([`+reset-master ${MASTER_DESC}`]);
  });
});

describe('SENTINEL FLUSHCONFIG and PENDING-SCRIPTS', () => {
  it('FLUSHCONFIG saves the config', () => {
    const h = new CoreHarness();
    expect(sent(h, 'flushconfig')).toBe('+OK\r\n');
    expect(h.saved).toHaveLength(1);
    expect(logs(h)).toEqual([SAVED]);
  });

  it('FLUSHCONFIG answers the failure and logs its cause', () => {
    const { h, take } = coreWithDisk({ error: 'Is a directory' });
    expect(wire(h.sentinelCommand(['flushconfig'], env))).toBe(FLUSH_FAILED);
    expect(take()).toEqual(['WARNING: Sentinel was not able to save the new configuration on disk!!!: Is a directory']);
  });

  it('PENDING-SCRIPTS is an empty array when no script is queued', () => {
    expect(sent(new CoreHarness(), 'pending-scripts')).toBe('*0\r\n');
  });
});

describe('SENTINEL DEBUG', () => {
  const DEFAULTS =
    '*26\r\n$11\r\nINFO-PERIOD\r\n$5\r\n10000\r\n$11\r\nPING-PERIOD\r\n$4\r\n1000\r\n$10\r\nASK-PERIOD\r\n$4\r\n1000\r\n' +
    '$14\r\nPUBLISH-PERIOD\r\n$4\r\n2000\r\n$18\r\nDEFAULT-DOWN-AFTER\r\n$5\r\n30000\r\n' +
    '$24\r\nDEFAULT-FAILOVER-TIMEOUT\r\n$6\r\n180000\r\n$12\r\nTILT-TRIGGER\r\n$4\r\n2000\r\n' +
    '$11\r\nTILT-PERIOD\r\n$5\r\n30000\r\n$20\r\nSLAVE-RECONF-TIMEOUT\r\n$5\r\n10000\r\n' +
    '$25\r\nMIN-LINK-RECONNECT-PERIOD\r\n$5\r\n15000\r\n$16\r\nELECTION-TIMEOUT\r\n$5\r\n10000\r\n' +
    '$18\r\nSCRIPT-MAX-RUNTIME\r\n$5\r\n60000\r\n$18\r\nSCRIPT-RETRY-DELAY\r\n$5\r\n30000\r\n';

  it('lists the 13 timing parameters, upper-cased, with their values', () => {
    const reply = run(new CoreHarness(), 'debug');
    expect(wire(reply, 2)).toBe(DEFAULTS);
    expect(wire(reply, 3)).toBe(`%13${DEFAULTS.slice(3)}`);
  });

  it('sets parameters named in any case, one pair at a time', () => {
    const h = new CoreHarness();
    expect(sent(h, 'debug', 'INFO-PERIOD', '5000', 'ping-period', '9999999999')).toBe('+OK\r\n');
    expect(h.state.timings.infoPeriod).toBe(5000);
    expect(h.state.timings.pingPeriod).toBe(9999999999);
    expect(h.saved).toHaveLength(0);
  });

  it('stops at the first bad pair, keeping the pairs before it', () => {
    const h = new CoreHarness();
    expect(sent(h, 'debug', 'ping-period', '500', 'ask-period', 'x')).toBe(
      "-ERR Invalid argument 'x' for SENTINEL DEBUG 'ask-period'\r\n",
    );
    expect(h.state.timings.pingPeriod).toBe(500);
    expect(sent(h, 'debug', 'info-period', '7000', 'Ping-Period')).toBe(
      "-ERR Unknown option or number of arguments for SENTINEL DEBUG 'Ping-Period'\r\n",
    );
    expect(h.state.timings.infoPeriod).toBe(7000);
  });

  it('refuses unknown parameters and values that are not positive integers', () => {
    const h = new CoreHarness();
    expect(sent(h, 'debug', 'foo', '1')).toBe("-ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'\r\n");
    expect(sent(h, 'debug', 'foo')).toBe("-ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'\r\n");
    for (const value of ['0', '-1', 'x', '01', '99999999999999999999']) {
      expect(sent(h, 'debug', 'info-period', value)).toBe(
        `-ERR Invalid argument '${value}' for SENTINEL DEBUG 'info-period'\r\n`,
      );
    }
    expect(h.state.timings.infoPeriod).toBe(10000);
  });
});

describe('SENTINEL IS-MASTER-DOWN-BY-ADDR', () => {
  const NOT_DOWN_NO_VOTE = '*3\r\n:0\r\n$1\r\n*\r\n:0\r\n';

  it('answers "not down, no vote" for an up master, an unknown address or a hostname', () => {
    const h = new CoreHarness();
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '0', '*')).toBe(NOT_DOWN_NO_VOTE);
    expect(wire(run(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '0', '*'), 3)).toBe(NOT_DOWN_NO_VOTE);
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '1', '5', 'abc')).toBe(NOT_DOWN_NO_VOTE);
    expect(sent(h, 'is-master-down-by-addr', 'nosuch', '6379', '0', '*')).toBe(NOT_DOWN_NO_VOTE);
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '4294967296', '0', '*')).toBe(NOT_DOWN_NO_VOTE);
  });

  it('refuses a port or epoch that is not an integer', () => {
    const h = new CoreHarness();
    const bad = '-ERR value is not an integer or out of range\r\n';
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', 'x', '0', '*')).toBe(bad);
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '1', 'x', '*')).toBe(bad);
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '99999999999999999999', '0', '*')).toBe(bad);
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '1', '99999999999999999999', '*')).toBe(bad);
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '01', '*')).toBe(bad);
  });

  it('says 1 while the master is SDOWN, 0 in TILT', () => {
    const h = new CoreHarness();
    h.master.flags.sdown = true;
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '0', '*')).toBe('*3\r\n:1\r\n$1\r\n*\r\n:0\r\n');
    h.state.tilt = true;
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '0', '*')).toBe(NOT_DOWN_NO_VOTE);
  });

  it('votes once per epoch, for the first asker, raising the current epoch', () => {
    const h = new CoreHarness();
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '3', 'abc')).toBe('*3\r\n:0\r\n$3\r\nabc\r\n:3\r\n');
    expect(timeline(h.actions)).toEqual([SAVED, '+new-epoch 3', SAVED, '+vote-for-leader abc 3']);
    expect(h.saved).toHaveLength(2);
    expect(h.saved[1]).toMatchObject({ currentEpoch: 3n });
    expect(h.saved[1].masters[0].leaderEpoch).toBe(3n);

    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '3', 'def')).toBe('*3\r\n:0\r\n$3\r\nabc\r\n:3\r\n');
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '2', 'def')).toBe('*3\r\n:0\r\n$3\r\nabc\r\n:3\r\n');
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '4', '*')).toBe(NOT_DOWN_NO_VOTE);
    expect(h.saved).toHaveLength(2);
  });

  it('votes even in TILT and when the master is up', () => {
    const h = new CoreHarness();
    h.state.tilt = true;
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '1', 'ABCDEF')).toBe(
      '*3\r\n:0\r\n$6\r\nABCDEF\r\n:1\r\n',
    );
  });

  it('answers "*" with the epoch of its vote once the vote was forgotten by a reset', () => {
    const h = new CoreHarness();
    run(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '6', 'X');
    run(h, 'reset', 'mymaster');
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '6', 'Y')).toBe('*3\r\n:0\r\n$1\r\n*\r\n:6\r\n');
  });
});

describe('SENTINEL SIMULATE-FAILURE', () => {
  const ELECTION = 'Failure simulation: this Sentinel will crash after being successfully elected as failover leader';
  const PROMOTION = 'Failure simulation: this Sentinel will crash after promoting the selected replica to master';
  const HELP = '*2\r\n$20\r\ncrash-after-election\r\n$21\r\ncrash-after-promotion\r\n';

  it('sets the named flags and logs each one', () => {
    const h = new CoreHarness();
    expect(sent(h, 'simulate-failure', 'crash-after-election', 'CRASH-AFTER-PROMOTION')).toBe('+OK\r\n');
    expect(h.state.simFailureFlags).toBe(3);
    expect(logs(h)).toEqual([ELECTION, PROMOTION]);
  });

  it('answers help at once, keeping the flags named before it', () => {
    const h = new CoreHarness();
    h.state.simFailureFlags = 1;
    expect(sent(h, 'simulate-failure', 'HELP')).toBe(HELP);
    expect(h.state.simFailureFlags).toBe(0);
    expect(sent(h, 'simulate-failure', 'crash-after-promotion', 'help', 'crash-after-election')).toBe(HELP);
    expect(h.state.simFailureFlags).toBe(2);
    expect(logs(h)).toEqual([PROMOTION]);
  });

  it('refuses an unknown flag after resetting the flags', () => {
    const h = new CoreHarness();
    expect(sent(h, 'simulate-failure', 'crash-after-election', 'foo')).toBe(
      '-ERR Unknown failure simulation specified\r\n',
    );
    expect(h.state.simFailureFlags).toBe(1);
    expect(sent(h, 'simulate-failure', 'foo')).toBe('-ERR Unknown failure simulation specified\r\n');
    expect(h.state.simFailureFlags).toBe(0);
  });
});

describe('INFO sentinel section', () => {
  it('reports TILT, the script queue, the simulated failures and each master', () => {
    const h = withPeers([PEER_ID]);
    h.command((cx) => createReplica(cx, h.master, { hostname: '127.0.0.1', ip: '127.0.0.1', port: 6380 }));
    h.master.flags.sdown = true;
    h.master.flags.odown = true;
    h.state.tilt = true;
    h.state.tiltStartTime = h.now - 2_999;
    run(h, 'simulate-failure', 'crash-after-promotion');
    expect(sentinelSection(h.command(sentinelInfo))).toBe(
      '# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:1\r\nsentinel_tilt_since_seconds:2\r\n' +
        'sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:2\r\n' +
        'master0:name=mymaster,status=odown,address=127.0.0.1:6379,slaves=1,sentinels=2\r\n',
    );
  });
});
