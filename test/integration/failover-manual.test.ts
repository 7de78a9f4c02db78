import { describe, it } from 'vitest';
import {
  implUnderTest,
  sentinelsUnderTest,
  useHarness,
  waitFor,
  type RawReply,
  type Topology,
} from '../harness/index.js';
import { waitForReplicaSync, waitForDiscovery } from '../harness/topology.js';
import {
  dumpEvents,
  eventLines,
  FAST_DEBUG,
  infoFields,
  masterAt,
  monitorLine,
  replicaAt,
  sentinelDebug,
  sentinelReply,
  startTunedTopology,
  waitForReplicaOf,
} from '../harness/failover-kit.js';
import { pairsToRecord } from '../harness/clients.js';

/**
 * SENTINEL FAILOVER: the leader's events in the exact order Redis publishes
 * them, -INPROG while it runs, and replica-priority 0 never promoted.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;
const FAILOVER_DEADLINE_MS = 20_000;

describe('manual failover (SENTINEL FAILOVER)', () => {
  const h = useHarness('failover-manual');

  it.concurrent('publishes the leader sequence of a failover in order, and answers -INPROG while it runs', async ({ expect }) => {
    // One sentinel: no peer can convert the old master first, so the sequence is the same on every run.
    const t = await startTunedTopology(h, {
      label: 'manual',
      replicas: 2,
      sentinels: sentinelsUnderTest(1),
      quorum: 1,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const [sentinel] = t.sentinels;
    const myid = await h.queries(sentinel.port).myid();
    const events = await h.events(sentinel.port);

    // Pipelined: all three are answered before the failover state machine's first step.
    const conn = await h.raw(sentinel.port);
    const startedAt = Date.now();
    conn.send(['SENTINEL', 'FAILOVER', name]);
    conn.send(['SENTINEL', 'FAILOVER', name]);
    conn.send(['SENTINEL', 'MASTER', name]);
    const [first, second, state] = [await conn.read(), await conn.read(), await conn.read()];
    expect(first.bytes.toString()).toBe('+OK\r\n');
    expect(second.bytes.toString()).toBe('-INPROG Failover already in progress\r\n');
    const during = pairsToRecord(flat(state));
    expect(during.flags).toBe('master,failover_in_progress,force_failover');
    expect(during['failover-state']).toBe('wait_start');

    await events.waitFor({ channel: '+role-change', message: /new reported role is slave$/, since: startedAt }, FAILOVER_DEADLINE_MS);
    const selected = events.find({ channel: '+selected-slave' })!.message;
    const promoted = t.replicas.find((r) => selected === replicaAt(r, name, t.master))!;
    expect(promoted, selected).toBeDefined();
    const other = t.replicas.find((r) => r !== promoted)!;
    const oldMaster = masterAt(name, t.master);
    const promotedBefore = replicaAt(promoted, name, t.master);
    const otherBefore = replicaAt(other, name, t.master);

    expect(eventLines(events.events, { since: startedAt }), dumpEvents(events)).toEqual([
      '+new-epoch 1',
      `+try-failover ${oldMaster}`,
      `+vote-for-leader ${myid} 1`,
      `+elected-leader ${oldMaster}`,
      `+failover-state-select-slave ${oldMaster}`,
      `+selected-slave ${promotedBefore}`,
      `+failover-state-send-slaveof-noone ${promotedBefore}`,
      `+failover-state-wait-promotion ${promotedBefore}`,
      `-role-change ${promotedBefore} new reported role is master`,
      `+promoted-slave ${promotedBefore}`,
      `+failover-state-reconf-slaves ${oldMaster}`,
      `+slave-reconf-sent ${otherBefore}`,
      `+slave-reconf-inprog ${otherBefore}`,
      `+slave-reconf-done ${otherBefore}`,
      `+failover-end ${oldMaster}`,
      `+switch-master ${name} ${t.master.host} ${t.master.port} ${promoted.host} ${promoted.port}`,
      `+slave ${replicaAt(other, name, promoted)}`,
      `+slave ${replicaAt(t.master, name, promoted)}`,
      `-role-change ${replicaAt(t.master, name, promoted)} new reported role is master`,
      `+convert-to-slave ${replicaAt(t.master, name, promoted)}`,
      `+role-change ${replicaAt(t.master, name, promoted)} new reported role is slave`,
    ]);

    expect((await infoFields(promoted.port)).role).toBe('master');
    await waitForReplicaOf(other.port, promoted.port, 10_000);
    await waitForReplicaOf(t.master.port, promoted.port, 10_000);
    const after = await h.queries(sentinel.port).master(name);
    expect([after.port, after.flags, after['config-epoch']]).toEqual([String(promoted.port), 'master', '1']);
    expect(after['failover-state'], 'no failover-state field once it is over').toBeUndefined();
    expect(monitorLine(sentinel, name)).toBe(`sentinel monitor ${name} ${promoted.host} ${promoted.port} 1`);
  });

  it.concurrent('never promotes a replica with replica-priority 0; with only such a replica, -NOGOODSLAVE', async ({ expect }) => {
    const master = await h.startRedis({ name: 'prio-master' });
    const zero = await h.startRedis({ name: 'prio-zero', replicaOf: { port: master.port }, args: ['--replica-priority', '0'] });
    const normal = await h.startRedis({ name: 'prio-normal', replicaOf: { port: master.port } });
    const lone = await h.startRedis({ name: 'lone-master' });
    const loneZero = await h.startRedis({ name: 'lone-zero', replicaOf: { port: lone.port }, args: ['--replica-priority', '0'] });
    await Promise.all([zero, normal, loneZero].map((r) => waitForReplicaSync(r, 10_000)));
    const sentinel = await h.startSentinel({
      name: `prio-sentinel-${implUnderTest()}`,
      monitors: [
        { name: 'prio', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS },
        { name: 'lone', port: lone.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS },
      ],
    });
    await sentinelDebug(sentinel.port, FAST_DEBUG);
    const topologies: Topology[] = [
      { masterName: 'prio', quorum: 1, master, replicas: [zero, normal], sentinels: [sentinel] },
      { masterName: 'lone', quorum: 1, master: lone, replicas: [loneZero], sentinels: [sentinel] },
    ];
    await Promise.all(topologies.map((t) => waitForDiscovery(h, t, 20_000)));
    const priorities = Object.fromEntries(
      (await h.queries(sentinel.port).replicas('prio')).map((r) => [r.port, r['slave-priority']]),
    );
    expect(priorities).toEqual({ [zero.port]: '0', [normal.port]: '100' });

    // The only replica has priority 0: nothing to promote, and nothing starts.
    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'FAILOVER', 'lone'])).toBe('-NOGOODSLAVE No suitable replica to promote');
    expect((await h.queries(sentinel.port).master('lone')).flags).toBe('master');

    // Priority 0 would sort first if it were not excluded: the other replica must win.
    const events = await h.events(sentinel.port);
    const killedAt = Date.now();
    master.kill('SIGKILL');
    const switched = await events.waitFor({ channel: '+switch-master', since: killedAt }, FAILOVER_DEADLINE_MS);
    expect(switched.message).toBe(`prio ${master.host} ${master.port} ${normal.host} ${normal.port}`);
    expect(events.all({ channel: '+selected-slave' }).map((e) => e.message)).toEqual([replicaAt(normal, 'prio', master)]);
    await waitForReplicaOf(zero.port, normal.port, 10_000);

    // Now the priority-0 replica is the only live one (the old master is dead): no candidate again.
    await waitFor(() => h.queries(sentinel.port).replicas('prio'), {
      timeoutMs: 10_000,
      description: 'the priority-0 replica to be known under the new master',
      until: (rs) => rs.some((r) => r.port === String(zero.port) && r['master-link-status'] === 'ok'),
    });
    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'FAILOVER', 'prio'])).toBe('-NOGOODSLAVE No suitable replica to promote');
    expect(monitorLine(sentinel, 'prio')).toBe(`sentinel monitor prio ${normal.host} ${normal.port} 1`);
  });

  it.concurrent('with SLAVEOF and CONFIG renamed on the servers and `sentinel rename-command`, the failover goes through', async ({ expect }) => {
    const renamed = ['--rename-command', 'SLAVEOF', 'MY-SLAVEOF', '--rename-command', 'CONFIG', 'MY-CONFIG'];
    const master = await h.startRedis({ name: 'renamed-master', args: renamed });
    const replica = await h.startRedis({ name: 'renamed-replica', replicaOf: { port: master.port }, args: renamed });
    await waitForReplicaSync(replica, 10_000);
    const sentinel = await h.startSentinel({
      name: `renamed-sentinel-${implUnderTest()}`,
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS }],
      configLines: ['sentinel rename-command mymaster SLAVEOF MY-SLAVEOF', 'sentinel rename-command mymaster CONFIG MY-CONFIG'],
    });
    await sentinelDebug(sentinel.port, FAST_DEBUG);
    await waitForDiscovery(h, { masterName: 'mymaster', quorum: 1, master, replicas: [replica], sentinels: [sentinel] }, 20_000);
    const events = await h.events(sentinel.port);
    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'FAILOVER', 'mymaster'])).toBe('+OK');
    const switched = await events.waitFor({ channel: '+switch-master' }, FAILOVER_DEADLINE_MS);
    expect(switched.message).toBe(`mymaster ${master.host} ${master.port} ${replica.host} ${replica.port}`);
    expect((await infoFields(replica.port)).role).toBe('master');
    // The old master is converted with the renamed command too.
    await events.waitFor({ channel: '+convert-to-slave', message: replicaAt(master, 'mymaster', replica) }, 10_000);
    await waitForReplicaOf(master.port, replica.port, 10_000);
    expect(events.all({ channel: '-failover-abort-slave-timeout' })).toEqual([]);
  });
});

/** A RESP2 flat array reply as plain strings. */
function flat(reply: RawReply): string[] {
  const v = reply.value;
  if (v.type !== 'array') throw new Error(`expected an array, got ${v.type}`);
  return v.items.map((i) => (i.type === 'bulk' || i.type === 'simple' ? i.value : JSON.stringify(i)));
}
