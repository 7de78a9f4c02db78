import { describe, expect, it } from 'vitest';
import { sentinelDebug } from '../harness/failover-kit.js';
import { useHarness } from '../harness/harness.js';
import { freePorts } from '../harness/ports.js';
import { RedisDouble, type InstanceSpec } from '../harness/redis-double.js';
import { waitFor } from '../harness/wait-for.js';

/**
 * The test double behind the many-masters bench (test/harness/redis-double.ts) must look to
 * both sentinels as real Redis servers do: replicas found from INFO, peers from hellos, and
 * a failover that promotes a replica. Checked with redis-sentinel and ours side by side.
 */

const MASTERS = 3;

describe('the many-masters test double, as both sentinels see it', () => {
  const h = useHarness('redis-double');

  it('replicas and peers are discovered, and a killed master is failed over', async () => {
    const ports = await freePorts(MASTERS * 2);
    const specs: InstanceSpec[] = [];
    for (let i = 0; i < MASTERS; i++) specs.push({ port: ports[2 * i] }, { port: ports[2 * i + 1], replicaOf: ports[2 * i] });
    const double = new RedisDouble(specs);
    await double.start();
    try {
      const monitors = Array.from({ length: MASTERS }, (_, i) => ({ name: `m${i}`, port: ports[2 * i], quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000 }));
      const sentinels = await Promise.all((['redis', 'ours'] as const).map((impl) => h.startSentinel({ impl, monitors })));
      await Promise.all(sentinels.map((s) => sentinelDebug(s.port, ['info-period', '1000', 'publish-period', '500'])));
      for (const s of sentinels) {
        const q = h.queries(s.port);
        for (let i = 0; i < MASTERS; i++) {
          await waitFor(async () => ({ replicas: await q.replicas(`m${i}`), peers: await q.sentinels(`m${i}`) }), {
            timeoutMs: 20_000,
            intervalMs: 200,
            description: `${s.impl} on port ${s.port} to see m${i}'s replica and the other sentinel`,
            until: (v) => v.replicas.length === 1 && v.replicas[0].port === String(ports[2 * i + 1]) && v.peers.length === 1,
          });
        }
      }
      const events = await Promise.all(sentinels.map((s) => h.events(s.port)));
      double.kill(ports[0]);
      const switches = await Promise.all(
        events.map((e) => e.waitFor({ channel: '+switch-master', message: `m0 127.0.0.1 ${ports[0]} 127.0.0.1 ${ports[1]}` }, 30_000)),
      );
      expect(switches).toHaveLength(2);
      for (const s of sentinels) expect(await h.queries(s.port).masterAddr('m0')).toEqual(['127.0.0.1', String(ports[1])]);
    } finally {
      double.stop();
    }
  }, 90_000);
});
