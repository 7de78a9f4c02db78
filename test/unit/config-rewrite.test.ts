import { describe, expect, it } from 'vitest';
import { PURE } from './pure-config.js';
import { parseConfig } from '../../src/config/load.js';
import { newMasterConfig, type SentinelConfig } from '../../src/config/model.js';
import { rewriteConfig, REWRITE_SIGNATURE } from '../../src/config/rewrite.js';
import type { ServerOptions } from '../../src/config/server-options.js';

const DEFAULTS = { downAfterMs: 30000, failoverTimeoutMs: 180000 };
const MYID = '361b5dc67b2b8704ab893522127ccec8b771ac8a';

function load(text: string) {
  return parseConfig(text, PURE);
}

/** Loads `text`, gives it a myid if it has none (as a starting sentinel does), and rewrites it. */
function loadAndRewrite(text: string, change?: (s: SentinelConfig, server: ServerOptions) => void): string {
  const { server, sentinel } = load(text);
  sentinel.myid ??= MYID;
  change?.(sentinel, server);
  return rewriteConfig(text, server, sentinel, DEFAULTS);
}

const lines = (text: string) => text.split('\n');

describe('rewriteConfig: lines reused in place', () => {
  it("keeps a user's leading comments and sentinel lines byte-identical", () => {
    const original = [
      '# Sentinel for the shop',
      '#   (managed by hand)',
      `sentinel myid ${MYID}`,
      'port 26491',
      '# my comment',
      'sentinel monitor mymaster 127.0.0.1 6491 1',
      'sentinel down-after-milliseconds mymaster 2000',
      'sentinel config-epoch mymaster 0',
      'sentinel leader-epoch mymaster 0',
      '',
    ].join('\n');
    const out = loadAndRewrite(original);
    expect(out.startsWith(original)).toBe(true);
  });

  it('writes the reference example of a fresh sentinel (Part A as a set)', () => {
    const original = 'port 26491\n# my comment\nsentinel monitor mymaster 127.0.0.1 6491 1\nsentinel down-after-milliseconds mymaster 2000\n';
    const first = loadAndRewrite(original + 'daemonize yes\nlogfile "/var/lib/sentinel/s1.log"\n', (_s, server) => {
      // the daemon's effective pidfile when daemonized without one
      server.pidfile = '/var/run/redis.pid';
    });
    const [head, tail] = first.split(`${REWRITE_SIGNATURE}\n`) as [string, string];
    expect(head).toBe(`${original}daemonize yes\nlogfile "/var/lib/sentinel/s1.log"\n\n`);
    const partA = lines(tail).filter((l) => !l.startsWith('sentinel ') && !l.startsWith('user ') && l !== '');
    expect(new Set(partA)).toEqual(new Set(['pidfile "/var/run/redis.pid"', 'latency-tracking-info-percentiles 50 99 99.9', 'dir "/var/lib/sentinel"', 'protected-mode no']));
    expect(lines(tail).filter((l) => l.startsWith('sentinel ') || l.startsWith('user '))).toEqual([
      'user default on nopass ~* &* +@all',
      `sentinel myid ${MYID}`,
      'sentinel config-epoch mymaster 0',
      'sentinel leader-epoch mymaster 0',
      'sentinel current-epoch 0',
    ]);
    expect(first.endsWith('sentinel current-epoch 0\n')).toBe(true);
  });

  it('leaves one blank line at the end after a second rewrite, and then no more', () => {
    const first = loadAndRewrite('sentinel monitor m 127.0.0.1 6379 1\n');
    const second = loadAndRewrite(first);
    expect(second).toBe(`${first}\n`);
    expect(loadAndRewrite(second)).toBe(second);
  });

  it('reuses lines by key, not by master (the two-masters example)', () => {
    const original = [
      '# assume master is down after being unresponsive for 20s',
      'sentinel down-after-milliseconds setmaster 20000',
      'sentinel monitor setmaster 10.0.0.1 30000 2',
      `sentinel myid ${MYID}`,
      '',
    ].join('\n');
    const out = loadAndRewrite(original, (s) => {
      const mymaster = newMasterConfig('mymaster', '127.0.0.1', 6494, 2);
      mymaster.downAfterMs = 2000;
      s.masters.unshift(mymaster);
    });
    expect(lines(out).slice(0, 4)).toEqual([
      '# assume master is down after being unresponsive for 20s',
      'sentinel down-after-milliseconds mymaster 2000',
      'sentinel monitor mymaster 127.0.0.1 6494 2',
      `sentinel myid ${MYID}`,
    ]);
    const appended = lines(out.split(REWRITE_SIGNATURE)[1]!).filter((l) => l.startsWith('sentinel '));
    expect(appended).toEqual([
      'sentinel config-epoch mymaster 0',
      'sentinel leader-epoch mymaster 0',
      'sentinel monitor setmaster 10.0.0.1 30000 2',
      'sentinel down-after-milliseconds setmaster 20000',
      'sentinel config-epoch setmaster 0',
      'sentinel leader-epoch setmaster 0',
      'sentinel current-epoch 0',
    ]);
  });

  it('blanks the lines of state that is gone and collapses blank runs', () => {
    const original = `port 26379\nsentinel monitor a 127.0.0.1 1 1\n\n\nsentinel monitor b 127.0.0.1 2 1\nsentinel known-replica b 127.0.0.1 3\nsentinel myid ${MYID}\n`;
    const out = loadAndRewrite(original, (s) => {
      s.masters = s.masters.filter((m) => m.name === 'a');
    });
    expect(lines(out).slice(0, 5)).toEqual(['port 26379', 'sentinel monitor a 127.0.0.1 1 1', '', `sentinel myid ${MYID}`, '']);
    expect(out).not.toContain(' b ');
  });

  it('comments out lines it cannot parse or does not know', () => {
    const out = loadAndRewrite('list-max-ziplist-entries 5\nfoo.bar 1\nsentinel monitor m 127.0.0.1 6379 1\n');
    expect(lines(out).slice(0, 3)).toEqual(['# ??? list-max-ziplist-entries 5', '# ??? foo.bar 1', 'sentinel monitor m 127.0.0.1 6379 1']);
    const broken = rewriteConfig('requirepass "unterminated\n', load('').server, { ...load('').sentinel, myid: MYID }, DEFAULTS);
    expect(lines(broken)[0]).toBe('# ??? requirepass "unterminated');
  });

  it('does not add a second signature', () => {
    const first = loadAndRewrite('sentinel monitor m 127.0.0.1 6379 1\n');
    const out = loadAndRewrite(first, (s) => {
      s.masters[0]!.knownReplicas.push({ host: '127.0.0.1', port: 6380 });
    });
    expect(out.split(REWRITE_SIGNATURE)).toHaveLength(2);
    expect(out.endsWith('sentinel current-epoch 0\n\nsentinel known-replica m 127.0.0.1 6380\n')).toBe(true);
  });

  it('leaves include, rename-command and a bare sentinel line alone', () => {
    const out = loadAndRewrite('include /etc/redis/extra.conf\nrename-command PING PONG\nsentinel\nsentinel monitor m 127.0.0.1 6379 1\n');
    expect(lines(out).slice(0, 4)).toEqual(['include /etc/redis/extra.conf', 'rename-command PING PONG', 'sentinel', 'sentinel monitor m 127.0.0.1 6379 1']);
  });
});

describe('rewriteConfig: standard options (Part A)', () => {
  it('always writes port, protected-mode, dir and latency-tracking-info-percentiles', () => {
    const out = loadAndRewrite('');
    for (const l of ['port 26379', 'protected-mode no', 'dir "/var/lib/sentinel"', 'latency-tracking-info-percentiles 50 99 99.9']) {
      expect(lines(out)).toContain(l);
    }
    expect(lines(out)[0]).toBe(REWRITE_SIGNATURE);
  });

  it('writes options only when set away from their defaults, but rewrites existing lines in place', () => {
    const out = loadAndRewrite('appendonly NO\nmaxmemory 1048576\nloglevel NOTICE\nmaxclients 10000\nslave-priority 50\nhz 1000\n');
    expect(lines(out).slice(0, 8)).toEqual(['appendonly no', 'maxmemory 1mb', 'loglevel notice', 'maxclients 10000', 'replica-priority 50', 'hz 500', '', REWRITE_SIGNATURE]);
    expect(out).not.toContain('daemonize');
    expect(out).not.toContain('tcp-keepalive');
  });

  it('quotes string options the sdscatrepr way', () => {
    const out = loadAndRewrite('logfile log.txt\nrequirepass "p\\"w\\x01"\npidfile ""\n');
    expect(lines(out).slice(0, 3)).toEqual(['logfile "log.txt"', 'requirepass "p\\"w\\x01"', '']);
  });

  it('never writes save and blanks old save lines; blanks the default bind', () => {
    const out = loadAndRewrite('save 900 1\nsave 300 10\nbind * -::*\nport 26379\n');
    expect(lines(out).slice(0, 2)).toEqual(['', 'port 26379']);
  });

  it('rewrites an alias line under the canonical name', () => {
    expect(lines(loadAndRewrite('slaveof 10.0.0.1 6379\n'))[0]).toBe('replicaof 10.0.0.1 6379');
  });

  it('writes merged output buffer limits, percentages, octal and enum flags like Redis', () => {
    const out = loadAndRewrite(
      'client-output-buffer-limit pubsub 32mb 8mb 60\nclient-output-buffer-limit normal 1mb 0 0\nmaxmemory-clients 10%\nunixsocketperm 700\nshutdown-on-sigint nosave force\noom-score-adj relative\nlatency-tracking-info-percentiles 1.5 99.90\nnotify-keyspace-events KEA\n',
    );
    expect(lines(out).slice(0, 8)).toEqual([
      'client-output-buffer-limit normal 1mb 0 0',
      'client-output-buffer-limit replica 256mb 64mb 60',
      'maxmemory-clients 10%',
      'unixsocketperm 700',
      'shutdown-on-sigint nosave force',
      'oom-score-adj yes',
      'latency-tracking-info-percentiles 1.5 99.9',
      'notify-keyspace-events "AKE"',
    ]);
  });

  it('uses the port the daemon runs on, and the table default 6379 decides whether it is forced', () => {
    expect(lines(loadAndRewrite('port 1\n', (_s, server) => void (server.port = 26380)))[0]).toBe('port 26380');
    expect(loadAndRewrite('', (_s, server) => void (server.port = 6379))).not.toContain('port ');
  });
});

describe('rewriteConfig: ACL users (Part B)', () => {
  it('describes the default user without and with requirepass', () => {
    expect(lines(loadAndRewrite(''))).toContain('user default on nopass ~* &* +@all');
    expect(lines(loadAndRewrite('requirepass foo\n'))).toContain(
      'user default on #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae ~* &* +@all',
    );
  });

  it('writes the ACL descriptions it is given, in place of old user lines', () => {
    const out = loadAndRewrite('user alice on >pw ~* +@all\n', (_s, server) => {
      server.aclUsers = ['alice on #hash ~* resetchannels +@all', 'default on nopass ~* &* +@all'];
    });
    expect(lines(out)[0]).toBe('user alice on #hash ~* resetchannels +@all');
    expect(lines(out)).toContain('user default on nopass ~* &* +@all');
  });

  it('blanks user lines when an ACL file is used', () => {
    const out = loadAndRewrite('user alice on\naclfile /etc/redis/users.acl\n');
    expect(lines(out).slice(0, 2)).toEqual(['', 'aclfile "/etc/redis/users.acl"']);
    expect(out).not.toContain('user ');
  });
});

describe('rewriteConfig: sentinel state (Part C)', () => {
  it('writes everything in the documented order, with only announce-ip quoted', () => {
    const text = [
      'sentinel monitor m 127.0.0.1 6379 2',
      'sentinel down-after-milliseconds m 5000',
      'sentinel failover-timeout m 60000',
      'sentinel parallel-syncs m 2',
      'sentinel notification-script m /n.sh',
      'sentinel client-reconfig-script m /c.sh',
      'sentinel auth-pass m p\\w',
      'sentinel auth-user m u',
      'sentinel master-reboot-down-after-period m 100',
      'sentinel config-epoch m 3',
      'sentinel leader-epoch m 2',
      'sentinel known-replica m 127.0.0.1 6380',
      `sentinel known-sentinel m 127.0.0.1 26380 ${'b'.repeat(40)}`,
      'sentinel rename-command m CONFIG XC',
      'sentinel current-epoch 3',
      'sentinel announce-ip "10.0.0.1 x"',
      'sentinel announce-port 26999',
      'sentinel sentinel-user su',
      'sentinel sentinel-pass sp',
      'sentinel deny-scripts-reconfig no',
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
    ].join('\n');
    const { server, sentinel } = load(text);
    sentinel.myid = MYID;
    const out = rewriteConfig(null, server, sentinel, DEFAULTS);
    expect(lines(out).filter((l) => l.startsWith('sentinel '))).toEqual([
      `sentinel myid ${MYID}`,
      'sentinel deny-scripts-reconfig no',
      'sentinel resolve-hostnames yes',
      'sentinel announce-hostnames yes',
      'sentinel monitor m 127.0.0.1 6379 2',
      'sentinel down-after-milliseconds m 5000',
      'sentinel failover-timeout m 60000',
      'sentinel parallel-syncs m 2',
      'sentinel notification-script m /n.sh',
      'sentinel client-reconfig-script m /c.sh',
      'sentinel auth-pass m p\\w',
      'sentinel auth-user m u',
      'sentinel master-reboot-down-after-period m 100',
      'sentinel config-epoch m 3',
      'sentinel leader-epoch m 2',
      'sentinel known-replica m 127.0.0.1 6380',
      `sentinel known-sentinel m 127.0.0.1 26380 ${'b'.repeat(40)}`,
      'sentinel rename-command m CONFIG XC',
      'sentinel current-epoch 3',
      'sentinel announce-ip "10.0.0.1 x"',
      'sentinel announce-port 26999',
      'sentinel sentinel-user su',
      'sentinel sentinel-pass sp',
    ]);
  });

  it('omits down-after and failover-timeout equal to the current defaults', () => {
    const out = loadAndRewrite('sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 5000\n', undefined);
    expect(out).toContain('sentinel down-after-milliseconds m 5000');
    const { server, sentinel } = load('sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 5000\n');
    sentinel.myid = MYID;
    const withDebugDefault = rewriteConfig(null, server, sentinel, { downAfterMs: 5000, failoverTimeoutMs: 1000 });
    expect(withDebugDefault).not.toContain('down-after-milliseconds');
    expect(withDebugDefault).toContain('sentinel failover-timeout m 180000');
  });

  it('writes an announce-ip set to the empty string, and blanks unset global options', () => {
    const out = loadAndRewrite('sentinel announce-ip 1.2.3.4\nsentinel announce-port 5\nsentinel sentinel-user u\nsentinel sentinel-pass p\n', (s) => {
      s.announceIp = '';
      s.announcePort = 0;
      s.sentinelUser = null;
      s.sentinelPass = null;
    });
    expect(lines(out).slice(0, 2)).toEqual(['sentinel announce-ip ""', '']);
  });

  it('rewrites old known-slave lines in place as known-replica (the 7.2 fix)', () => {
    const original = `sentinel monitor m 127.0.0.1 6379 1\nsentinel known-slave m 127.0.0.1 6380\nsentinel known-slave m 127.0.0.1 6381\nsentinel myid ${MYID}\n`;
    const out = loadAndRewrite(original);
    expect(lines(out).slice(0, 3)).toEqual([
      'sentinel monitor m 127.0.0.1 6379 1',
      'sentinel known-replica m 127.0.0.1 6380',
      'sentinel known-replica m 127.0.0.1 6381',
    ]);
    expect(out).not.toContain('known-slave');
    // and the result loads again (7.0 would have duplicated the replicas here)
    expect(load(out).sentinel.masters[0]!.knownReplicas).toHaveLength(2);
  });

  it('blanks a known-slave line of a replica that is gone once any replica is written', () => {
    const original = `sentinel monitor m 127.0.0.1 6379 1\nsentinel known-slave m 127.0.0.1 6380\nsentinel known-slave m 127.0.0.1 6381\nsentinel myid ${MYID}\n`;
    const out = loadAndRewrite(original, (s) => {
      s.masters[0]!.knownReplicas = [{ host: '127.0.0.1', port: 6381 }];
    });
    expect(lines(out).slice(0, 3)).toEqual(['sentinel monitor m 127.0.0.1 6379 1', 'sentinel known-replica m 127.0.0.1 6381', '']);
  });

  it('writes the model as given (the caller supplies announced addresses)', () => {
    const out = loadAndRewrite('sentinel monitor m 127.1 6379 1\n', (s) => {
      s.masters[0]!.host = '127.0.0.1';
    });
    expect(lines(out)[0]).toBe('sentinel monitor m 127.0.0.1 6379 1');
  });
});

describe('round trip', () => {
  it('load -> rewrite -> load gives the same model', () => {
    const text = [
      'port 26400',
      'bind 127.0.0.1 ::1',
      'daemonize yes',
      'pidfile /run/s.pid',
      'logfile s.log',
      'loglevel verbose',
      'requirepass "a b"',
      'maxclients 100',
      'timeout 9',
      'hz 50',
      'tls-port 26401',
      'tls-cert-file /c.pem',
      'maxmemory 2mb',
      'replica-priority 7',
      'client-output-buffer-limit normal 1mb 2mb 3',
      'rename-command PING PONG',
      `sentinel myid ${MYID}`,
      'sentinel monitor a 127.0.0.1 6379 2',
      'sentinel monitor b ::1 6380 1',
      'sentinel down-after-milliseconds a 1000',
      'sentinel failover-timeout b 2000',
      'sentinel parallel-syncs a 0',
      'sentinel auth-pass b pw',
      'sentinel auth-user b us',
      'sentinel notification-script a /n.sh',
      'sentinel master-reboot-down-after-period b 5',
      'sentinel config-epoch a 4',
      'sentinel leader-epoch b 6',
      'sentinel known-replica a 127.0.0.1 7000',
      'sentinel known-replica a 127.0.0.1 7001',
      `sentinel known-sentinel b ::1 26381 ${'c'.repeat(40)}`,
      'sentinel rename-command a config cfg',
      'sentinel current-epoch 8',
      'sentinel announce-ip 10.1.2.3',
      'sentinel announce-port 1234',
      'sentinel sentinel-user su',
      'sentinel sentinel-pass sp',
      'sentinel deny-scripts-reconfig no',
    ].join('\n');
    const first = load(text);
    const rewritten = rewriteConfig(text, first.server, first.sentinel, DEFAULTS);
    const second = load(rewritten);
    expect(second.sentinel).toEqual(first.sentinel);
    // The rewrite writes the default user as a `user` line, as Redis does, so only `users` differs.
    const { other: otherA, users: usersA, ...typedA } = first.server;
    const { other: otherB, users: usersB, ...typedB } = second.server;
    expect(typedB).toEqual(typedA);
    expect(usersA).toEqual([]);
    expect(usersB).toEqual([['default', 'on', '#c8687a08aa5d6ed2044328fa6a697ab8e96dc34291e8c2034ae8c38e6fcc6d65', '~*', '&*', '+@all']]);
    expect(otherB.get('maxmemory')).toEqual(['2mb']);
    expect(otherB.get('replica-priority')).toEqual(otherA.get('replica-priority'));
    expect(otherB.get('client-output-buffer-limit')).toEqual(otherA.get('client-output-buffer-limit'));
    // and a rewrite of the rewritten file with the same model changes nothing but the final blank line
    expect(rewriteConfig(rewritten, second.server, second.sentinel, DEFAULTS)).toBe(`${rewritten}\n`);
  });
});
