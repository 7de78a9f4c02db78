import { describe, it } from 'vitest';
import { implUnderTest, sentinelsUnderTest, useHarness, waitFor } from '../harness/index.js';
import { waitForDiscovery, waitForReplicaSync } from '../harness/topology.js';
import {
  configValue,
  dumpEvents,
  eventLines,
  FAST_DEBUG,
  masterAt,
  monitorLine,
  replicaAt,
  sentinelDebug,
  sentinelReply,
  startTunedTopology,
  waitForReplicaOf,
} from '../harness/failover-kit.js';

/**
 * Sentinels repairing what went wrong: a replica replicating from the wrong
 * server (+fix-slave-config), and a leader that dies right after winning the
 * election (SENTINEL SIMULATE-FAILURE crash-after-election): the survivors
 * wait out 2 × failover-timeout and fail over in the next epoch.
 */

const DOWN_AFTER_MS = 1000;

describe('sentinels repair', () => {
  const h = useHarness('failover-repair');

  it.concurrent('a replica pointed at another replica is pointed back at the master after failover-timeout (+fix-slave-config)', async ({ expect }) => {
    const failoverTimeoutMs = 3000;
    const master = await h.startRedis({ name: 'fix-master' });
    const replicas = await Promise.all(['fix-replica1', 'fix-replica2'].map((name) => h.startRedis({ name, replicaOf: { port: master.port } })));
    await Promise.all(replicas.map((r) => waitForReplicaSync(r, 10_000)));
    const sentinel = await h.startSentinel({
      name: `fix-sentinel-${implUnderTest()}`,
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs }],
    });
    await sentinelDebug(sentinel.port, FAST_DEBUG);
    await waitForDiscovery(h, { masterName: 'mymaster', quorum: 1, master, replicas, sentinels: [sentinel] }, 20_000);
    const events = await h.events(sentinel.port);

    const [good, wrong] = replicas;
    const movedAt = Date.now();
    expect(await h.client(wrong.port).call('REPLICAOF', good.host, String(good.port))).toBe('OK');
    await waitForReplicaOf(wrong.port, good.port, 5000);
    const fixed = await events.waitFor({ channel: '+fix-slave-config' }, 15_000);
    expect(fixed.message).toBe(replicaAt(wrong, 'mymaster', master));
    // Not before the replica has been misconfigured for failover-timeout.
    expect(fixed.time - movedAt).toBeGreaterThanOrEqual(failoverTimeoutMs);
    await waitForReplicaOf(wrong.port, master.port, 5000);
    expect(events.all({ channel: '+fix-slave-config' }), dumpEvents(events)).toHaveLength(1);
    expect(events.all({ channel: '+switch-master' })).toEqual([]);
  });

  it.concurrent('the elected leader crashes (crash-after-election): the others fail over in epoch 2 after 2 × failover-timeout', async ({ expect }) => {
    const failoverTimeoutMs = 6000;
    const t = await startTunedTopology(h, {
      label: 'crash',
      replicas: 1,
      sentinels: sentinelsUnderTest(3),
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs,
    });
    const name = t.masterName;
    const [doomed, successor, voter] = t.sentinels;
    const [doomedId, successorId] = await Promise.all([doomed, successor].map((s) => h.queries(s.port).myid()));
    const [replica] = t.replicas;
    // Steering: the doomed one sees ODOWN alone (quorum 1) and first; the voter can never see ODOWN
    // (quorum 3 with one sentinel dead), so only the successor starts the second attempt.
    const settings: Array<[typeof doomed, string[]]> = [
      [doomed, ['quorum', '1', 'down-after-milliseconds', '2000']],
      [successor, ['down-after-milliseconds', '3000']],
      [voter, ['quorum', '3', 'down-after-milliseconds', '3000']],
    ];
    for (const [s, set] of settings) expect(await sentinelReply(s.port, ['SENTINEL', 'SET', name, ...set])).toBe('+OK');
    expect(await sentinelReply(doomed.port, ['SENTINEL', 'SIMULATE-FAILURE', 'crash-after-election'])).toBe('+OK');
    await doomed.process.waitForLog(/# Failure simulation: this Sentinel will crash after being successfully elected as failover leader$/);
    const [successorEvents, voterEvents] = await Promise.all([successor, voter].map((s) => h.events(s.port)));

    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    const M = masterAt(name, t.master);
    const exit = await doomed.process.waitForExit(15_000);
    expect(exit.code, doomed.process.logTail(20)).toBe(99);
    const doomedLog = doomed.process.log().split('\n');
    const elected = doomedLog.findIndex((l) => l.endsWith(`# +elected-leader ${M}`));
    expect(elected, doomed.process.logTail(20)).toBeGreaterThanOrEqual(0);
    expect(doomedLog.slice(elected + 1).filter(Boolean), 'the crash follows the election at once').toEqual([
      expect.stringMatching(/# Sentinel CRASH because of SENTINEL simulate-failure$/),
    ]);
    const votedAt = await Promise.all(
      [successorEvents, voterEvents].map(async (c) => (await c.waitFor({ channel: '+vote-for-leader', message: `${doomedId} 1` }, 1000)).time),
    );

    const switched = await Promise.all([successorEvents, voterEvents].map((c) => c.waitFor({ channel: '+switch-master' }, 25_000)));
    const switchMessage = `${name} ${t.master.host} ${t.master.port} ${replica.host} ${replica.port}`;
    expect(switched.map((e) => e.message)).toEqual([switchMessage, switchMessage]);
    const R = replicaAt(replica, name, t.master);
    const lines = eventLines(successorEvents.events, { since: killedAt });
    const from = lines.indexOf('+new-epoch 2');
    expect(lines.slice(from, from + 4), dumpEvents(successorEvents)).toEqual([
      '+new-epoch 2',
      `+try-failover ${M}`,
      `+vote-for-leader ${successorId} 2`,
      `+elected-leader ${M}`,
    ]);
    expect(lines, dumpEvents(successorEvents)).toContain(`+promoted-slave ${R}`);
    // The vote for the dead leader blocked the successor for 2 × failover-timeout (plus up to 1 s of desync).
    const triedAt = successorEvents.find({ channel: '+try-failover' })!.time;
    expect(triedAt - votedAt[0]).toBeGreaterThanOrEqual(2 * failoverTimeoutMs - 100);
    expect(triedAt - votedAt[0]).toBeLessThan(2 * failoverTimeoutMs + 2500);
    await successor.process.waitForLog(/# Next failover delay: I will not start a failover before \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/, { timeoutMs: 1000 });
    expect(voterEvents.all({ channel: '+vote-for-leader' }).map((e) => e.message)).toEqual([`${doomedId} 1`, `${successorId} 2`]);
    expect(voterEvents.find({ channel: '+try-failover' })).toBeUndefined();

    // The crashed sentinel comes back from its config file and learns the new master from hellos.
    await doomed.restart();
    const back = await h.events(doomed.port);
    await back.waitFor({ channel: '+switch-master', message: switchMessage }, 15_000);
    await waitFor(() => [monitorLine(doomed, name), configValue(doomed, `sentinel config-epoch ${name}`)], {
      timeoutMs: 5000,
      description: 'the restarted sentinel to save the new master with config-epoch 2',
      until: ([m, e]) => m === `sentinel monitor ${name} ${replica.host} ${replica.port} 1` && e === '2',
    });
    for (const s of t.sentinels) expect(await h.queries(s.port).masterAddr(name), s.describe()).toEqual([replica.host, String(replica.port)]);
  });
});
