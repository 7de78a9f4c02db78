/**
 * The rewrite compared byte for byte with what the real redis-sentinel 7.0.15
 * writes. Part A (standard options) comes out in Redis's hash order, so the
 * appended standard options are compared as a set; everything else exactly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { argvToConfigText } from '../../src/config/argv.js';
import { assembleConfigText, parseConfig } from '../../src/config/load.js';
import { rewriteConfig, REWRITE_SIGNATURE } from '../../src/config/rewrite.js';
import { realSentinelBinary, withoutRealSentinel } from '../harness/real-sentinel.js';

const REDIS_SENTINEL = realSentinelBinary() ?? 'redis-sentinel';
const DEFAULTS = { downAfterMs: 30000, failoverTimeoutMs: 180000 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends one inline command and resolves with the first reply line. */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write(`${line}\r\n`));
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply')));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) {
        socket.end();
        resolve(data.slice(0, data.indexOf('\r\n')));
      }
    });
    socket.on('error', reject);
  });
}

/** Lines before the signature, the appended standard options as a sorted list, then the rest in order. */
function comparable(text: string): { user: string; partA: string[]; rest: string[] } {
  const at = text.indexOf(`${REWRITE_SIGNATURE}\n`);
  const tail = text.slice(at + REWRITE_SIGNATURE.length + 1).split('\n');
  const isPartA = (l: string) => l !== '' && !l.startsWith('sentinel ') && !l.startsWith('user ');
  return { user: text.slice(0, at), partA: tail.filter(isPartA).sort(), rest: tail.filter((l) => !isPartA(l)) };
}

let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe.skipIf(withoutRealSentinel('rewrite compared with the real redis-sentinel'))('rewrite compared with the real redis-sentinel', () => {
  it('writes the same file at start-up and on SENTINEL FLUSHCONFIG', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cfg-real-'));
    const file = join(dir, 'sentinel.conf');
    const original = [
      '# Example sentinel.conf',
      '#   kept as written',
      'port 1',
      'logfile ""',
      'maxmemory 1048576',
      'slave-priority 50',
      'appendonly NO',
      'save 900 1',
      'list-max-ziplist-entries 5',
      'rename-command PING PONG',
      '',
      '',
      'sentinel monitor mymaster 127.0.0.1 6399 2',
      'sentinel down-after-milliseconds mymaster 5000',
      'sentinel parallel-syncs mymaster 3',
      'sentinel auth-pass mymaster s3cret',
      'sentinel known-replica mymaster 127.0.0.1 6398',
      `sentinel known-sentinel mymaster 127.0.0.1 26999 ${'a'.repeat(40)}`,
      'sentinel rename-command mymaster CONFIG XCONFIG',
      'sentinel announce-ip "10.0.0.1"',
      'latency-tracking-info-percentiles 1.5 99.90',
      '',
    ].join('\n');
    writeFileSync(file, original);
    const port = await freePort();
    const args = [file, '--port', String(port)];
    child = spawn(REDIS_SENTINEL, args, { cwd: dir, stdio: 'ignore' });

    // the real sentinel generates its myid and flushes at start-up
    const afterStart = await waitFor('the start-up flush', () => {
      const text = readFileSync(file, 'utf8');
      return text.includes('sentinel myid ') ? text : undefined;
    });
    // the listener is open before the start-up flush
    expect(await command(port, 'SENTINEL FLUSHCONFIG')).toBe('+OK');
    const afterFlush = readFileSync(file, 'utf8');

    const loaded = parseConfig(assembleConfigText(original, null, argvToConfigText(args, dir).text), { cwd: dir });
    loaded.sentinel.myid = /sentinel myid (\w+)/.exec(afterStart)![1]!;
    const oursAtStart = rewriteConfig(original, loaded.server, loaded.sentinel, DEFAULTS);
    const oursAfterFlush = rewriteConfig(oursAtStart, loaded.server, loaded.sentinel, DEFAULTS);

    expect(comparable(afterStart).partA).toContain(`dir "${dir}"`);
    expect(comparable(afterStart).rest).toContain('sentinel config-epoch mymaster 0');
    expect(comparable(oursAtStart)).toEqual(comparable(afterStart));
    expect(comparable(oursAfterFlush)).toEqual(comparable(afterFlush));
    expect(afterStart.startsWith(comparable(oursAtStart).user)).toBe(true);
    expect(afterFlush.endsWith('\n\n')).toBe(oursAfterFlush.endsWith('\n\n'));
  }, 30_000);
});
