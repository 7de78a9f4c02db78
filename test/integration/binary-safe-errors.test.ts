import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, it } from 'vitest';
import { useHarness, waitFor } from '../harness/index.js';
import { withoutRealSentinel } from '../harness/real-sentinel.js';
import type { SentinelProcess } from '../harness/sentinel.js';

/**
 * Errors that quote a client's arguments carry the bytes as they came, as redis-sentinel's
 * printf does: no UTF-8 decoding (no U+FFFD for a byte that is not UTF-8), each argument cut
 * at its first NUL and to 128 bytes in all. Compared byte for byte with the real binary.
 */

const REQUESTS: Buffer[][] = [
  [Buffer.from([0xff, 0xfe, 0x41])],
  [Buffer.from('nosuch'), Buffer.from([0xc3, 0x28, 0x00, 0x41]), Buffer.from([0x80])],
  [Buffer.from([0x66, 0x00, 0x6f]), Buffer.from('a\u00e9b')],
  [Buffer.from('CLIENT'), Buffer.from([0xe2, 0x82, 0x00, 0xac])],
  [Buffer.from('nosuch'), Buffer.alloc(100, 0xe9), Buffer.alloc(60, 0x41), Buffer.from('past the limit')],
];

function encode(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** One request, its whole reply (until the server is quiet for 100 ms). */
function request(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, 3000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        clearTimeout(timer);
        done();
      }, 100);
    });
    socket.on('error', reject);
  });
}

/** Sends the requests pipelined on one connection and returns every reply byte received until one line per request came back. */
function exchange(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`not all replies within 3 s from ${port}: ${Buffer.concat(chunks).toString('latin1')}`));
    }, 3000);
    socket.on('connect', () => socket.write(Buffer.concat(REQUESTS.map(encode))));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.toString('latin1').split('\r\n').length > REQUESTS.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(all);
      }
    });
    socket.on('error', reject);
  });
}

describe.skipIf(withoutRealSentinel('binary-safe errors and names'))('errors quote arguments byte for byte', () => {
  const h = useHarness('binary-safe-errors');

  it('the same reply bytes as redis-sentinel for non-UTF-8 and NUL bytes', async ({ expect }) => {
    const unreachable = await h.port();
    const monitors = [{ name: 'm', port: unreachable, quorum: 1 }];
    const [real, ours]: SentinelProcess[] = await Promise.all([h.startSentinel({ impl: 'redis', monitors }), h.startSentinel({ impl: 'ours', monitors })]);
    const expected = await waitFor(() => exchange(real.port), { timeoutMs: 5000, intervalMs: 200, description: 'redis-sentinel replies' });
    const got = await exchange(ours.port);
    expect(got.toString('latin1')).toBe(expected.toString('latin1'));
    expect(got.includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false);
  }, 30_000);

  it('a master name that is not UTF-8 is kept as bytes: replies, log, config, and hellos a real peer understands', async ({ expect }) => {
    const master = await h.startRedis();
    const name = Buffer.from([0xff, 0xfe, 0x6d]);
    const [real, ours]: SentinelProcess[] = await Promise.all([
      h.startSentinel({ impl: 'redis', monitors: [], configLines: ['sentinel announce-hostnames no'] }),
      h.startSentinel({ impl: 'ours', monitors: [], configLines: ['sentinel announce-hostnames no'] }),
    ]);
    const ask = (port: number, ...args: Buffer[]) => request(port, encode(args));
    for (const s of [real, ours]) {
      const reply = await ask(s.port, Buffer.from('SENTINEL'), Buffer.from('MONITOR'), name, Buffer.from('127.0.0.1'), Buffer.from(String(master.port)), Buffer.from('2'));
      expect(reply.toString('latin1')).toBe('+OK\r\n');
    }
    // Each learns of the other through hellos carrying the name's bytes.
    for (const [s, other] of [[real, ours], [ours, real]] as const) {
      await waitFor(async () => (await ask(s.port, Buffer.from('SENTINEL'), Buffer.from('SENTINELS'), name)).toString('latin1'), {
        timeoutMs: 15_000,
        description: `sentinel ${s.port} to list its peer ${other.port} under the binary name`,
        until: (r) => r.includes(`\r\n${other.port}\r\n`),
      });
    }
    const addr = (port: number) => ask(port, Buffer.from('SENTINEL'), Buffer.from('GET-MASTER-ADDR-BY-NAME'), name);
    expect((await addr(ours.port)).toString('latin1')).toBe((await addr(real.port)).toString('latin1'));
    // Read as bytes (latin1: one character per byte), not decoded.
    const lineOf = (path: string, marker: string) => readFileSync(path, 'latin1').split('\n').find((l) => l.includes(marker))!;
    const monitorLine = (s: SentinelProcess) => lineOf(s.configPath, 'sentinel monitor ');
    expect(monitorLine(ours)).toBe(`sentinel monitor \xff\xfem 127.0.0.1 ${master.port} 2`);
    expect(monitorLine(ours)).toBe(monitorLine(real));
    const logged = (s: SentinelProcess) => lineOf(s.process.stdoutPath, '+monitor master').replace(/^.*# /, '');
    expect(logged(ours)).toBe(`+monitor master \xff\xfem 127.0.0.1 ${master.port} quorum 2`);
    expect(logged(ours)).toBe(logged(real));
  }, 40_000);
});
