import { describe, it, type ExpectStatic } from 'vitest';
import type { Redis } from 'ioredis';
import {
  rawCommand,
  useHarness,
  waitFor,
  type Harness,
  type RedisServerProcess,
  type SentinelImpl,
  type Topology,
} from '../harness/index.js';
import { waitForReplicaSync } from '../harness/topology.js';
import { infoFields, sentinelDebug, sentinelReply, FAST_DEBUG, startTunedTopology, waitForReplicaOf } from '../harness/failover-kit.js';
import { waitForDiscovery } from '../harness/topology.js';
import { showResp } from '../harness/resp.js';

/**
 * Beyond Redis: SENTINEL FAILOVER <master> [TO <ip> <port>] [COORDINATED] [TIMEOUT <ms>].
 * TO promotes the replica named; COORDINATED hands over with the master's own FAILOVER command
 * (writes held until the replica has caught up), so that no acknowledged write is lost, and the
 * client's reply says how it ended. These tests run our daemon only (the options are ours);
 * real redis-sentinel peers take part as followers.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;
/** A coordinated switch of an idle or busy loopback group ends well within this. */
const SWITCH_DEADLINE_MS = 15_000;
/** The group agrees on the new master and the replicas follow it within this after a switch. */
const SETTLE_DEADLINE_MS = 20_000;

describe('switchover (SENTINEL FAILOVER ... TO / COORDINATED)', () => {
  const h = useHarness('switchover');

  it.concurrent('refuses bad options and unfit replicas with Redis-style errors; the plain form is unchanged', async ({ expect }) => {
    const master = await h.startRedis({ name: 'args-master' });
    const replica = await h.startRedis({ name: 'args-replica', replicaOf: { port: master.port } });
    const zero = await h.startRedis({ name: 'args-zero', replicaOf: { port: master.port }, args: ['--replica-priority', '0'] });
    await Promise.all([replica, zero].map((r) => waitForReplicaSync(r, 10_000)));
    const sentinel = await h.startSentinel({
      impl: 'ours',
      name: 'args-sentinel',
      monitors: [{ name: 'mm', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS }],
    });
    await sentinelDebug(sentinel.port, FAST_DEBUG);
    await waitForDiscovery(h, { masterName: 'mm', quorum: 1, master, replicas: [replica, zero], sentinels: [sentinel] }, 20_000);
    const ask = (...args: string[]) => sentinelReply(sentinel.port, ['SENTINEL', 'FAILOVER', ...args]);

    expect(await ask()).toBe("-ERR wrong number of arguments for 'sentinel|failover' command");
    expect(await ask('nosuch')).toBe('-ERR No such master with that name');
    expect(await ask('nosuch', 'COORDINATED')).toBe('-ERR No such master with that name');
    for (const bad of [['TO'], ['TO', master.host], ['COORDINATED', 'COORDINATED'], ['bogus'], ['TIMEOUT'], ['TO', '1.2.3.4', '5', 'TO', '1.2.3.4', '6']]) {
      expect(await ask('mm', ...bad), bad.join(' ')).toBe('-ERR syntax error');
    }
    expect(await ask('mm', 'TO', replica.host, 'x')).toBe('-ERR Invalid port');
    expect(await ask('mm', 'TO', replica.host, '70000')).toBe('-ERR Invalid port');
    for (const t of ['0', '-5', 'soon', '3600001']) expect(await ask('mm', 'COORDINATED', 'TIMEOUT', t), t).toBe('-ERR value is out of range');
    expect(await ask('mm', 'TIMEOUT', '100')).toBe('-ERR TIMEOUT requires COORDINATED');
    expect(await ask('mm', 'TO', replica.host, String(master.port))).toBe('-ERR No such replica with that address');
    expect(await ask('mm', 'to', zero.host, String(zero.port), 'coordinated')).toBe(
      `-NOGOODSLAVE Replica ${zero.host}:${zero.port} cannot be promoted: its replica-priority is 0`,
    );
    // Nothing of the above started a failover.
    expect((await h.queries(sentinel.port).master('mm')).flags).toBe('master');
    expect((await infoFields(master.port)).role).toBe('master');

    // With the replica down, TO it is refused too.
    replica.kill('SIGKILL');
    await waitFor(() => h.queries(sentinel.port).replicas('mm'), {
      timeoutMs: 10_000,
      description: 'the killed replica to be seen down',
      until: (rs) => rs.some((r) => r.port === String(replica.port) && r.flags.includes('s_down')),
    });
    expect(await ask('mm', 'TO', replica.host, String(replica.port))).toBe(
      `-NOGOODSLAVE Replica ${replica.host}:${replica.port} cannot be promoted: it is down`,
    );
    // The plain form, as Redis: the only other replica has priority 0.
    expect(await ask('mm')).toBe('-NOGOODSLAVE No suitable replica to promote');
  });

  for (const group of [
    { label: 'ours', sentinels: ['ours', 'ours', 'ours'] as SentinelImpl[] },
    { label: 'mixed', sentinels: ['ours', 'redis', 'redis'] as SentinelImpl[] },
  ]) {
    it.concurrent(`${group.label} (${group.sentinels.join(', ')}): TO promotes the replica named, and every sentinel follows`, async ({ expect }) => {
      const t = await startTunedTopology(h, {
        label: `to-${group.label}`,
        replicas: 2,
        sentinels: group.sentinels,
        quorum: 2,
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      });
      const leader = t.sentinels[0];
      const servers = [t.master, ...t.replicas];
      const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port)));
      // Each replica in turn, then back to the first master: a coordinated switch, a plain one with TO, a coordinated one.
      const plan: Array<{ to: RedisServerProcess; coordinated: boolean }> = [
        { to: t.replicas[1], coordinated: true },
        { to: t.replicas[0], coordinated: false },
        { to: t.master, coordinated: true },
      ];
      let current = t.master;
      let epoch = Number((await h.queries(leader.port).master(t.masterName))['config-epoch']);
      for (const step of plan) {
        const args = ['SENTINEL', 'FAILOVER', t.masterName, 'TO', step.to.host, String(step.to.port)];
        if (step.coordinated) args.push('COORDINATED');
        const began = Date.now();
        const reply = await rawCommand(leader.port, args, { timeoutMs: SWITCH_DEADLINE_MS });
        expect(showResp(reply.value), args.join(' ')).toBe('+OK');
        if (step.coordinated) {
          // The reply came once the replica named was master.
          expect((await infoFields(step.to.port)).role).toBe('master');
          console.log(`[switchover ${group.label}] coordinated switch to ${step.to.port} answered in ${Date.now() - began} ms`);
        }
        epoch++;
        await waitForAgreement(h, t, step.to, epoch, expect);
        for (const s of servers.filter((x) => x !== step.to)) await waitForReplicaOf(s.port, step.to.port, SETTLE_DEADLINE_MS);
        expect(current).not.toBe(step.to);
        current = step.to;
        await waitForSwitchable(h, leader.port, t.masterName, servers.length - 1);
      }
      // Forced, not elected: only the leader tried; nobody saw a master down; every sentinel switched each time.
      expect(collectors.map((c) => c.all({ channel: '+try-failover' }).length)).toEqual([plan.length, 0, 0]);
      expect(collectors.map((c) => c.all({ channel: '+odown' }).length)).toEqual([0, 0, 0]);
      // A step's events go out after its config write: the last ones may still be on their way.
      const switched = await waitFor(async () => collectors.map((c) => c.all({ channel: '+switch-master' }).map((e) => e.message.split(' ')[4])), {
        timeoutMs: 5000,
        description: 'every sentinel to publish its +switch-master',
        until: (all) => all.every((ports) => ports.length >= plan.length),
      });
      expect(switched).toEqual(t.sentinels.map(() => plan.map((p) => String(p.to.port))));
    });
  }

  it.concurrent('no acknowledged write is lost through coordinated switchovers; the plain SENTINEL FAILOVER loses some', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'loss',
      replicas: 2,
      sentinels: ['ours', 'ours', 'ours'],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const servers = [t.master, ...t.replicas];
    const sentinelPorts = t.sentinels.map((s) => s.port);
    const leader = t.sentinels[0];

    const runPhase = async (key: string, coordinated: boolean): Promise<{ acked: number; missing: number; errors: number; longestAckMs: number }> => {
      const writer = new AckedWriter(h, sentinelPorts, t.masterName, key);
      const writing = writer.run();
      await waitFor(async () => writer.acked.length, { timeoutMs: 10_000, description: 'the writer to be writing', until: (n) => n > 100 });
      for (let i = 0; i < SWITCHES; i++) {
        const from = await currentMaster(leader.port, t.masterName, servers);
        const ackedBefore = writer.acked.length;
        const args = ['SENTINEL', 'FAILOVER', t.masterName, ...(coordinated ? ['COORDINATED'] : [])];
        const reply = await rawCommand(leader.port, args, { timeoutMs: SWITCH_DEADLINE_MS });
        expect(showResp(reply.value), `${args.join(' ')} (switch ${i + 1})`).toBe('+OK');
        const to = await waitFor(() => currentMaster(leader.port, t.masterName, servers), {
          timeoutMs: SETTLE_DEADLINE_MS,
          description: `the master to change from ${from.port}`,
          until: (m) => m !== from,
        });
        for (const s of servers.filter((x) => x !== to)) await waitForReplicaOf(s.port, to.port, SETTLE_DEADLINE_MS);
        await waitFor(async () => writer.acked.length, {
          timeoutMs: 10_000,
          description: 'the writer to write to the new master',
          until: (n) => n > ackedBefore + 100,
        });
        await waitForSwitchable(h, leader.port, t.masterName, servers.length - 1);
      }
      writer.stop();
      await writing;
      const final = await currentMaster(leader.port, t.masterName, servers);
      const stored = new Set((await h.client(final.port).lrange(key, 0, -1)).map(Number));
      const missing = writer.acked.filter((n) => !stored.has(n)).length;
      return { acked: writer.acked.length, missing, errors: writer.errors, longestAckMs: writer.longestAckMs };
    };

    const coordinated = await runPhase('coordinated-writes', true);
    const plain = await runPhase('plain-writes', false);
    console.log(
      `[switchover] ${SWITCHES} coordinated switchovers: ${coordinated.acked} writes acknowledged, ${coordinated.missing} missing on the final master (${coordinated.errors} refused or failed, longest acknowledged write ${coordinated.longestAckMs} ms)\n` +
        `[switchover] ${SWITCHES} plain SENTINEL FAILOVERs: ${plain.acked} writes acknowledged, ${plain.missing} missing on the final master (${plain.errors} refused or failed, longest acknowledged write ${plain.longestAckMs} ms)`,
    );
    expect(coordinated.missing).toBe(0);
    expect(coordinated.acked).toBeGreaterThan(SWITCHES * 100);
    // The old master takes writes until it is converted, at least 4 hello periods after the switch: always some lost.
    expect(plain.missing).toBeGreaterThan(0);
  });

  it.concurrent('FAILOVER goes by its renamed name (`sentinel rename-command`); a master that refuses it leaves everything as it was', async ({ expect }) => {
    const start = async (label: string, serverArgs: string[], configLines: string[]) => {
      const master = await h.startRedis({ name: `${label}-master`, args: serverArgs });
      const replica = await h.startRedis({ name: `${label}-replica`, replicaOf: { port: master.port }, args: serverArgs });
      await waitForReplicaSync(replica, 10_000);
      const sentinel = await h.startSentinel({
        impl: 'ours',
        name: `${label}-sentinel`,
        monitors: [{ name: 'mm', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS }],
        configLines,
      });
      await sentinelDebug(sentinel.port, FAST_DEBUG);
      await waitForDiscovery(h, { masterName: 'mm', quorum: 1, master, replicas: [replica], sentinels: [sentinel] }, 20_000);
      return { master, replica, sentinel };
    };
    const [renamed, refused] = await Promise.all([
      start('renamed', ['--rename-command', 'FAILOVER', 'MY-FAILOVER'], ['sentinel rename-command mm FAILOVER MY-FAILOVER']),
      start('refused', ['--rename-command', 'FAILOVER', 'MY-FAILOVER'], []),
    ]);

    const ok = await rawCommand(renamed.sentinel.port, ['SENTINEL', 'FAILOVER', 'mm', 'COORDINATED'], { timeoutMs: SWITCH_DEADLINE_MS });
    expect(showResp(ok.value)).toBe('+OK');
    expect((await infoFields(renamed.replica.port)).role).toBe('master');
    await waitForReplicaOf(renamed.master.port, renamed.replica.port, SETTLE_DEADLINE_MS);

    const events = await h.events(refused.sentinel.port);
    const no = await rawCommand(refused.sentinel.port, ['SENTINEL', 'FAILOVER', 'mm', 'COORDINATED'], { timeoutMs: SWITCH_DEADLINE_MS });
    expect(showResp(no.value)).toBe(
      "-ERR Failover aborted: the master refused FAILOVER: ERR unknown command 'FAILOVER', with args beginning with: 'TO' '127.0.0.1' " +
        `'${refused.replica.port}' 'TIMEOUT' '5000' `,
    );
    const abort = await events.waitFor({ channel: '-failover-abort-coordinated-refused' }, 1000);
    expect(abort.message).toMatch(/^master mm 127\.0\.0\.1 \d+ ERR unknown command 'FAILOVER'/);
    expect((await infoFields(refused.master.port)).role).toBe('master');
    expect((await infoFields(refused.replica.port)).role).toBe('slave');
    expect((await h.queries(refused.sentinel.port).master('mm')).flags).toBe('master');
  });

  it.concurrent('a replica that cannot catch up: the master stays master, takes writes again, and the reason is logged and returned', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'timeout',
      replicas: 2,
      sentinels: ['ours'],
      quorum: 1,
      downAfterMs: 5_000,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const [stuck] = t.replicas;
    const sentinel = t.sentinels[0];
    const events = await h.events(sentinel.port);
    const client = h.client(t.master.port);
    stuck.kill('SIGSTOP');
    try {
      await client.set('before', '1');
      const began = Date.now();
      const reply = await rawCommand(
        sentinel.port,
        ['SENTINEL', 'FAILOVER', t.masterName, 'TO', stuck.host, String(stuck.port), 'COORDINATED', 'TIMEOUT', '1000'],
        { timeoutMs: SWITCH_DEADLINE_MS },
      );
      const tookMs = Date.now() - began;
      expect(showResp(reply.value)).toBe(
        `-ERR Failover aborted: replica ${stuck.host}:${stuck.port} did not catch up within 1000 ms; the master stays master`,
      );
      expect(tookMs).toBeGreaterThanOrEqual(1000);
      expect(tookMs).toBeLessThan(1000 + 3000);
      const abort = await events.waitFor({ channel: '-failover-abort-coordinated-timeout' }, 1000);
      expect(abort.message).toBe(`master ${t.masterName} ${t.master.host} ${t.master.port}`);
      await sentinel.process.waitForLog(/-failover-abort-coordinated-timeout master /);
      await sentinel.process.waitForLog(/Coordinated failover of 'mymaster' aborted: Failover aborted: replica .* did not catch up within 1000 ms/);

      const info = await infoFields(t.master.port);
      expect([info.role, info.master_failover_state]).toEqual(['master', 'no-failover']);
      // Writes go through at once again.
      const writeBegan = Date.now();
      expect(await client.set('after', '1')).toBe('OK');
      expect(Date.now() - writeBegan).toBeLessThan(500);
      const m = await h.queries(sentinel.port).master(t.masterName);
      expect([m.port, m.flags]).toEqual([String(t.master.port), 'master']);
      expect(events.all({ channel: '+switch-master' })).toEqual([]);
      expect(events.all({ channel: '+promoted-slave' })).toEqual([]);
    } finally {
      stuck.kill('SIGCONT');
    }
    // The replica is back: the same switch goes through.
    await waitForReplicaOf(stuck.port, t.master.port, 10_000);
    await waitForSwitchable(h, sentinel.port, t.masterName, 2);
    const reply = await rawCommand(sentinel.port, ['SENTINEL', 'FAILOVER', t.masterName, 'TO', stuck.host, String(stuck.port), 'COORDINATED'], {
      timeoutMs: SWITCH_DEADLINE_MS,
    });
    expect(showResp(reply.value)).toBe('+OK');
    expect((await infoFields(stuck.port)).role).toBe('master');
    expect(await h.client(stuck.port).get('after')).toBe('1');
  });
});

const SWITCHES = 5;

/** Every sentinel names `to` as the master, with the failover's config epoch. */
async function waitForAgreement(h: Harness, t: Topology, to: RedisServerProcess, epoch: number, expect: ExpectStatic): Promise<void> {
  const queries = t.sentinels.map((s) => h.queries(s.port));
  const views = await waitFor(
    () => Promise.all(queries.map((q) => q.master(t.masterName))),
    {
      timeoutMs: SETTLE_DEADLINE_MS,
      intervalMs: 100,
      description: `every sentinel to name port ${to.port} as the master with config-epoch ${epoch}`,
      until: (ms) => ms.every((m) => m.port === String(to.port) && m['config-epoch'] === String(epoch)),
    },
  );
  expect(views.map((m) => m.port)).toEqual(t.sentinels.map(() => String(to.port)));
}

/** The leader has no failover under way and knows `replicas` replicas it could promote. */
async function waitForSwitchable(h: Harness, port: number, name: string, replicas: number): Promise<void> {
  const q = h.queries(port);
  await waitFor(async () => [await q.master(name), await q.replicas(name)] as const, {
    timeoutMs: SETTLE_DEADLINE_MS,
    intervalMs: 100,
    description: `${name} on ${port} to be a plain master with ${replicas} replicas in sync`,
    until: ([m, rs]) =>
      m.flags === 'master' &&
      rs.filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok' && Number(r['info-refresh']) < 3000).length === replicas,
  });
}

/** The port GET-MASTER-ADDR-BY-NAME gives, over a connection of its own. */
async function masterPort(port: number, name: string): Promise<number | null> {
  const { value } = await rawCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name], { timeoutMs: 2000 });
  if (value.type !== 'array' || value.items.length !== 2 || value.items[1].type !== 'bulk') return null;
  return Number(value.items[1].value);
}

/** The server the sentinel names as master. */
async function currentMaster(port: number, name: string, servers: RedisServerProcess[]): Promise<RedisServerProcess> {
  const at = await masterPort(port, name);
  const found = servers.find((s) => s.port === at);
  if (!found) throw new Error(`the sentinel on ${port} names port ${at}, none of ours`);
  return found;
}

/**
 * A client that writes as fast as it can (RPUSH of sequence numbers, several in flight) to the
 * master the sentinels name, reconnecting there after any error, and records every write the
 * server acknowledged.
 */
class AckedWriter {
  readonly acked: number[] = [];
  errors = 0;
  /** The longest time an acknowledged write took: how long writes were held during a handover. */
  longestAckMs = 0;
  private next = 0;
  private stopped = false;
  private turn = 0;

  constructor(
    private readonly h: Harness,
    private readonly sentinelPorts: number[],
    private readonly name: string,
    private readonly key: string,
    private readonly inFlight = 8,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const conn = await this.connect();
      if (conn === null) continue;
      await Promise.all(Array.from({ length: this.inFlight }, () => this.writeUntilError(conn)));
      conn.disconnect();
    }
  }

  private async connect(): Promise<Redis | null> {
    const port = this.sentinelPorts[this.turn++ % this.sentinelPorts.length];
    try {
      const at = await masterPort(port, this.name);
      if (at === null) return null;
      const conn = this.h.client(at, { commandTimeout: 2000 });
      // Errors are seen by the writes that fail; a reset connection must not also be reported as unhandled.
      conn.on('error', () => {});
      await conn.ping();
      return conn;
    } catch {
      this.errors++;
      // A short pause: the address the sentinels give may not be up yet.
      await new Promise((r) => setTimeout(r, 20));
      return null;
    }
  }

  private async writeUntilError(conn: Redis): Promise<void> {
    while (!this.stopped) {
      const n = this.next++;
      const sentAt = Date.now();
      try {
        await conn.rpush(this.key, String(n));
        this.acked.push(n);
        this.longestAckMs = Math.max(this.longestAckMs, Date.now() - sentAt);
      } catch {
        this.errors++;
        // The others on this connection stop too: all reconnect to where the sentinels point.
        conn.disconnect();
        return;
      }
    }
  }
}
