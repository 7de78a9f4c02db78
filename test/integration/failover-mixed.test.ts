import { describe, it, type ExpectStatic } from 'vitest';
import {
  implUnderTest,
  useHarness,
  waitFor,
  type EventCollector,
  type Harness,
  type RedisServerProcess,
  type SentinelImpl,
  type Topology,
} from '../harness/index.js';
import {
  FAILOVER_CHANNELS,
  configValue,
  countEvents,
  dumpEvents,
  eventLines,
  infoFields,
  masterAt,
  monitorLine,
  replicaAt,
  sentinelReply,
  startTunedTopology,
  waitForReplicaOf,
} from '../harness/failover-kit.js';

/**
 * Real redis-sentinel and ours in one group (2+1 and 1+2): a failover led by
 * ours, then one led by a real sentinel, each started with SENTINEL FAILOVER
 * on the sentinel that must lead. Every sentinel must tell the same story:
 * same switch, same epochs, same replicas, same config files.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;
const FAILOVER_DEADLINE_MS = 20_000;

const LEADER_CHANNELS = new Set([...FAILOVER_CHANNELS, '+config-update-from']);

/** Events only the sentinel that runs the failover may publish. */
const LEADER_ONLY = ['+try-failover', '+elected-leader', '+selected-slave', '+promoted-slave', '+slave-reconf-sent', '+failover-end'];

describe('failover in a group of real redis-sentinel and ours', () => {
  const h = useHarness('failover-mixed');
  const ours = implUnderTest();

  for (const group of [
    // After the two manual failovers, a kill -9 with an election that ours wins with redis votes, and the reverse.
    { label: 'two-real', sentinels: ['redis', 'redis', ours] as SentinelImpl[], oursIndex: 2, electedIndex: 2 },
    { label: 'one-real', sentinels: ['redis', ours, ours] as SentinelImpl[], oursIndex: 1, electedIndex: 0 },
  ]) {
    const electedImpl = group.sentinels[group.electedIndex];
    it.concurrent(`${group.label} (${group.sentinels.join(', ')}): SENTINEL FAILOVER led by ${ours}, then by redis, then kill -9 with ${electedImpl} elected`, async ({ expect }) => {
      const t = await startTunedTopology(h, {
        label: group.label,
        replicas: 2,
        sentinels: group.sentinels,
        quorum: 2,
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      });
      const ids = await Promise.all(t.sentinels.map((s) => h.queries(s.port).myid()));
      const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port)));
      const group1 = { master: t.master, replicas: [...t.replicas] };

      const first = await runLedFailover(h, expect, t, ids, collectors, group1, group.oursIndex, 1);
      // Back to the original master (a lower replica-priority makes it the choice): the one server
      // whose command line has no --replicaof, so that after the kill it returns as a master.
      await h.client(t.master.port).config('SET', 'replica-priority', '50');
      const second = await runLedFailover(h, expect, t, ids, collectors, first, 0, 2);
      expect(second.master.port, 'the second failover went back to the original master').toBe(t.master.port);
      await runElectedFailover(h, expect, t, ids, collectors, second, group.electedIndex, 3);
    });
  }
});

/**
 * kill -9 of the master with the election steered: the chosen sentinel has
 * quorum 1 (ODOWN on its own SDOWN) and the others a much longer down-after,
 * so it asks first and gets their votes through is-master-down-by-addr.
 */
async function runElectedFailover(
  h: Harness,
  expect: ExpectStatic,
  t: Topology,
  ids: string[],
  collectors: EventCollector[],
  from: Placement,
  leaderIndex: number,
  epoch: number,
): Promise<Placement> {
  const name = t.masterName;
  await waitForCandidates(h, t, from, leaderIndex);
  const quorums = t.sentinels.map((_, i) => (i === leaderIndex ? 1 : 2));
  await Promise.all(
    t.sentinels.map(async (s, i) => {
      // With quorum 1, down-after must exceed the reconnect throttle (1 s): right after the switch the
      // link to the new master may wait that long to reconnect, and a spurious SDOWN would be an ODOWN.
      const set = i === leaderIndex ? ['quorum', '1', 'down-after-milliseconds', '2000'] : ['down-after-milliseconds', '6000'];
      expect(await sentinelReply(s.port, ['SENTINEL', 'SET', name, ...set]), s.describe()).toBe('+OK');
    }),
  );

  const since = Date.now();
  from.master.kill('SIGKILL');
  await Promise.all(collectors.map((c) => c.waitFor({ channel: '+switch-master', since }, FAILOVER_DEADLINE_MS)));
  const leaderEvents = collectors[leaderIndex];
  const selected = leaderEvents.find({ channel: '+selected-slave', since })?.message;
  const promoted = from.replicas.find((r) => selected === replicaAt(r, name, from.master));
  expect(promoted, `the steered leader ${t.sentinels[leaderIndex].describe()} ran the failover:\n${dumpEvents(leaderEvents)}`).toBeDefined();
  const oldMaster = masterAt(name, from.master);
  const expected = [
    `+sdown ${oldMaster}`,
    `+odown ${oldMaster} #quorum 1/1`,
    ...leaderSequence(name, from, promoted!, ids[leaderIndex], epoch),
  ];
  const leaderLines = eventLines(leaderEvents.events, { since, channels: LEADER_CHANNELS });
  expect(leaderLines.slice(0, expected.length), `leader ${t.sentinels[leaderIndex].describe()}:\n${dumpEvents(leaderEvents)}`).toEqual(expected);

  for (const [i, c] of collectors.entries()) {
    if (i === leaderIndex) continue;
    const context = `voter ${t.sentinels[i].describe()}:\n${dumpEvents(c)}`;
    const lines = eventLines(c.events, { since });
    // The vote went across implementations, through is-master-down-by-addr.
    expect(lines.filter((l) => l.startsWith('+vote-for-leader ')), context).toEqual([`+vote-for-leader ${ids[leaderIndex]} ${epoch}`]);
    expect(lines, context).toContain(`+new-epoch ${epoch}`);
    const updateAt = lines.indexOf(configUpdateFrom(c, since, t, ids, i, from.master));
    expect(updateAt, context).toBeGreaterThanOrEqual(0);
    expect(lines.slice(updateAt + 1).filter((l) => l.startsWith('+switch-master ') || l.startsWith('+slave ')), context).toEqual([
      ...switchSequence(name, from, promoted!),
    ]);
    for (const channel of LEADER_ONLY) expect(countEvents(c, channel, since), `${channel} on ${context}`).toBe(0);
  }

  // The old master comes back on its port and is converted.
  await from.master.restart();
  return settle(h, expect, t, collectors, from, promoted!, since, epoch, quorums);
}

/**
 * The `+config-update-from` line an observer published: the hello that told
 * it may come from the leader or from another observer that switched first.
 */
function configUpdateFrom(c: EventCollector, since: number, t: Topology, ids: string[], self: number, master: RedisServerProcess): string {
  const line = c.find({ channel: '+config-update-from', since });
  const candidates = t.sentinels.flatMap((s, i) =>
    i === self ? [] : [`+config-update-from sentinel ${ids[i]} ${s.host} ${s.port} @ ${t.masterName} ${master.host} ${master.port}`],
  );
  const seen = line ? `${line.channel} ${line.message}` : '(none)';
  return candidates.includes(seen) ? seen : `one of: ${candidates.join(' | ')}`;
}

interface Placement {
  master: RedisServerProcess;
  replicas: RedisServerProcess[];
}

/** What the leader publishes from the new epoch to the re-added replicas, in Redis's order. */
function leaderSequence(name: string, from: Placement, promoted: RedisServerProcess, leaderId: string, epoch: number): string[] {
  const others = from.replicas.filter((r) => r !== promoted);
  const oldMaster = masterAt(name, from.master);
  const P = replicaAt(promoted, name, from.master);
  return [
    `+new-epoch ${epoch}`,
    `+try-failover ${oldMaster}`,
    `+vote-for-leader ${leaderId} ${epoch}`,
    `+elected-leader ${oldMaster}`,
    `+failover-state-select-slave ${oldMaster}`,
    `+selected-slave ${P}`,
    `+failover-state-send-slaveof-noone ${P}`,
    `+failover-state-wait-promotion ${P}`,
    `+promoted-slave ${P}`,
    `+failover-state-reconf-slaves ${oldMaster}`,
    ...others.flatMap((o) => ['sent', 'inprog', 'done'].map((step) => `+slave-reconf-${step} ${replicaAt(o, name, from.master)}`)),
    `+failover-end ${oldMaster}`,
    ...switchSequence(name, from, promoted),
  ];
}

/** +switch-master and the replicas re-added under the new master, as every sentinel publishes them. */
function switchSequence(name: string, from: Placement, promoted: RedisServerProcess): string[] {
  return [
    `+switch-master ${name} ${from.master.host} ${from.master.port} ${promoted.host} ${promoted.port}`,
    ...from.replicas.filter((r) => r !== promoted).map((o) => `+slave ${replicaAt(o, name, promoted)}`),
    `+slave ${replicaAt(from.master, name, promoted)}`,
  ];
}

/**
 * SENTINEL FAILOVER on sentinel `leaderIndex`, then checks that it led
 * (exact event order), that the others followed through hellos, and that all
 * agree on the result. Returns where the master and replicas are now.
 */
async function runLedFailover(
  h: Harness,
  expect: ExpectStatic,
  t: Topology,
  ids: string[],
  collectors: EventCollector[],
  from: Placement,
  leaderIndex: number,
  epoch: number,
): Promise<Placement> {
  const name = t.masterName;
  const leader = t.sentinels[leaderIndex];
  await waitForCandidates(h, t, from, leaderIndex);
  // Replica priorities as the leader will weigh them (the tests may have changed one with CONFIG SET).
  const priorities = await Promise.all(from.replicas.map(async (r) => (await infoFields(r.port)).slave_priority));
  await waitFor(() => h.queries(leader.port).replicas(name), {
    timeoutMs: 5000,
    description: `${leader.describe()} to know the replicas' priorities ${priorities.join(', ')}`,
    until: (rs) => from.replicas.every((r, i) => rs.some((x) => x.port === String(r.port) && x['slave-priority'] === priorities[i])),
  });

  const since = Date.now();
  expect(await sentinelReply(leader.port, ['SENTINEL', 'FAILOVER', name]), leader.describe()).toBe('+OK');
  await Promise.all(collectors.map((c) => c.waitFor({ channel: '+switch-master', since }, FAILOVER_DEADLINE_MS)));

  const selected = collectors[leaderIndex].find({ channel: '+selected-slave', since })!.message;
  const promoted = from.replicas.find((r) => selected === replicaAt(r, name, from.master))!;
  expect(promoted, `selected: ${selected}`).toBeDefined();
  const leaderEvents = collectors[leaderIndex];
  expect(eventLines(leaderEvents.events, { since, channels: LEADER_CHANNELS }), `leader ${leader.describe()}:\n${dumpEvents(leaderEvents)}`).toEqual(
    leaderSequence(name, from, promoted, ids[leaderIndex], epoch),
  );

  for (const [i, c] of collectors.entries()) {
    if (i === leaderIndex) continue;
    const context = `observer ${t.sentinels[i].describe()}:\n${dumpEvents(c)}`;
    expect(eventLines(c.events, { since, channels: LEADER_CHANNELS }), context).toEqual([
      // The epoch may be learnt from a hello before the new configuration is.
      ...(c.find({ channel: '+new-epoch', message: String(epoch), since }) ? [`+new-epoch ${epoch}`] : []),
      configUpdateFrom(c, since, t, ids, i, from.master),
      ...switchSequence(name, from, promoted),
    ]);
    for (const channel of LEADER_ONLY) expect(countEvents(c, channel, since), `${channel} on ${context}`).toBe(0);
  }

  return settle(h, expect, t, collectors, from, promoted, since, epoch, t.sentinels.map(() => 2));
}

/**
 * After a switch to `promoted`: the data path follows (the old master once
 * converted) and every sentinel agrees on the master, epochs, replicas and
 * config file. `quorums` are the sentinels' own quorums for the monitor line.
 */
async function settle(
  h: Harness,
  expect: ExpectStatic,
  t: Topology,
  collectors: EventCollector[],
  from: Placement,
  promoted: RedisServerProcess,
  since: number,
  epoch: number,
  quorums: number[],
): Promise<Placement> {
  const name = t.masterName;
  const others = from.replicas.filter((r) => r !== promoted);
  // The data path: everyone replicates from the promoted replica, the old master once converted.
  expect((await infoFields(promoted.port)).role).toBe('master');
  await Promise.all([...others, from.master].map((r) => waitForReplicaOf(r.port, promoted.port, 15_000)));
  const converted = collectors.flatMap((c) => c.all({ channel: '+convert-to-slave', since }));
  expect(converted.length, 'the old master was converted by at least one sentinel').toBeGreaterThan(0);
  for (const e of converted) expect(e.message).toBe(replicaAt(from.master, name, promoted));

  // Everyone agrees: same master, epochs, replicas and config.
  const now: Placement = { master: promoted, replicas: [...others, from.master] };
  const expectedReplicas = now.replicas.map((r) => `${r.host}:${r.port} slave ok ${promoted.port}`).sort();
  const views = await waitFor(
    () =>
      Promise.all(
        t.sentinels.map(async (s) => {
          const q = h.queries(s.port);
          const m = await q.master(name);
          const replicas = (await q.replicas(name)).map((r) => `${r.name} ${r.flags} ${r['master-link-status']} ${r['master-port']}`).sort();
          return {
            master: [m.ip, m.port, m.flags, m['config-epoch'], m['num-slaves'], m['num-other-sentinels']],
            addr: await q.masterAddr(name),
            replicas,
            config: [
              monitorLine(s, name),
              configValue(s, `sentinel config-epoch ${name}`),
              configValue(s, 'sentinel current-epoch'),
              s.configLines(`sentinel known-replica ${name}`).sort().join('; '),
            ],
          };
        }),
      ),
    {
      timeoutMs: 15_000,
      intervalMs: 200,
      description: `every sentinel to agree on the master at port ${promoted.port}, epoch ${epoch}`,
      until: (all) => all.every((v) => JSON.stringify(v.replicas) === JSON.stringify(expectedReplicas) && v.config[2] === String(epoch)),
    },
  );
  for (const [i, v] of views.entries()) {
    const s = t.sentinels[i];
    expect(v.master, s.describe()).toEqual([promoted.host, String(promoted.port), 'master', String(epoch), '2', '2']);
    expect(v.addr, s.describe()).toEqual([promoted.host, String(promoted.port)]);
    expect(v.config, s.describe()).toEqual([
      `sentinel monitor ${name} ${promoted.host} ${promoted.port} ${quorums[i]}`,
      String(epoch),
      String(epoch),
      now.replicas.map((r) => `sentinel known-replica ${name} ${r.host} ${r.port}`).sort().join('; '),
    ]);
  }
  for (const c of collectors) expect(countEvents(c, '+switch-master', since), `port ${c.port}`).toBe(1);
  return now;
}

/**
 * The sentinel that will lead must see every replica as a good candidate
 * (link up, fresh INFO, replicating from the current master); a replica still
 * claiming to be master (the old one before its conversion) must be settled.
 */
async function waitForCandidates(h: Harness, t: Topology, at: Placement, leaderIndex: number): Promise<void> {
  const q = h.queries(t.sentinels[leaderIndex].port);
  await waitFor(() => q.replicas(t.masterName), {
    timeoutMs: 15_000,
    intervalMs: 200,
    description: `sentinel ${t.sentinels[leaderIndex].describe()} to see ${at.replicas.length} healthy replicas of port ${at.master.port}`,
    until: (rs) =>
      rs.length === at.replicas.length &&
      rs.every(
        (r) =>
          r.flags === 'slave' &&
          r['role-reported'] === 'slave' &&
          r['master-link-status'] === 'ok' &&
          r['master-port'] === String(at.master.port),
      ),
  });
}
