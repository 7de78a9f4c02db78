import { describe, it } from 'vitest';
import { implUnderTest, useHarness, waitFor, type RedisServerProcess } from '../harness/index.js';
import { waitForDiscovery, waitForReplicaSync } from '../harness/topology.js';
import {
  dumpEvents,
  eventLines,
  FAST_DEBUG,
  infoFields,
  masterAt,
  replicaAt,
  sentinelDebug,
  sentinelReply,
} from '../harness/failover-kit.js';
import type { Harness } from '../harness/index.js';

/**
 * Failovers that hit a timeout because a replica ignores SLAVEOF (the command
 * is renamed away on that server, so the sentinel's MULTI/EXEC aborts):
 * the promotion never shows up (-failover-abort-slave-timeout), or a replica
 * never starts reconfiguring (-slave-reconf-sent-timeout, Redis's "sent again
 * in the same pass" quirk, then +failover-end).
 */

const DOWN_AFTER_MS = 1000;
const DEAF_TO_SLAVEOF = ['--rename-command', 'SLAVEOF', ''];

describe('failover timeouts', () => {
  const h = useHarness('failover-timeouts');

  it.concurrent('the selected replica never becomes master: -failover-abort-slave-timeout after failover-timeout', async ({ expect }) => {
    const failoverTimeoutMs = 3000;
    const { master, replicas, sentinel } = await start(h, 'abort', [DEAF_TO_SLAVEOF], failoverTimeoutMs);
    const [deaf] = replicas;
    const myid = await h.queries(sentinel.port).myid();
    const events = await h.events(sentinel.port);
    const M = masterAt('mymaster', master);
    const R = replicaAt(deaf, 'mymaster', master);

    const startedAt = Date.now();
    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'FAILOVER', 'mymaster'])).toBe('+OK');
    const abort = await events.waitFor({ channel: '-failover-abort-slave-timeout' }, failoverTimeoutMs + 5000);
    expect(eventLines(events.events, { since: startedAt }), dumpEvents(events)).toEqual([
      '+new-epoch 1',
      `+try-failover ${M}`,
      `+vote-for-leader ${myid} 1`,
      `+elected-leader ${M}`,
      `+failover-state-select-slave ${M}`,
      `+selected-slave ${R}`,
      `+failover-state-send-slaveof-noone ${R}`,
      `+failover-state-wait-promotion ${R}`,
      `-failover-abort-slave-timeout ${M}`,
    ]);
    const waitPromotionAt = events.find({ channel: '+failover-state-wait-promotion' })!.time;
    expect(abort.time - waitPromotionAt).toBeGreaterThanOrEqual(failoverTimeoutMs - 100);
    // Back to normal: no failover, the replica no longer flagged promoted, nothing moved.
    const q = h.queries(sentinel.port);
    expect((await q.master('mymaster')).flags).toBe('master');
    expect((await q.replicas('mymaster')).map((r) => r.flags)).toEqual(['slave']);
    expect(await q.masterAddr('mymaster')).toEqual([master.host, String(master.port)]);
    expect((await infoFields(deaf.port)).role).toBe('slave');
  });

  it.concurrent('parallel-syncs 1 and two replicas that ignore SLAVEOF: +failover-end-for-timeout, then a best-effort SLAVEOF to the one never tried', async ({ expect }) => {
    const failoverTimeoutMs = 4000;
    // The deaf replicas are the least preferred, so the good one is promoted.
    const deafArgs = [...DEAF_TO_SLAVEOF, '--replica-priority', '200'];
    const { master, replicas, sentinel } = await start(h, 'endtimeout', [[], deafArgs, deafArgs], failoverTimeoutMs);
    const [good, ...deaf] = replicas;
    // Never reached: with parallel-syncs 1 the stuck replica fills the only slot, and the per-replica
    // timeout is only checked while walking for a free slot.
    await sentinelDebug(sentinel.port, ['slave-reconf-timeout', '1000']);
    const lines = await failoverUntilSwitch(h, sentinel.port, master, good);
    const M = masterAt('mymaster', master);
    // Which deaf replica gets the slot first depends on the order of Redis's replica table.
    const first = deaf.find((d) => lines.tail[0] === `+slave-reconf-sent ${replicaAt(d, 'mymaster', master)}`);
    expect(first, lines.tail.join('\n')).toBeDefined();
    const other = deaf.find((d) => d !== first)!;
    expect(lines.tail).toEqual([
      `+slave-reconf-sent ${replicaAt(first!, 'mymaster', master)}`,
      `+failover-end-for-timeout ${M}`,
      `+failover-end ${M}`,
      `+slave-reconf-sent-be ${replicaAt(other, 'mymaster', master)}`,
      lines.switchLine,
    ]);
    expect(lines.at('+failover-end-for-timeout') - lines.at('+failover-state-reconf-slaves')).toBeGreaterThanOrEqual(failoverTimeoutMs - 100);
    for (const d of deaf) expect((await infoFields(d.port)).master_port, 'a deaf replica still follows the old master').toBe(String(master.port));
  });

  it.concurrent('parallel-syncs 2 and a replica that ignores SLAVEOF: -slave-reconf-sent-timeout, SLAVEOF sent again in the same pass, then +failover-end', async ({ expect }) => {
    const { master, replicas, sentinel } = await start(h, 'senttimeout', [[], [...DEAF_TO_SLAVEOF, '--replica-priority', '200']], 10_000, 2);
    const [good, deaf] = replicas;
    await sentinelDebug(sentinel.port, ['slave-reconf-timeout', '1500']);
    const lines = await failoverUntilSwitch(h, sentinel.port, master, good);
    const D = replicaAt(deaf, 'mymaster', master);
    expect(lines.tail).toEqual([
      `+slave-reconf-sent ${D}`,
      `-slave-reconf-sent-timeout ${D}`,
      `+slave-reconf-sent ${D}`,
      `+failover-end ${masterAt('mymaster', master)}`,
      lines.switchLine,
    ]);
    expect(lines.at('-slave-reconf-sent-timeout') - lines.at('+slave-reconf-sent')).toBeGreaterThanOrEqual(1400);
    expect((await infoFields(deaf.port)).master_port, 'the deaf replica still follows the old master').toBe(String(master.port));
  });

  it.concurrent('while the promoted replica is SDOWN the reconfiguration neither ends nor times out; it ends once it is back', async ({ expect }) => {
    const failoverTimeoutMs = 3000;
    const { master, replicas, sentinel } = await start(h, 'promoteddown', [[], [...DEAF_TO_SLAVEOF, '--replica-priority', '200']], failoverTimeoutMs);
    const [good, deaf] = replicas;
    const events = await h.events(sentinel.port);
    const M = masterAt('mymaster', master);
    const since = Date.now();
    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'FAILOVER', 'mymaster'])).toBe('+OK');
    // The deaf replica holds the only reconfiguration slot, so the failover waits in reconf_slaves.
    await events.waitFor({ channel: '+slave-reconf-sent', message: replicaAt(deaf, 'mymaster', master), since }, 10_000);
    const reconfAt = events.find({ channel: '+failover-state-reconf-slaves', since })!.time;
    good.kill('SIGSTOP');
    await events.waitFor({ channel: '+sdown', message: replicaAt(good, 'mymaster', master), since }, 5000);
    const ending = ['+failover-end-for-timeout', '+failover-end', '+switch-master'];
    // Well past failover-timeout in reconf_slaves: still nothing.
    await waitFor(() => ending.some((channel) => events.find({ channel, since })), {
      timeoutMs: reconfAt + failoverTimeoutMs + 2000 - Date.now(),
      description: 'an end of the failover while the promoted replica is down',
    }).then(
      () => expect.fail(`the failover ended while the promoted replica was SDOWN:\n${dumpEvents(events)}`),
      () => undefined,
    );
    expect((await h.queries(sentinel.port).master('mymaster'))['failover-state']).toBe('reconf_slaves');

    good.kill('SIGCONT');
    await events.waitFor({ channel: '+switch-master', since }, 10_000);
    const tail = eventLines(events.events, { since }).filter((l) => /^[-+](sdown|failover-end|failover-end-for-timeout|switch-master) /.test(l));
    expect(tail, dumpEvents(events)).toEqual([
      `+sdown ${replicaAt(good, 'mymaster', master)}`,
      `-sdown ${replicaAt(good, 'mymaster', master)}`,
      `+failover-end-for-timeout ${M}`,
      `+failover-end ${M}`,
      `+switch-master mymaster ${master.host} ${master.port} ${good.host} ${good.port}`,
    ]);
  });
});

/** A master, replicas started with the given extra arguments, one sentinel (quorum 1), discovery done. */
async function start(
  h: Harness,
  label: string,
  replicaArgs: string[][],
  failoverTimeoutMs: number,
  parallelSyncs?: number,
): Promise<{ master: RedisServerProcess; replicas: RedisServerProcess[]; sentinel: Awaited<ReturnType<Harness['startSentinel']>> }> {
  const master = await h.startRedis({ name: `${label}-master` });
  const replicas = await Promise.all(
    replicaArgs.map((args, i) => h.startRedis({ name: `${label}-replica${i + 1}`, replicaOf: { port: master.port }, args })),
  );
  await Promise.all(replicas.map((r) => waitForReplicaSync(r, 10_000)));
  const sentinel = await h.startSentinel({
    name: `${label}-sentinel-${implUnderTest()}`,
    monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs, parallelSyncs }],
  });
  await sentinelDebug(sentinel.port, FAST_DEBUG);
  await waitForDiscovery(h, { masterName: 'mymaster', quorum: 1, master, replicas, sentinels: [sentinel] }, 20_000);
  return { master, replicas, sentinel };
}

/**
 * SENTINEL FAILOVER on a one-sentinel group, up to +switch-master: checks the
 * fixed head of the leader sequence (election, promotion of `promoted`) and
 * returns what came after +failover-state-reconf-slaves, with arrival times.
 */
async function failoverUntilSwitch(h: Harness, port: number, master: RedisServerProcess, promoted: RedisServerProcess) {
  const myid = await h.queries(port).myid();
  const events = await h.events(port);
  const M = masterAt('mymaster', master);
  const P = replicaAt(promoted, 'mymaster', master);
  const switchLine = `+switch-master mymaster ${master.host} ${master.port} ${promoted.host} ${promoted.port}`;
  const since = Date.now();
  const reply = await sentinelReply(port, ['SENTINEL', 'FAILOVER', 'mymaster']);
  if (reply !== '+OK') throw new Error(`SENTINEL FAILOVER: ${reply}`);
  await events.waitFor({ channel: '+switch-master', since }, 20_000);
  const lines = eventLines(events.events, { since });
  const head = [
    '+new-epoch 1',
    `+try-failover ${M}`,
    `+vote-for-leader ${myid} 1`,
    `+elected-leader ${M}`,
    `+failover-state-select-slave ${M}`,
    `+selected-slave ${P}`,
    `+failover-state-send-slaveof-noone ${P}`,
    `+failover-state-wait-promotion ${P}`,
    `-role-change ${P} new reported role is master`,
    `+promoted-slave ${P}`,
    `+failover-state-reconf-slaves ${M}`,
  ];
  const context = dumpEvents(events);
  if (JSON.stringify(lines.slice(0, head.length)) !== JSON.stringify(head)) {
    throw new Error(`unexpected start of the failover:\n${context}`);
  }
  const tail = lines.slice(head.length, lines.indexOf(switchLine) + 1);
  return {
    tail,
    switchLine,
    /** When the first event of this channel arrived. */
    at: (channel: string) => events.find({ channel, since })!.time,
  };
}
