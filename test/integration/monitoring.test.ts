import { beforeAll, describe, expect, it } from 'vitest';
import {
  flagsOf,
  redisCli,
  sentinelsUnderTest,
  startTopology,
  useHarness,
  waitFor,
  waitForDiscovery,
  type EventCollector,
  type Topology,
} from '../harness/index.js';

/**
 * One master, two replicas (real redis-server) and three sentinels of the
 * implementation under test (SENTINEL_IMPL, ours by default) on loopback.
 */

const DOWN_AFTER_MS = 2000;
/** Time for a tick to notice plus one missed ping period, on a loaded 2-core CI box. */
const SDOWN_MARGIN_MS = 2500;
const DISCOVERY_TIMEOUT_MS = 20_000;

// §11.6 of the reference: the exact field order of each kind of instance, healthy case.
const MASTER_FIELDS = [
  'name', 'ip', 'port', 'runid', 'flags', 'link-pending-commands', 'link-refcount',
  'last-ping-sent', 'last-ok-ping-reply', 'last-ping-reply', 'down-after-milliseconds',
  'info-refresh', 'role-reported', 'role-reported-time', 'config-epoch', 'num-slaves',
  'num-other-sentinels', 'quorum', 'failover-timeout', 'parallel-syncs',
];
const REPLICA_FIELDS = [
  'name', 'ip', 'port', 'runid', 'flags', 'link-pending-commands', 'link-refcount',
  'last-ping-sent', 'last-ok-ping-reply', 'last-ping-reply', 'down-after-milliseconds',
  'info-refresh', 'role-reported', 'role-reported-time', 'master-link-down-time',
  'master-link-status', 'master-host', 'master-port', 'slave-priority', 'slave-repl-offset',
  'replica-announced',
];
const SENTINEL_FIELDS = [
  'name', 'ip', 'port', 'runid', 'flags', 'link-pending-commands', 'link-refcount',
  'last-ping-sent', 'last-ok-ping-reply', 'last-ping-reply', 'down-after-milliseconds',
  'last-hello-message', 'voted-leader', 'voted-leader-epoch',
];

const NON_NEGATIVE_INT = /^\d+$/;

describe('monitoring: 1 master + 2 replicas + 3 sentinels', () => {
  const h = useHarness('monitoring');
  let t: Topology;
  let discovered: Promise<void> | undefined;
  const myids = new Map<number, string>();
  const runIds = new Map<number, string>();

  /** Discovery is asserted by the first test; later tests only need it done. */
  const discovery = (): Promise<void> => (discovered ??= waitForDiscovery(h, t, DISCOVERY_TIMEOUT_MS));

  beforeAll(async () => {
    t = await startTopology(h, {
      replicas: 2,
      sentinels: sentinelsUnderTest(3),
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
    });
    for (const s of t.sentinels) myids.set(s.port, await h.queries(s.port).myid());
    for (const server of [t.master, ...t.replicas]) {
      const info = await h.client(server.port).info('server');
      runIds.set(server.port, /run_id:([0-9a-f]{40})/.exec(info)![1]);
    }
  });

  it('every sentinel discovers both replicas and the two other sentinels in bounded time', async () => {
    const started = Date.now();
    await discovery();
    expect(Date.now() - started).toBeLessThan(DISCOVERY_TIMEOUT_MS);
  });

  it('SENTINEL MASTER gives the master fields in reference order with the right values', async () => {
    await discovery();
    for (const s of t.sentinels) {
      const master = await h.queries(s.port).master(t.masterName);
      expect(Object.keys(master), `field order on ${s.describe()}`).toEqual(MASTER_FIELDS);
      expect(master).toMatchObject({
        name: 'mymaster',
        ip: '127.0.0.1',
        port: String(t.master.port),
        runid: runIds.get(t.master.port),
        flags: 'master',
        'down-after-milliseconds': String(DOWN_AFTER_MS),
        'role-reported': 'master',
        'config-epoch': '0',
        'num-slaves': '2',
        'num-other-sentinels': '2',
        quorum: '2',
        'failover-timeout': '180000',
        'parallel-syncs': '1',
      });
      for (const f of ['link-pending-commands', 'link-refcount', 'last-ping-sent', 'last-ok-ping-reply', 'last-ping-reply', 'info-refresh', 'role-reported-time']) {
        expect(master[f], `${f} on ${s.describe()}`).toMatch(NON_NEGATIVE_INT);
      }
      // A healthy link answers within a ping period, and INFO is refreshed every 10 s.
      expect(Number(master['last-ok-ping-reply'])).toBeLessThan(DOWN_AFTER_MS);
      expect(Number(master['info-refresh'])).toBeLessThan(11_000);

      const masters = await h.queries(s.port).masters();
      expect(masters.map((m) => m.name)).toEqual(['mymaster']);
      expect(await h.queries(s.port).masterAddr(t.masterName)).toEqual(['127.0.0.1', String(t.master.port)]);
    }
  });

  it('SENTINEL REPLICAS (and its alias SLAVES) describe both replicas', async () => {
    await discovery();
    const expectedPorts = t.replicas.map((r) => String(r.port)).sort();
    for (const s of t.sentinels) {
      const q = h.queries(s.port);
      const replicas = await q.replicas(t.masterName);
      expect(replicas.map((r) => r.port).sort()).toEqual(expectedPorts);
      for (const r of replicas) {
        expect(Object.keys(r), `field order on ${s.describe()}`).toEqual(REPLICA_FIELDS);
        expect(r).toMatchObject({
          name: `127.0.0.1:${r.port}`,
          ip: '127.0.0.1',
          runid: runIds.get(Number(r.port)),
          flags: 'slave',
          'down-after-milliseconds': String(DOWN_AFTER_MS),
          'role-reported': 'slave',
          'master-link-status': 'ok',
          'master-host': '127.0.0.1',
          'master-port': String(t.master.port),
          'slave-priority': '100',
          'replica-announced': '1',
        });
        expect(r['slave-repl-offset']).toMatch(NON_NEGATIVE_INT);
      }
      const slaves = await q.client.call('SENTINEL', 'SLAVES', t.masterName);
      expect((slaves as string[][]).map((r) => r.slice(0, 6))).toEqual(
        ((await q.client.call('SENTINEL', 'REPLICAS', t.masterName)) as string[][]).map((r) => r.slice(0, 6)),
      );
    }
  });

  it('SENTINEL SENTINELS describes the two other sentinels by their myid', async () => {
    await discovery();
    for (const s of t.sentinels) {
      const peers = await h.queries(s.port).sentinels(t.masterName);
      const expected = t.sentinels
        .filter((o) => o !== s)
        .map((o) => ({ port: String(o.port), runid: myids.get(o.port) }))
        .sort((a, b) => a.port.localeCompare(b.port));
      expect(peers.map((p) => ({ port: p.port, runid: p.runid })).sort((a, b) => a.port.localeCompare(b.port))).toEqual(expected);
      for (const p of peers) {
        expect(Object.keys(p), `field order on ${s.describe()}`).toEqual(SENTINEL_FIELDS);
        expect(p).toMatchObject({
          name: p.runid,
          ip: '127.0.0.1',
          flags: 'sentinel',
          'down-after-milliseconds': String(DOWN_AFTER_MS),
          'voted-leader': '?',
          'voted-leader-epoch': '0',
        });
        // Hellos come every 2 s.
        expect(Number(p['last-hello-message'])).toBeLessThan(6000);
      }
    }
  });

  it('the rewritten config holds myid, both known replicas and both known sentinels, once each', async () => {
    await discovery();
    for (const s of t.sentinels) {
      const replicaLines = t.replicas.map((r) => `sentinel known-replica mymaster 127.0.0.1 ${r.port}`).sort();
      const sentinelLines = t.sentinels
        .filter((o) => o !== s)
        .map((o) => `sentinel known-sentinel mymaster 127.0.0.1 ${o.port} ${myids.get(o.port)}`)
        .sort();
      // The flush that records a new peer happens when the hello is processed, which may trail SENTINELS by a tick.
      await waitFor(() => s.configLines('sentinel known-sentinel').sort(), {
        timeoutMs: 2000,
        description: `both known-sentinel lines in ${s.configPath}`,
        until: (lines) => JSON.stringify(lines) === JSON.stringify(sentinelLines),
      });
      expect(s.configLines('sentinel known-replica').sort()).toEqual(replicaLines);
      expect(s.configLines('sentinel myid')).toEqual([`sentinel myid ${myids.get(s.port)}`]);
      expect(s.configLines('sentinel monitor')).toEqual([`sentinel monitor mymaster 127.0.0.1 ${t.master.port} 2`]);
    }
  });

  it('redis-cli shows sentinel masters, info sentinel, role and client list as a sysadmin expects', async () => {
    await discovery();
    const s = t.sentinels[0];

    const masters = await redisCli(s.port, ['sentinel', 'masters']);
    expect(masters.code).toBe(0);
    const lines = masters.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual(['name', 'mymaster', 'ip', '127.0.0.1', 'port', String(t.master.port)]);
    expect(masters.stdout).toContain('\nflags\nmaster\n');
    expect(masters.stdout).toContain('\nnum-slaves\n2\n');
    expect(masters.stdout).toContain('\nnum-other-sentinels\n2\n');
    expect(masters.stdout).toContain('\nquorum\n2\n');

    const info = await redisCli(s.port, ['info', 'sentinel']);
    expect(info.stdout.split('\r\n')).toEqual([
      '# Sentinel',
      'sentinel_masters:1',
      'sentinel_tilt:0',
      'sentinel_tilt_since_seconds:-1',
      'sentinel_running_scripts:0',
      'sentinel_scripts_queue_length:0',
      'sentinel_simulate_failure_flags:0',
      `master0:name=mymaster,status=ok,address=127.0.0.1:${t.master.port},slaves=2,sentinels=3`,
      '',
    ]);

    const role = await redisCli(s.port, ['role']);
    expect(role.stdout).toBe('sentinel\nmymaster\n');

    const clients = await redisCli(s.port, ['client', 'list']);
    const clientLines = clients.stdout.trimEnd().split('\n');
    const mine = clientLines.filter((l) => / cmd=client\|list /.test(l));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(
      new RegExp(
        `^id=\\d+ addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${s.port} fd=\\d+ name= age=\\d+ idle=\\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\\d+ qbuf-free=\\d+ argv-mem=\\d+ multi-mem=0 rbs=\\d+ rbp=\\d+ obl=0 oll=0 omem=0 tot-mem=\\d+ events=r cmd=client\\|list user=default redir=-1 resp=2$`,
      ),
    );
    // Each peer keeps a command link to us, named after the first 8 chars of its myid.
    const peerNames = clientLines.map((l) => / name=(\S*) /.exec(l)?.[1]).filter((n) => n?.startsWith('sentinel-'));
    const expectedPeers = t.sentinels.filter((o) => o !== s).map((o) => `sentinel-${myids.get(o.port)!.slice(0, 8)}-cmd`);
    expect(peerNames.sort()).toEqual(expectedPeers.sort());
  });

  it('SIGSTOP of a replica gives +sdown slave after down-after-milliseconds, SIGCONT gives -sdown', async () => {
    await discovery();
    const replica = t.replicas[0];
    const collectors: EventCollector[] = await Promise.all(t.sentinels.map((s) => h.events(s.port)));
    const description = `slave 127.0.0.1:${replica.port} 127.0.0.1 ${replica.port} @ mymaster 127.0.0.1 ${t.master.port}`;

    const stoppedAt = Date.now();
    replica.kill('SIGSTOP');
    try {
      const downs = await Promise.all(
        collectors.map((c) => c.waitFor({ channel: '+sdown', message: description }, DOWN_AFTER_MS + SDOWN_MARGIN_MS)),
      );
      for (const e of downs) {
        // Never before down-after-milliseconds of silence (a ping in flight at SIGSTOP may start the clock a hair early).
        expect(e.time - stoppedAt).toBeGreaterThanOrEqual(DOWN_AFTER_MS - 250);
      }
      const seen = await h.queries(t.sentinels[0].port).replicas(t.masterName);
      const stopped = seen.find((r) => r.port === String(replica.port))!;
      expect(flagsOf(stopped)).toEqual(['s_down', 'slave', ...flagsOf(stopped).filter((f) => f === 'disconnected')]);
      const keys = Object.keys(stopped);
      expect(keys.indexOf('s-down-time')).toBe(keys.indexOf('last-ping-reply') + 1);
    } finally {
      replica.kill('SIGCONT');
    }
    const resumedAt = Date.now();
    await Promise.all(collectors.map((c) => c.waitFor({ channel: '-sdown', message: description, since: resumedAt }, 5000)));

    for (const c of collectors) {
      expect(c.all({ channel: '+sdown', message: description })).toHaveLength(1);
      expect(c.find({ channel: '+sdown', message: /^master / })).toBeUndefined();
      expect(c.find({ channel: '+odown' })).toBeUndefined();
    }
    const healthy = await h.queries(t.sentinels[0].port).replicas(t.masterName);
    expect(healthy.find((r) => r.port === String(replica.port))?.flags).toBe('slave');
  });

  it('a sentinel killed with SIGKILL and restarted from its config knows both replicas and both sentinels at once', async () => {
    await discovery();
    const victim = t.sentinels[2];
    const myid = myids.get(victim.port)!;
    victim.kill('SIGKILL');
    expect((await victim.process.waitForExit()).signal).toBe('SIGKILL');

    await victim.restart();
    const readyAt = Date.now();
    const q = h.queries(victim.port);
    const [replicas, sentinels] = await Promise.all([q.replicas(t.masterName), q.sentinels(t.masterName)]);
    // Rediscovery would need a master INFO round trip and peers' hellos (every 2 s); the state must come from the file.
    expect(Date.now() - readyAt).toBeLessThan(1000);
    expect(replicas.map((r) => r.port).sort()).toEqual(t.replicas.map((r) => String(r.port)).sort());
    expect(sentinels.map((s) => s.runid).sort()).toEqual(
      t.sentinels.filter((o) => o !== victim).map((o) => myids.get(o.port)).sort(),
    );
    expect(await q.myid()).toBe(myid);
    // Instances loaded from the config are known, not discovered: no +slave / +sentinel events for them.
    const log = victim.process.log();
    expect(log).toMatch(new RegExp(`Sentinel ID is ${myid}`));
    expect(log).not.toMatch(/[+]slave slave /);
    expect(log).not.toMatch(/[+]sentinel sentinel /);

    // And the peers see it back as a healthy sentinel.
    await waitFor(
      () => Promise.all(t.sentinels.filter((o) => o !== victim).map((o) => h.queries(o.port).sentinels(t.masterName))),
      {
        timeoutMs: 10_000,
        intervalMs: 200,
        description: `the peers to list ${victim.describe()} with flags 'sentinel'`,
        until: (lists) => lists.every((l) => l.find((p) => p.runid === myid)?.flags === 'sentinel'),
      },
    );
  });
});
