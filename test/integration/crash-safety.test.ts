import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useHarness, waitFor } from '../harness/index.js';

/**
 * kill -9 while the config file is being rewritten, over and over: every
 * restart must load the file, and it must hold either the value of the last
 * acknowledged SENTINEL SET or the one in flight, never a torn mix.
 */

const KILLS = 12;

describe('the config file under kill -9', () => {
  const h = useHarness('crash-safety');

  it('survives SIGKILL during rewrites: every restart loads, and the last acknowledged value is kept', async () => {
    const master = await h.startRedis();
    const sentinel = await h.startSentinel({
      impl: 'ours',
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: 5000 }],
    });
    let value = 5000;
    for (let kill = 0; kill < KILLS; kill++) {
      const client = new Redis({
        port: sentinel.port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      });
      client.on('error', () => {});
      await client.connect();
      const start = value;
      let acknowledged = value;
      let writing = true;
      const writer = (async () => {
        while (writing) {
          const next = value + 1;
          try {
            await client.call('SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', String(next));
            value = next;
            acknowledged = next;
          } catch {
            return;
          }
        }
      })();
      await waitFor(() => (acknowledged >= start + 5 ? true : null), {
        timeoutMs: 10_000,
        description: 'a few SENTINEL SETs acknowledged before the kill',
      });
      sentinel.kill('SIGKILL');
      writing = false;
      await writer;
      client.disconnect();

      await sentinel.restart();
      const shown = await h.queries(sentinel.port).master('mymaster');
      const kept = Number(shown['down-after-milliseconds']);
      // The SET in flight at the kill may or may not have reached the disk; nothing older may be lost.
      expect([acknowledged, acknowledged + 1]).toContain(kept);
      value = kept;
    }
    expect(sentinel.configLines('sentinel down-after-milliseconds mymaster')).toEqual([
      `sentinel down-after-milliseconds mymaster ${value}`,
    ]);
  });
});
