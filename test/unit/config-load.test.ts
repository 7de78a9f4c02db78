import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argvToConfigText } from '../../src/config/argv.js';
import { assembleConfigText, ConfigError, ConfigOpenError, parseConfig, type ParseConfigOptions } from '../../src/config/load.js';

/** Options that touch nothing on disk. */
const PURE: ParseConfigOptions = {
  cwd: '/work',
  chdir: () => null,
  isExecutable: () => true,
  checkLogfile: () => null,
  readInclude: () => [],
};

function load(text: string, opts: ParseConfigOptions = {}) {
  return parseConfig(text, { ...PURE, ...opts });
}

/** The fatal error a text produces, as [line, line text, reason]. */
function fatal(text: string, opts: ParseConfigOptions = {}): [number, string, string] {
  try {
    load(text, opts);
  } catch (err) {
    if (err instanceof ConfigError) return [err.line, err.lineText, err.reason];
    throw err;
  }
  throw new Error('expected a fatal config error');
}

const M = 'sentinel monitor m 127.0.0.1 6379 2\n';

describe('ConfigError.formatFatal', () => {
  it('prints the exact stderr block of redis-server', () => {
    let error: ConfigError | undefined;
    try {
      load('port 0\nfoo bar\n');
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.formatFatal()).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n",
    );
  });

  it('omits the line part for an error after the last line (log file)', () => {
    try {
      load('logfile /nope/x.log\n', { checkLogfile: () => 'No such file or directory' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).formatFatal()).toBe(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n",
      );
    }
  });
});

describe('line syntax', () => {
  it('tokenises quotes and escapes like sdssplitargs', () => {
    const { server } = load(
      [
        'requirepass "a\\x41b\\qc\\n\\x4"',
        "masterauth 'x\\'y\\nz'",
        'syslog-ident a"b c"',
        '\tpidfile\t  "/tmp/p id"  \r',
        'logfile ""',
        '# a comment',
        '   ',
      ].join('\n'),
    );
    expect(server.requirepass).toBe('aAbqc\nx4');
    expect(server.other.get('masterauth')).toEqual(["x'y\\nz"]);
    expect(server.syslogIdent).toBe('ab c');
    expect(server.pidfile).toBe('/tmp/p id');
    expect(server.logfile).toBe('');
  });

  it('rejects unbalanced quotes and text glued to a closing quote', () => {
    expect(fatal('port 1\nsentinel "foo\n')).toEqual([2, 'sentinel "foo', 'Unbalanced quotes in configuration line']);
    expect(fatal('port "1"x')).toEqual([1, 'port "1"x', 'Unbalanced quotes in configuration line']);
    expect(fatal("logfile 'abc")).toEqual([1, "logfile 'abc", 'Unbalanced quotes in configuration line']);
    expect(fatal('syslog-ident a"b c"d')).toEqual([1, 'syslog-ident a"b c"d', 'Unbalanced quotes in configuration line']);
  });

  it('reports the trimmed line text', () => {
    expect(fatal('\n\t  foo bar  \r\n')).toEqual([2, 'foo bar', 'Bad directive or wrong number of arguments']);
  });

  it('lowercases the directive name', () => {
    expect(load('PORT 1234\nLogLevel warning\n').server).toMatchObject({ port: 1234, loglevel: 'warning' });
  });
});

describe('line numbers', () => {
  it('counts command-line options after the file and an extra newline', () => {
    const opts = argvToConfigText(['/x/s.conf', '--port', 'abc'], '/x').text;
    expect(fatal(assembleConfigText('port 0\n', null, opts))).toEqual([3, 'port "abc"', "argument couldn't be parsed into an integer"]);
    expect(fatal(assembleConfigText('port 0', null, opts))[0]).toBe(2);
    const two = argvToConfigText(['/x/s.conf', '--sentinel', '--loglevel', 'x'], '/x').text;
    expect(fatal(assembleConfigText('port 0\n', null, two))).toEqual([
      4,
      'loglevel "x"',
      'argument(s) must be one of the following: debug, verbose, notice, warning',
    ]);
  });

  it('glues stdin to a file without a final newline', () => {
    expect(fatal(assembleConfigText('port 0', 'foo\n', ''))).toEqual([1, 'port 0foo', "argument couldn't be parsed into an integer"]);
  });

  it('numbers the lines of an included file on their own', () => {
    const readInclude = () => ['port 0\nbogus1\n'];
    expect(fatal('port 0\n\ninclude other.conf\n', { readInclude })).toEqual([2, 'bogus1', 'Bad directive or wrong number of arguments']);
    const sentinelInclude = () => [`${M}sentinel parallel-syncs x 1\n`];
    expect(fatal('\n\n\ninclude a.conf\n', { readInclude: sentinelInclude })).toEqual([
      2,
      'sentinel parallel-syncs x 1',
      'No such master with specified name.',
    ]);
  });

  it('applies the options later than the file, so they win', () => {
    const text = assembleConfigText('port 1\n', null, argvToConfigText(['/x/s.conf', '--port', '2'], '/x').text);
    expect(load(text).server.port).toBe(2);
  });
});

describe('non-sentinel directive errors', () => {
  const cases: Array<[string, string]> = [
    ['foo bar', 'Bad directive or wrong number of arguments'],
    ['port 1 2', 'wrong number of arguments'],
    ['port', 'wrong number of arguments'],
    ['port 99999', 'argument must be between 0 and 65535 inclusive'],
    ['port abc', "argument couldn't be parsed into an integer"],
    ['port 010', "argument couldn't be parsed into an integer"],
    ['loglevel loud', 'argument(s) must be one of the following: debug, verbose, notice, warning'],
    ['appendonly maybe', "argument must be 'yes' or 'no'"],
    ['maxmemory -1', 'argument must be a memory value'],
    ['maxmemory-clients 101%', 'percentage argument must be less or equal to 100'],
    ['maxmemory-clients x', 'argument must be a memory or percent value'],
    ['unixsocketperm 999', "argument couldn't be parsed as an octal number"],
    ['unixsocketperm 1000', 'argument must be between 0 and 777 inclusive'],
    ['maxclients 0', 'argument must be between 1 and 4294967295 inclusive'],
    ['maxclients -1', 'argument must be between 1 and 4294967295 inclusive'],
    ['slowlog-log-slower-than -2', 'argument must be between -1 and 9223372036854775807 inclusive'],
    ['io-threads 0', 'argument must be between 1 and 128 inclusive'],
    ['tls-auth-clients maybe', 'argument(s) must be one of the following: no, yes, optional'],
    ['activedefrag yes', 'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution'],
    ['proc-title-template "{title}"', 'template format is invalid or contains unknown variables'],
    ['proc-title-template "{bogus}"', 'template format is invalid or contains unknown variables'],
    ['bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17', 'Too many bind addresses specified.'],
    ['save 0', 'Invalid save parameters'],
    ['save 10', 'Invalid save parameters'],
    ['notify-keyspace-events Q', "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."],
    ['replicaof 1.2.3.4 x', 'Invalid master port'],
    ['slaveof 1.2.3.4', 'wrong number of arguments'],
    ['oom-score-adj-values 1 2', 'wrong number of arguments'],
    ['oom-score-adj-values 1 2 x', 'Invalid oom-score-adj-values, elements must be between -2000 and 2000.'],
    ['latency-tracking-info-percentiles 101', 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]'],
    ['latency-tracking-info-percentiles abc', 'Invalid latency-tracking-info-percentiles parameters'],
    ['dbfilename a/b', "dbfilename can't be a path, just a filename"],
    ['appendfilename ""', "appendfilename can't be empty"],
    ['client-output-buffer-limit master 0 0 0', 'Invalid client class specified in buffer limit configuration.'],
    ['client-output-buffer-limit normal 0 0', 'Wrong number of arguments in buffer limit configuration.'],
    ['client-output-buffer-limit normal 0 x 0', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'],
    ['shutdown-on-sigint save nosave', "shutdown options SAVE and NOSAVE can't be used simultaneously"],
    ['cluster-announce-hostname a_b', 'Hostnames may only contain alphanumeric characters, hyphens or dots'],
    ['rename-command get foo', 'No such command in rename-command'],
    ['rename-command PING info', 'Target command name already exists'],
    ['user', 'Bad directive or wrong number of arguments'],
    ['foo.bar', 'Module config specified without value'],
    ['list-max-ziplist-entries 1 2', 'Bad directive or wrong number of arguments'],
    ['include', 'Bad directive or wrong number of arguments'],
  ];
  for (const [line, reason] of cases) {
    it(`${line} -> ${reason}`, () => {
      expect(fatal(`# first\n${line}\n`)).toEqual([2, line, reason]);
    });
  }

  it('rejects renaming a command that was renamed away already', () => {
    expect(fatal('rename-command PING ""\nrename-command ping foo\n')).toEqual([2, 'rename-command ping foo', 'No such command in rename-command']);
  });

  it('rejects a user defined twice', () => {
    expect(fatal('user a on\nuser a off\n')).toEqual([
      2,
      'user a off',
      "Error in user declaration 'a': Duplicate user found. A user can only be defined once in config files",
    ]);
  });

  it("names the rule's token the way Redis does (off by two: rule 0 shows as 'user')", () => {
    const validateUserRules = (rules: string[]) => {
      const index = rules.indexOf('bogus');
      return index === -1 ? null : { index, message: 'Syntax error' };
    };
    expect(fatal('user alice bogus\n', { validateUserRules })[2]).toBe("Error in user declaration 'user': Syntax error");
    expect(fatal('user alice on bogus\n', { validateUserRules })[2]).toBe("Error in user declaration 'alice': Syntax error");
  });

  it("checks the rules with the ACL module by default, as redis-sentinel 7.0.15 does while loading", () => {
    expect(fatal('user alice on >pw ~* foo\n')[2]).toBe("Error in user declaration '>pw': Syntax error");
    expect(fatal('user default on &* resetchannels -@all +ping #\n')[2]).toBe(
      "Error in user declaration '-@all': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    );
    expect(fatal('user alice on <nopw\n')[2]).toBe("Error in user declaration 'alice': The password you are trying to remove from the user does not exist");
    expect(fatal('user alice on (~x\n')[2]).toBe("Error in user declaration 'alice': Unknown command or category name in ACL");
    // An empty rule does nothing, and is not kept.
    expect(load('user default on >pw ~* +@all ""\n', {}).server.users).toEqual([['default', 'on', '>pw', '~*', '+@all']]);
    // Unknown command and category names pass here; Redis refuses them later, when it creates the users.
    expect(() => load('user alice on +nosuchcmd +@nosuchcat\nuser bob on nopass ~* &* +@all\n', {})).not.toThrow();
  });

  it('checks dir for real by default', () => {
    const opts = { chdir: undefined };
    expect(fatal('dir ""\n', opts)).toEqual([1, 'dir ""', 'No such file or directory']);
    expect(fatal('dir /etc/hostname\n', opts)[2]).toBe('Not a directory');
    expect(load('dir /tmp\n', opts).server.dir).toBe('/tmp');
  });

  it('applies dir at once and reports the strerror text', () => {
    const chdir = (dir: string) => (dir === '/nonexistent' ? 'No such file or directory' : null);
    expect(fatal('dir /nonexistent\n', { chdir })).toEqual([1, 'dir /nonexistent', 'No such file or directory']);
  });

  it('checks the log file after the whole text, before any sentinel line', () => {
    const checkLogfile = (path: string) => (path === '/nonexistent/x.log' ? 'No such file or directory' : null);
    expect(fatal('logfile /nonexistent/x.log\nsentinel bogus\n', { checkLogfile })).toEqual([
      0,
      '',
      "Can't open the log file: No such file or directory",
    ]);
  });

  it('resolves relative paths against the configured dir', () => {
    const seen: string[] = [];
    load('dir /var/lib/s\nlogfile s.log\nsentinel monitor m 127.0.0.1 1 1\nsentinel notification-script m ./n.sh\n', {
      checkLogfile: (p) => {
        seen.push(p);
        return null;
      },
      isExecutable: (p) => {
        seen.push(p);
        return true;
      },
    });
    expect(seen).toEqual(['/var/lib/s/s.log', '/var/lib/s/n.sh']);
  });

  it('accepts the deprecated directives, module options and loadmodule without effect', () => {
    const { server } = load('list-max-ziplist-entries 5\nlua-replicate-commands yes\nfoo.bar 1\nloadmodule /x.so a b\nsentinel\n');
    expect(server.loadModules).toEqual([['/x.so', 'a', 'b']]);
    expect(server.other.size).toBe(0);
  });

  it('lets a wildcard include that matches nothing pass and fails on a missing plain file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-inc-'));
    try {
      writeFileSync(join(dir, 'a.conf'), 'port 1111\n');
      writeFileSync(join(dir, 'b.conf'), 'port 2222\n');
      const opts = { cwd: dir, readInclude: undefined };
      expect(load('include nomatch*.conf\n', opts).server.port).toBe(26379);
      expect(load('include ?.conf\n', opts).server.port).toBe(2222);
      expect(() => load('include missing.conf\n', opts)).toThrow(ConfigOpenError);
      expect(() => load('include missing.conf\n', opts)).toThrow("Fatal error, can't open config file 'missing.conf': No such file or directory");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('non-sentinel values', () => {
  it('starts from the sentinel defaults', () => {
    const { server } = load('');
    expect(server).toMatchObject({ port: 26379, protectedMode: false, bind: ['*', '-::*'], hz: 10, loglevel: 'notice', logfile: '', dir: '/work' });
  });

  it('reads the typed options', () => {
    const { server } = load(
      'port 26400\nbind "127.0.0.1 ::1"\nprotected-mode yes\nrequirepass ""\ndaemonize yes\npidfile /run/s.pid\nmaxclients 50\ntimeout 7\ntcp-keepalive 60\nunixsocketperm 700\ntls-port 26401\ntls-auth-clients optional\nshutdown-on-sigterm "nosave now"\nlatency-tracking-info-percentiles 1.5 99\n',
    );
    expect(server).toMatchObject({
      port: 26400,
      bind: ['127.0.0.1', '::1'],
      protectedMode: true,
      requirepass: null,
      daemonize: true,
      pidfile: '/run/s.pid',
      maxclients: 50,
      timeout: 7,
      tcpKeepalive: 60,
      unixsocketperm: 0o700,
      shutdownOnSigterm: ['nosave', 'now'],
      latencyTrackingInfoPercentiles: [1.5, 99],
    });
    expect(server.tls).toMatchObject({ port: 26401, authClients: 'optional' });
  });

  it('clamps hz to 1..500 after loading', () => {
    expect(load('hz 1000\n').server.hz).toBe(500);
    expect(load('hz 0\n').server.hz).toBe(1);
  });

  it('keeps other directives by canonical name, last one winning', () => {
    const { server } = load('slave-priority 50\nreplica-priority 60\nmaxmemory 1mb\nslaveof 10.0.0.1 6379\n');
    expect(server.other.get('replica-priority')).toEqual(['60']);
    expect(server.other.get('maxmemory')).toEqual(['1mb']);
    expect(server.other.get('replicaof')).toEqual(['10.0.0.1', '6379']);
    expect(server.other.has('slave-priority')).toBe(false);
  });

  it('merges client-output-buffer-limit lines per class', () => {
    const { server } = load('client-output-buffer-limit pubsub 1mb 0 0\nclient-output-buffer-limit normal 2kb 1kb 5\n');
    expect(server.other.get('client-output-buffer-limit')).toEqual(['normal', '2048', '1024', '5', 'replica', '268435456', '67108864', '60', 'pubsub', '1048576', '0', '0']);
  });

  it('records rename-command and user lines for the server and ACL modules', () => {
    const { server } = load('rename-command PING PONG\nrename-command info ""\nuser alice on >pw ~* +@all\n');
    expect(server.renamedCommands).toEqual([
      ['PING', 'PONG'],
      ['info', ''],
    ]);
    expect(server.users).toEqual([['alice', 'on', '>pw', '~*', '+@all']]);
  });

  it('warns about oom-score-adj-values out of order', () => {
    expect(load('oom-score-adj-values 0 300 200\n').warnings).toEqual([
      'The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.',
    ]);
  });
});

describe('sentinel directive errors', () => {
  const cases: Array<[string, string]> = [
    ['sentinel monitor m2 127.0.0.1 6379 0', 'Quorum must be 1 or greater.'],
    ['sentinel monitor m2 127.0.0.1 6379 x', 'Quorum must be 1 or greater.'],
    ['sentinel monitor m 127.0.0.1 6380 1', 'Duplicate master name.'],
    ['sentinel monitor m2 localhost 6379 1', "Can't resolve instance hostname."],
    ['sentinel monitor m2 ::1 70000 1', 'Invalid port number.'],
    ['sentinel monitor m2 127.0.0.1 -1 1', 'Invalid port number.'],
    ['sentinel myid abc', 'Malformed Sentinel id in myid option.'],
    ['sentinel down-after-milliseconds M 100', 'No such master with specified name.'],
    ['sentinel down-after-milliseconds m 0', 'negative or zero time parameter.'],
    ['sentinel down-after-milliseconds m 3000000000', 'negative or zero time parameter.'],
    ['sentinel failover-timeout m -5', 'negative or zero time parameter.'],
    ['sentinel master-reboot-down-after-period m -1', 'negative time parameter.'],
    ['sentinel deny-scripts-reconfig maybe', 'Please specify yes or no for the deny-scripts-reconfig options.'],
    ['sentinel resolve-hostnames 1', 'Please specify yes or no for the resolve-hostnames option.'],
    ['sentinel announce-hostnames 0', 'Please specify yes or no for the announce-hostnames option.'],
    ['sentinel MONITOR m2 127.0.0.1 6379 1 extra', 'Unrecognized sentinel configuration statement.'],
    ['sentinel bogus', 'Unrecognized sentinel configuration statement.'],
    ['sentinel known-sentinel m 127.0.0.1', 'Unrecognized sentinel configuration statement.'],
    ['sentinel known-replica m 127.1 6379', "Duplicate hostname and port for replica."],
    ['sentinel known-replica m nohost 6379', "Can't resolve instance hostname."],
    ['sentinel known-sentinel m 127.0.0.1 26379 aaaa', 'Duplicate runid for sentinel.'],
    ['sentinel known-sentinel m 127.0.0.1 99999 bbbb', 'Invalid port number.'],
    ['sentinel rename-command m CONFIG other', 'Same command renamed multiple times with rename-command.'],
    ['sentinel notification-script m /no/script', 'Notification script seems non existing or non executable.'],
    ['sentinel client-reconfig-script m /no/script', 'Client reconfiguration script seems non existing or non executable.'],
  ];
  const base = `${M}sentinel known-replica m 127.0.0.1 6379\nsentinel known-sentinel m 127.0.0.1 26379 aaaa\nsentinel rename-command m config x\n`;
  for (const [line, reason] of cases) {
    it(`${line} -> ${reason}`, () => {
      expect(fatal(`${base}${line}\n`, { isExecutable: (p) => !p.startsWith('/no/') })).toEqual([5, line, reason]);
    });
  }

  it('applies global options first, then monitor lines, then the rest', () => {
    const text = 'sentinel parallel-syncs x 1\nsentinel monitor m 127.0.0.1 6379 0\nsentinel myid abc\n';
    expect(fatal(text)).toEqual([3, 'sentinel myid abc', 'Malformed Sentinel id in myid option.']);
    expect(fatal(text.replace('sentinel myid abc\n', ''))).toEqual([2, 'sentinel monitor m 127.0.0.1 6379 0', 'Quorum must be 1 or greater.']);
    // a master may be configured before its monitor line
    expect(load(`sentinel down-after-milliseconds m 100\n${M}`).sentinel.masters[0]!.downAfterMs).toBe(100);
  });

  it('reports other directive errors before sentinel ones', () => {
    expect(fatal('sentinel monitor m 127.0.0.1 6379 0\nfoo\n')).toEqual([2, 'foo', 'Bad directive or wrong number of arguments']);
  });
});

describe('sentinel directive values', () => {
  it('builds the model', () => {
    const myid = 'f'.repeat(40);
    const { sentinel } = load(
      [
        `sentinel myid ${myid}`,
        'sentinel monitor mymaster 127.0.0.1 6379 2',
        'sentinel down-after-milliseconds mymaster 5000',
        'sentinel failover-timeout mymaster 60000',
        'sentinel parallel-syncs mymaster 3abc',
        'sentinel auth-pass mymaster secret',
        'sentinel auth-user mymaster bob',
        'sentinel notification-script mymaster /bin/true',
        'sentinel client-reconfig-script mymaster /bin/true',
        'sentinel master-reboot-down-after-period mymaster 1000',
        'sentinel config-epoch mymaster 4',
        'sentinel leader-epoch mymaster 3',
        'sentinel current-epoch 2',
        'sentinel known-replica mymaster 127.0.0.1 6380',
        'sentinel known-slave mymaster 127.0.0.1 6381',
        `sentinel known-sentinel mymaster 127.0.0.1 26380 ${'a'.repeat(40)}`,
        'sentinel known-sentinel mymaster 127.0.0.1 26381',
        'sentinel known-sentinel nosuchmaster 127.0.0.1 26381',
        'sentinel rename-command mymaster CONFIG XCONFIG',
        'sentinel announce-ip 10.0.0.9',
        'sentinel announce-port 26999',
        'sentinel deny-scripts-reconfig NO',
        'sentinel sentinel-user su',
        'sentinel sentinel-pass sp',
      ].join('\n'),
    );
    expect(sentinel).toMatchObject({
      myid,
      currentEpoch: 4n,
      announceIp: '10.0.0.9',
      announcePort: 26999,
      denyScriptsReconfig: false,
      sentinelUser: 'su',
      sentinelPass: 'sp',
      resolveHostnames: false,
      announceHostnames: false,
    });
    expect(sentinel.masters).toEqual([
      {
        name: 'mymaster',
        host: '127.0.0.1',
        port: 6379,
        quorum: 2,
        downAfterMs: 5000,
        failoverTimeoutMs: 60000,
        parallelSyncs: 3,
        notificationScript: '/bin/true',
        clientReconfigScript: '/bin/true',
        authPass: 'secret',
        authUser: 'bob',
        masterRebootDownAfterPeriodMs: 1000,
        protectEmptyRestart: false,
        configEpoch: 4n,
        leaderEpoch: 3n,
        forgetAfterMs: 0,
        proxyPort: 0,
        proxyReplicasPort: 0,
        knownReplicas: [
          { host: '127.0.0.1', port: 6380 },
          { host: '127.0.0.1', port: 6381 },
        ],
        knownSentinels: [{ host: '127.0.0.1', port: 26380, runid: 'a'.repeat(40) }],
        renamedCommands: [['CONFIG', 'XCONFIG']],
      },
    ]);
  });

  it('keeps master names case-sensitive and sub-commands case-insensitive', () => {
    const { sentinel } = load('SENTINEL Monitor M 127.0.0.1 6379 1\nsentinel monitor m 127.0.0.1 6379 1\nsentinel PARALLEL-SYNCS M 5\n');
    expect(sentinel.masters.map((m) => [m.name, m.parallelSyncs])).toEqual([
      ['M', 5],
      ['m', 1],
    ]);
  });

  it('accepts parallel-syncs of any value and a current-epoch that never goes down', () => {
    const { sentinel } = load(`${M}sentinel parallel-syncs m -3\nsentinel current-epoch 9\nsentinel current-epoch 5\n`);
    expect(sentinel.masters[0]!.parallelSyncs).toBe(-3);
    expect(sentinel.currentEpoch).toBe(9n);
  });

  it('leaves announce-ip, sentinel-user and sentinel-pass unset when empty', () => {
    expect(load('sentinel announce-ip ""\nsentinel sentinel-user ""\nsentinel sentinel-pass ""\n').sentinel).toMatchObject({
      announceIp: null,
      sentinelUser: null,
      sentinelPass: null,
    });
    expect(load('sentinel announce-ip 1.2.3.4\nsentinel announce-ip ""\n').sentinel.announceIp).toBe('1.2.3.4');
  });

  it('stores hosts as written and compares them as addresses', () => {
    const { sentinel } = load('sentinel monitor m 127.1 6379 1\nsentinel known-replica m 0x7f.0.0.2 6380\n');
    expect(sentinel.masters[0]!.host).toBe('127.1');
    expect(fatal('sentinel monitor m 127.1 6379 1\nsentinel known-replica m 127.0.0.2 6380\nsentinel known-replica m 127.2 6380\n')[2]).toBe(
      'Duplicate hostname and port for replica.',
    );
  });

  it('resolves hostnames only with resolve-hostnames yes, and then accepts unresolvable ones', () => {
    const resolveHost = (h: string) => (h === 'db.local' ? '10.1.1.1' : null);
    expect(fatal('sentinel monitor m db.local 6379 1\n', { resolveHost })[2]).toBe("Can't resolve instance hostname.");
    const loaded = load('sentinel monitor m db.local 6379 1\nsentinel monitor n nowhere 6379 1\nsentinel resolve-hostnames yes\n', { resolveHost });
    expect(loaded.sentinel.masters.map((m) => m.host)).toEqual(['db.local', 'nowhere']);
    expect(loaded.warnings).toEqual(["Failed to resolve hostname 'nowhere'"]);
  });

  it('treats replicas that resolve to the same address as duplicates, unless hostnames are announced', () => {
    const resolveHost = (h: string) => ({ a: '10.0.0.5', b: '10.0.0.5' })[h] ?? null;
    const text = `sentinel resolve-hostnames yes\n${M}sentinel known-replica m a 6380\nsentinel known-replica m b 6380\n`;
    expect(fatal(text, { resolveHost })[2]).toBe('Duplicate hostname and port for replica.');
    const announced = load(`sentinel announce-hostnames yes\n${text}`, { resolveHost });
    expect(announced.sentinel.masters[0]!.knownReplicas).toHaveLength(2);
  });

  it('checks script paths for real by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-script-'));
    try {
      const script = join(dir, 'notify.sh');
      writeFileSync(script, '#!/bin/sh\n');
      chmodSync(script, 0o755);
      const opts = { isExecutable: undefined, cwd: dir };
      expect(load(`${M}sentinel notification-script m ./notify.sh\n`, opts).sentinel.masters[0]!.notificationScript).toBe('./notify.sh');
      expect(fatal(`${M}sentinel notification-script m ./missing.sh\n`, opts)[2]).toBe(
        'Notification script seems non existing or non executable.',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('malformed input', () => {
  it('only ever fails with ConfigError, whatever the text (seeded fuzz)', async () => {
    const { DIRECTIVES } = await import('../../src/config/directives.js');
    const { rewriteConfig } = await import('../../src/config/rewrite.js');
    const names = [...DIRECTIVES.map((d) => d.name), 'sentinel', 'include', 'user', 'rename-command', 'loadmodule', 'x.y'];
    const subs = ['monitor', 'known-replica', 'known-sentinel', 'myid', 'current-epoch', 'rename-command', 'announce-ip', 'down-after-milliseconds'];
    const atoms = ['', '""', "'", '"', 'm', '127.0.0.1', '::1', '-1', '0', '99999999999999999999', '1mb', '10%', 'yes', 'NO', '\\x41', '{title}', 'a b', '\t', 'constructor', '__proto__'];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const lineCount = 1 + rand(6);
      const text: string[] = [];
      for (let l = 0; l < lineCount; l++) {
        const words = [names[rand(names.length)]!];
        if (words[0] === 'sentinel') words.push(subs[rand(subs.length)]!);
        for (let w = rand(5); w > 0; w--) words.push(atoms[rand(atoms.length)]!);
        text.push(words.join(' '));
      }
      const joined = text.join('\n');
      try {
        const loaded = load(joined);
        loaded.sentinel.myid ??= 'x'.repeat(40);
        expect(typeof rewriteConfig(joined, loaded.server, loaded.sentinel, { downAfterMs: 30000, failoverTimeoutMs: 180000 })).toBe('string');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw new Error(`${String(err)} for:\n${joined}`);
      }
    }
  });
});
