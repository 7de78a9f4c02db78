import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { flagsOf, useHarness, waitFor, type SentinelImpl } from '../harness/index.js';

/**
 * `sentinel resolve-hostnames yes` with real name resolution: the names used
 * resolve on any machine without changing it (`localhost`, and this machine's
 * own name, which /etc/hosts or DNS maps to one of its addresses). The same
 * scenario runs against our daemon and the real redis-sentinel.
 */

const THIS_HOST = hostname();
const DISCOVERY_MS = 20_000;

describe.each<SentinelImpl>(['ours', 'redis'])('resolve-hostnames yes (%s)', (impl) => {
  const h = useHarness(`resolve-hostnames-${impl}`, { scope: 'test' });

  it('monitors a master named by hostname, discovers its replica, and shows the name with announce-hostnames', async () => {
    const master = await h.startRedis();
    const replica = await h.startRedis({ replicaOf: { port: master.port } });
    // Announces a name: the master's INFO lists it as slave0:ip=<name>, which must be resolved.
    const named = await h.startRedis({ replicaOf: { port: master.port }, args: ['--replica-announce-ip', THIS_HOST] });
    const sentinel = await h.startSentinel({
      impl,
      monitors: [{ name: 'm', host: 'localhost', port: master.port, quorum: 1 }],
      configLines: ['sentinel resolve-hostnames yes'],
    });
    const q = h.queries(sentinel.port);

    expect(await q.master('m')).toMatchObject({ name: 'm', ip: '127.0.0.1', port: String(master.port) });
    const found = (await waitFor(async () => (await q.replicas('m')).find((r) => r.port === String(replica.port)) ?? null, {
      timeoutMs: DISCOVERY_MS,
      description: `replica ${replica.port} in SENTINEL REPLICAS m`,
    }))!;
    expect(found).toMatchObject({ ip: '127.0.0.1', name: `127.0.0.1:${replica.port}` });
    expect(flagsOf(found)).toContain('slave');
    const foundNamed = (await waitFor(async () => (await q.replicas('m')).find((r) => r.port === String(named.port)) ?? null, {
      timeoutMs: DISCOVERY_MS,
      description: `replica ${named.port}, announced as ${THIS_HOST}, in SENTINEL REPLICAS m`,
    }))!;
    expect(foundNamed.ip).toMatch(/^(127\.\d+\.\d+\.\d+|::1)$/);
    expect(foundNamed.name).toBe(`${foundNamed.ip}:${named.port}`);

    expect(await q.client.call('SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'yes')).toBe('OK');
    expect((await q.master('m')).ip).toBe('localhost');
    expect(await q.masterAddr('m')).toEqual(['localhost', String(master.port)]);
    // A replica keeps the name it was created under; its ip field follows the setting.
    expect((await q.replicas('m')).find((r) => r.port === String(named.port))).toMatchObject({
      ip: THIS_HOST,
      name: foundNamed.name,
    });

    // A hostname never seen before, given by a client: accepted on the first try, as Redis does.
    expect(await q.client.call('SENTINEL', 'MONITOR', 'm2', THIS_HOST, String(replica.port), '1')).toBe('OK');
    expect((await q.master('m2')).ip).toBe(THIS_HOST);
    // The config keeps the form announce-hostnames gives: the names now, the addresses later.
    expect(sentinel.configLines('sentinel monitor').sort()).toEqual([
      `sentinel monitor m localhost ${master.port} 1`,
      `sentinel monitor m2 ${THIS_HOST} ${replica.port} 1`,
    ]);

    expect(await q.client.call('SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'no')).toBe('OK');
    const m2ip = (await q.master('m2')).ip!;
    expect(m2ip).toMatch(/^(127\.\d+\.\d+\.\d+|::1)$/);
    expect(sentinel.configLines('sentinel monitor').sort()).toEqual([
      `sentinel monitor m 127.0.0.1 ${master.port} 1`,
      `sentinel monitor m2 ${m2ip} ${replica.port} 1`,
    ]);
  });

  it('refuses a hostname while resolve-hostnames is off', async () => {
    const master = await h.startRedis();
    const sentinel = await h.startSentinel({ impl, monitors: [] });
    const client = h.client(sentinel.port);
    await expect(client.call('SENTINEL', 'MONITOR', 'm', 'localhost', String(master.port), '1')).rejects.toThrow(
      'ERR Invalid IP address or hostname specified',
    );
  });
});

describe('hello messages that carry a hostname (ours and the real redis-sentinel together)', () => {
  const h = useHarness('resolve-hostnames-hello', { scope: 'test' });

  it('each sentinel finds the other through an announce-ip that is a hostname', async () => {
    const master = await h.startRedis();
    const lines = ['sentinel resolve-hostnames yes', `sentinel announce-ip ${THIS_HOST}`];
    const monitors = [{ name: 'm', host: 'localhost', port: master.port, quorum: 1 }];
    const [ours, real] = await Promise.all([
      h.startSentinel({ impl: 'ours', name: 'ours', monitors, configLines: lines }),
      h.startSentinel({ impl: 'redis', name: 'real', monitors, configLines: lines }),
    ]);
    for (const [self, other] of [
      [ours, real],
      [real, ours],
    ] as const) {
      const q = h.queries(self.port);
      const peer = (await waitFor(async () => (await q.sentinels('m')).find((s) => s.port === String(other.port)) ?? null, {
        timeoutMs: DISCOVERY_MS,
        description: `${self.name} to list ${other.name} in SENTINEL SENTINELS m`,
      }))!;
      // The hello said THIS_HOST; the peer is kept under the address it resolves to.
      expect(peer.ip).toMatch(/^(127\.\d+\.\d+\.\d+|::1)$/);
      expect(await q.client.call('SENTINEL', 'CONFIG', 'SET', 'announce-hostnames', 'yes')).toBe('OK');
      expect((await q.sentinels('m')).find((s) => s.port === String(other.port))?.ip).toBe(THIS_HOST);
    }
  });
});
