import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawCommand, waitFor } from '../harness/index.js';

/**
 * `sentinel demo`: a master, two replicas and three of our sentinels on free ports with the
 * status page, started and stopped (SIGINT, as Ctrl-C) by the test.
 */

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sentinel.js');

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('sentinel demo', () => {
  it('starts a working topology with the status page, and Ctrl-C stops it and removes its files', async () => {
    // Its own process group: if the test fails, the group goes down whole, the demo's children with it.
    const child = spawn(process.execPath, [BIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => out, { timeoutMs: 30_000, description: 'the demo to say it is up', until: (o) => o.includes('Ctrl-C stops everything') });
      const sentinels = /sentinels {2}127\.0\.0\.1:(\d+), 127\.0\.0\.1:(\d+), 127\.0\.0\.1:(\d+)/.exec(out)!.slice(1).map(Number);
      const master = Number(/master {5}127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const http = Number(/status page {2}http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)![1]);
      const dir = /removes (\S+)\.$/m.exec(out)![1];
      expect(existsSync(dir)).toBe(true);
      expect(out).toContain(`redis-cli -p ${sentinels[0]} sentinel masters`);

      // Each sentinel watches the master, finds both replicas and the two other sentinels.
      for (const port of sentinels) {
        const addr = (await rawCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'])).bytes.toString();
        expect(addr).toBe(`*2\r\n$9\r\n127.0.0.1\r\n$${String(master).length}\r\n${master}\r\n`);
        await waitFor(async () => (await rawCommand(port, ['SENTINEL', 'MASTER', 'mymaster'])).bytes.toString(), {
          timeoutMs: 20_000,
          description: `sentinel ${port} to know 2 replicas and 2 other sentinels`,
          until: (m) => m.includes('num-slaves\r\n$1\r\n2\r\n') && m.includes('num-other-sentinels\r\n$1\r\n2\r\n'),
        });
      }
      expect(await httpStatus(http, '/')).toBe(200);
      expect(await httpStatus(http, '/metrics')).toBe(200);

      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      expect(existsSync(dir)).toBe(false);
      // Nothing answers on the demo's ports any more.
      for (const port of [...sentinels, master]) await expect(rawCommand(port, ['PING'])).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }
  }, 90_000);
});
