import { connect } from 'node:net';
import { describe, it } from 'vitest';
import { useHarness, waitFor } from '../harness/index.js';
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

describe('errors quote arguments byte for byte', () => {
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
});
