import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RequestParser } from '../../src/resp/request-parser.js';
import { freePort, rawCommand, useHarness, waitFor, type SentinelImpl, type SentinelProcess } from '../harness/index.js';
import { withoutRealSentinel } from '../harness/real-sentinel.js';

/**
 * Epochs past 2^53 are 64-bit integers in redis-sentinel: the same requests go to our daemon
 * and to the real redis-sentinel, and both must answer, log and persist the same epoch.
 * The expected values are what redis-sentinel 7.0.15 does.
 */

const PEER = 'b'.repeat(40);
const OUT_OF_RANGE = '-ERR value is not an integer or out of range\r\n';

function newEpochLines(s: SentinelProcess): string[] {
  return s.process
    .log()
    .split('\n')
    .filter((l) => / # \+new-epoch /.test(l))
    .map((l) => l.slice(l.indexOf('+new-epoch')));
}

/**
 * A peer sentinel that answers every is-master-down-by-addr with a vote for VOTED in `epoch`
 * (raw RESP, so anything hiredis may refuse too), never saying the master is down.
 */
async function fakePeer(port: number, epoch: string): Promise<Server> {
  const server = createServer((socket) => {
    const parser = new RequestParser();
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      parser.feed(chunk);
      for (let argv = parser.next(); argv !== null; argv = parser.next()) {
        const name = argv.map((a) => a.toString().toLowerCase());
        if (name[0] === 'ping') socket.write('+PONG\r\n');
        else if (name[0] === 'publish') socket.write(':1\r\n');
        else if (name[0] === 'sentinel' && name[1] === 'is-master-down-by-addr') socket.write(`*3\r\n:0\r\n$40\r\n${VOTED}\r\n:${epoch}\r\n`);
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const VOTED = 'c'.repeat(40);

const impls: SentinelImpl[] = ['ours', 'redis'];

describe.each(impls)('64-bit epochs (%s)', (impl) => {
  const skip = impl === 'redis' && withoutRealSentinel('64-bit epochs against redis-sentinel');
  const h = useHarness(`epochs-${impl}`, { scope: 'test' });

  async function start(): Promise<{ s: SentinelProcess; masterPort: number }> {
    // Nothing listens on the master's port: a vote needs only the monitored address.
    const masterPort = await freePort();
    const s = await h.startSentinel({ impl, monitors: [{ name: 'm', port: masterPort, quorum: 1 }] });
    return { s, masterPort };
  }

  it.skipIf(skip).each([
    ['9007199254740993', ':9007199254740993', '9007199254740993'],
    ['9223372036854775807', ':9223372036854775807', '9223372036854775807'],
    ['-1', ':-1', '18446744073709551615'],
  ])('is-master-down-by-addr in epoch %s: answers %s, +new-epoch and current-epoch %s', async (epoch, answered, stored) => {
    const { s, masterPort } = await start();
    const reply = await rawCommand(s.port, ['SENTINEL', 'is-master-down-by-addr', '127.0.0.1', String(masterPort), epoch, PEER]);
    expect(reply.bytes.toString()).toBe(`*3\r\n:0\r\n$40\r\n${PEER}\r\n${answered}\r\n`);
    // Both write the config before answering.
    expect(s.configLines('sentinel current-epoch')).toEqual([`sentinel current-epoch ${stored}`]);
    await waitFor(() => newEpochLines(s), { timeoutMs: 5000, description: 'the +new-epoch log line', until: (l) => l.length > 0 });
    expect(newEpochLines(s)).toEqual([`+new-epoch ${stored}`]);
    expect(s.configLines('sentinel leader-epoch')).toEqual([`sentinel leader-epoch m ${stored}`]);
  }, 30_000);

  it.skipIf(skip)('refuses the epoch 18446744073709551615, which is not a long long', async () => {
    const { s, masterPort } = await start();
    const reply = await rawCommand(s.port, ['SENTINEL', 'is-master-down-by-addr', '127.0.0.1', String(masterPort), '18446744073709551615', PEER]);
    expect(reply.bytes.toString()).toBe(OUT_OF_RANGE);
    // A command after it shows the refused one changed nothing.
    const after = await rawCommand(s.port, ['SENTINEL', 'is-master-down-by-addr', '127.0.0.1', String(masterPort), '0', '*']);
    expect(after.bytes.toString()).toBe('*3\r\n:0\r\n$1\r\n*\r\n:0\r\n');
    expect(newEpochLines(s)).toEqual([]);
    expect(s.configLines('sentinel current-epoch')).toEqual(['sentinel current-epoch 0']);
  }, 30_000);

  it.skipIf(skip).each([
    ['9223372036854775808', '9223372036854775808'],
    ['18446744073709551615', '18446744073709551615'],
    ['18446744073709551616', '18446744073709551615'],
    ['-1', '18446744073709551615'],
  ])('a hello announcing current_epoch %s moves the current epoch to %s (strtoull)', async (announced, stored) => {
    const { s, masterPort } = await start();
    const hello = `127.0.0.1,${await freePort()},${PEER},${announced},m,127.0.0.1,${masterPort},0`;
    const reply = await rawCommand(s.port, ['PUBLISH', '__sentinel__:hello', hello]);
    expect(reply.bytes.toString()).toBe(':1\r\n');
    // Ours writes what a hello teaches after answering the PUBLISH: wait for the line, not for any change.
    const line = `sentinel current-epoch ${stored}`;
    await waitFor(() => s.configLines('sentinel current-epoch'), { timeoutMs: 5000, description: line, until: (l) => l[0] === line }).catch(() => undefined);
    expect(s.configLines('sentinel current-epoch')).toEqual([line]);
    await waitFor(() => newEpochLines(s), { timeoutMs: 5000, description: 'the +new-epoch log line', until: (l) => l.length > 0 });
    expect(newEpochLines(s)).toEqual([`+new-epoch ${stored}`]);
  }, 30_000);

  it.skipIf(skip).each([
    ['9007199254740993', '9007199254740993', '9007199254740993'],
    ['-1', '18446744073709551615', '-1'],
    ['9223372036854775808', null, '0'],
  ])("a peer's vote answered in epoch %s is logged as %s and listed as %s", async (answered, logged, listed) => {
    const masterPort = await freePort();
    const peerPort = await freePort();
    const peer = await fakePeer(peerPort, answered);
    try {
      // Quorum 2 and a peer that never says down: SDOWN, so asking, but no failover.
      const s = await h.startSentinel({ impl, monitors: [{ name: 'm', port: masterPort, quorum: 2, downAfterMs: 500 }] });
      const hello = `127.0.0.1,${peerPort},${PEER},0,m,127.0.0.1,${masterPort},0`;
      expect((await rawCommand(s.port, ['PUBLISH', '__sentinel__:hello', hello])).bytes.toString()).toBe(':1\r\n');
      const votedFor = () => s.process.log().split('\n').filter((l) => l.includes(' voted for ')).map((l) => l.slice(l.indexOf(' # ') + 3));
      if (logged !== null) {
        await waitFor(votedFor, { timeoutMs: 10_000, description: 'the "voted for" log line', until: (l) => l.length > 0 });
      } else {
        // hiredis refuses the integer ("Bad integer value") and drops the link: give it the time of a few asks.
        await s.process.waitForLog(/\+sdown master m /, { timeoutMs: 10_000 });
        await new Promise((r) => setTimeout(r, 3000));
      }
      expect(votedFor()).toEqual(logged === null ? [] : [`${PEER} voted for ${VOTED} ${logged}`]);
      const reply = await rawCommand(s.port, ['SENTINEL', 'SENTINELS', 'm']);
      const text = reply.bytes.toString();
      expect(text).toContain(`$18\r\nvoted-leader-epoch\r\n$${listed.length}\r\n${listed}\r\n`);
      expect(text).toContain(`$12\r\nvoted-leader\r\n${logged === null ? '$1\r\n?' : `$40\r\n${VOTED}`}\r\n`);
    } finally {
      peer.close();
    }
  }, 30_000);
});
