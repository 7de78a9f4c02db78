import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipeWorkers } from '../../src/proxy/pipe-workers.js';
import { TcpProxy } from '../../src/proxy/tcp-proxy.js';
import { freeLowPort, useHarness, waitFor } from '../harness/index.js';

/**
 * Beyond Redis: the proxy's worker processes when none can start (a Node without what they
 * need, no memory for a process). Here the worker script is one that exits half a second after
 * it starts, never ready.
 */
describe('proxy workers that cannot start', () => {
  const h = useHarness('proxy-workers', { scope: 'test' });

  it('are not started again past three failures in a row; sessions are then piped in the sentinel process', async () => {
    const redis = await h.startRedis();
    const script = join(h.root, 'never-ready.mjs');
    writeFileSync(script, 'setTimeout(() => process.exit(1), 500);\n');
    const logs: string[] = [];
    const workers = new PipeWorkers(2, (level, message) => logs.push(`${level} ${message}`), script);
    const port = await freeLowPort();
    const proxy = new TcpProxy({
      port,
      bind: ['127.0.0.1'],
      holdMs: 1000,
      route: () => ({ host: '127.0.0.1', port: redis.port }),
      keeps: () => true,
      log: () => undefined,
      label: 'test',
      workers,
    });
    try {
      workers.start();
      await proxy.listen();
      // A session handed to a worker that never gets ready is closed, not left open.
      const early = connect(port, '127.0.0.1');
      let earlyClosed = false;
      early.once('close', () => (earlyClosed = true));
      early.on('error', () => undefined);

      await waitFor(() => logs.filter((l) => l.includes('piping sessions in this process')), {
        timeoutMs: 10_000,
        description: 'the proxy to give up on its workers',
        until: (l) => l.length === 1,
      });
      // Two at start, each replaced once: four failed starts, the third and fourth not replaced.
      expect(logs.filter((l) => l.includes('starting another'))).toHaveLength(2);
      expect(logs).toContain('warning Proxy workers exit before they are ready (4 in a row); piping sessions in this process');
      await waitFor(() => earlyClosed, { timeoutMs: 3000, description: 'the session handed to a worker that never got ready to close', until: (closed) => closed });

      const client = h.client(port);
      expect(await client.set('k', 'v')).toBe('OK');
      expect(await client.get('k')).toBe('v');
      expect(proxy.counters.bytesToServer).toBeGreaterThan(0);
      expect(proxy.openSessions).toBeGreaterThan(0);
    } finally {
      await proxy.close();
      workers.close();
    }
  });
});
