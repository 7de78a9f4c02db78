import { beforeAll, describe, expect, it } from 'vitest';
import { implUnderTest, startTopology, useHarness, waitFor, type Topology } from '../harness/index.js';

/**
 * Two real redis-sentinel peers and one sentinel of the implementation under
 * test monitor the same master: gossip must work in both directions.
 */

const DISCOVERY_TIMEOUT_MS = 20_000;

describe('mixed: 2 real redis-sentinel + 1 under test on one master', () => {
  const h = useHarness('mixed');
  let t: Topology;

  beforeAll(async () => {
    t = await startTopology(h, {
      replicas: 1,
      sentinels: ['redis', 'redis', implUnderTest()],
      quorum: 2,
      downAfterMs: 2000,
    });
  });

  it('each sentinel lists the other two with flags exactly `sentinel` within a bounded time', async () => {
    const ids = await Promise.all(t.sentinels.map((s) => h.queries(s.port).myid()));
    const views = await waitFor(
      () =>
        Promise.all(
          t.sentinels.map(async (s) =>
            (await h.queries(s.port).sentinels(t.masterName)).map((p) => ({ runid: p.runid, port: p.port, ip: p.ip, flags: p.flags })),
          ),
        ),
      {
        timeoutMs: DISCOVERY_TIMEOUT_MS,
        intervalMs: 200,
        description: 'every sentinel to list the other two with flags `sentinel`',
        until: (all) => all.every((peers) => peers.length === 2 && peers.every((p) => p.flags === 'sentinel')),
      },
    );
    t.sentinels.forEach((s, i) => {
      const expected = t.sentinels
        .map((o, j) => ({ runid: ids[j], port: String(o.port), ip: '127.0.0.1', flags: 'sentinel' }))
        .filter((_, j) => j !== i);
      const byRunid = (a: { runid: string }, b: { runid: string }) => a.runid.localeCompare(b.runid);
      expect(views[i].sort(byRunid), `peers seen by ${s.describe()}`).toEqual(expected.sort(byRunid));
    });
  });

  it('each sentinel counts two others and can reach quorum and a majority', async () => {
    for (const s of t.sentinels) {
      const q = h.queries(s.port);
      expect((await q.master(t.masterName))['num-other-sentinels'], s.describe()).toBe('2');
      expect(await q.client.call('SENTINEL', 'CKQUORUM', t.masterName), s.describe()).toBe(
        'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
      );
    }
  });
});
