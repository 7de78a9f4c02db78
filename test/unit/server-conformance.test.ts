/**
 * The same requests sent to the real redis-sentinel 7.0.15 and to SentinelServer;
 * the replies must be the same bytes once per-process values (client ids,
 * addresses, ages, buffer sizes) are masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { RawConnection, RealSentinel, realSentinelAvailable, startServer, type TestServer } from './server-kit.js';

interface Step {
  /** Connection name; each name is one connection per server. */
  c: string;
  send?: string[];
  raw?: string;
  /** Replies to read; 1 unless told. */
  replies?: number;
  /** The server is expected to close the connection after the replies. */
  closes?: boolean;
}

function normalize(bytes: string): string {
  return bytes
    .replace(/\$2\r\nid\r\n:\d+\r\n/g, '$2\r\nid\r\n:<id>\r\n')
    .replace(/id=\d+ addr=\S+ laddr=\S+ fd=\d+/g, 'id=<id> addr=<addr> laddr=<laddr> fd=<fd>')
    .replace(/ (age|idle|qbuf|qbuf-free|argv-mem|rbs|rbp|obl|oll|omem|tot-mem)=\d+/g, ' $1=<n>')
    .replace(/(^|\n)([$=])\d+\r\n(txt:)?id=/g, '$1$2<len>\r\n$3id=');
}

async function run(port: number, steps: Step[]): Promise<string[]> {
  const conns = new Map<string, RawConnection>();
  const out: string[] = [];
  try {
    for (const step of steps) {
      let conn = conns.get(step.c);
      if (conn === undefined) conns.set(step.c, (conn = await RawConnection.open(port)));
      if (step.send) conn.send(...step.send);
      if (step.raw !== undefined) conn.sendRaw(step.raw);
      const replies = await conn.readMany(step.replies ?? 1);
      let text = replies.map((r) => normalize(r.bytes.toString('latin1'))).join('');
      if (step.closes) text += (await conn.closedWithin()) ? '<closed>' : '<open>';
      out.push(text);
    }
  } finally {
    for (const conn of conns.values()) conn.close();
  }
  return out;
}

const SCRIPT: Record<string, Step[]> = {
  'HELLO, PING, ROLE and AUTH': [
    { c: 'a', send: ['HELLO'] },
    { c: 'a', send: ['HELLO', '3'] },
    { c: 'a', send: ['HELLO', '2', 'SETNAME', 'app'] },
    { c: 'a', send: ['HELLO', '4'] },
    { c: 'a', send: ['HELLO', 'x'] },
    { c: 'a', send: ['HELLO', '3', 'FOO'] },
    { c: 'a', send: ['HELLO', '3', 'AUTH', 'a'] },
    { c: 'a', send: ['HELLO', '2', 'SETNAME', 'a b'] },
    { c: 'a', send: ['PING'] },
    { c: 'a', send: ['PING', 'x'] },
    { c: 'a', send: ['PING', 'a', 'b'] },
    { c: 'a', send: ['ROLE'] },
    { c: 'a', send: ['ROLE', 'x'] },
    { c: 'a', send: ['AUTH', 'x'] },
    { c: 'a', send: ['AUTH', 'a', 'b'] },
    { c: 'a', send: ['AUTH', 'a', 'b', 'c'] },
    { c: 'a', send: ['AUTH', 'default', ''] },
  ],
  'dispatch errors': [
    { c: 'a', send: ['GET', 'foo', 'bar'] },
    { c: 'a', send: ['FOO', 'a'.repeat(95), 'b'.repeat(58), 'c'] },
    { c: 'a', send: ['client', 'FoO'] },
    { c: 'a', send: ['CLIENT'] },
    { c: 'a', send: ['CLIENT', 'SETINFO', 'lib-name', 'x'] },
    { c: 'a', send: ['CLIENT', 'NO-TOUCH', 'on'] },
    { c: 'a', send: ['sentinel', 'FOO'] },
    { c: 'a', send: ['SENTINEL', 'master'] },
    { c: 'a', send: ['SENTINEL', 'masters', 'x'] },
    { c: 'a', send: ['SENTINEL', 'set', 'm', 'x'] },
    { c: 'a', send: ['COMMAND', 'FOO'] },
    { c: 'a', send: ['ACL', 'FOO'] },
    { c: 'a', send: ['acl'] },
    { c: 'a', send: ['SHUTDOWN', 'ABORT'] },
    { c: 'a', send: ['SHUTDOWN', 'NOSAVE', 'SAVE'] },
    { c: 'a', send: ['PUBLISH', 'a', 'b'] },
    { c: 'a', send: ['PUBLISH', '__sentinel__:hello', 'x'] },
    { c: 'a', send: ['INFO', 'keyspace'] },
    { c: 'a', send: ['SENTINEL', 'HELP'] },
  ],
  'CLIENT': [
    { c: 'a', send: ['CLIENT', 'GETNAME'] },
    { c: 'a', send: ['CLIENT', 'SETNAME', 'a b'] },
    { c: 'a', send: ['CLIENT', 'SETNAME', 'n1'] },
    { c: 'b', send: ['SUBSCRIBE', 'x'] },
    { c: 'a', send: ['CLIENT', 'LIST'] },
    { c: 'a', send: ['CLIENT', 'LIST', 'TYPE', 'pubsub'] },
    { c: 'a', send: ['CLIENT', 'LIST', 'TYPE', 'foo'] },
    { c: 'a', send: ['CLIENT', 'LIST', 'ID', 'x'] },
    { c: 'a', send: ['CLIENT', 'INFO'] },
    { c: 'a', send: ['CLIENT', 'KILL', '1.2.3.4:5'] },
    { c: 'a', send: ['CLIENT', 'KILL', 'ID', 'x'] },
    { c: 'a', send: ['CLIENT', 'KILL', 'USER', 'nosuch'] },
    { c: 'a', send: ['CLIENT', 'KILL', 'TYPE', 'master'] },
    { c: 'a', send: ['CLIENT', 'KILL', 'SKIPME', 'maybe'] },
    { c: 'a', send: ['CLIENT', 'TRACKINGINFO'] },
    { c: 'a', send: ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'b', 'PREFIX', 'a'] },
    { c: 'a', send: ['CLIENT', 'TRACKING', 'on', 'BCAST'] },
    { c: 'a', send: ['CLIENT', 'TRACKINGINFO'] },
    { c: 'a', send: ['CLIENT', 'INFO'] },
    { c: 'a', send: ['CLIENT', 'TRACKING', 'off'] },
    { c: 'a', send: ['CLIENT', 'TRACKING', 'on', 'OPTIN'] },
    { c: 'a', send: ['CLIENT', 'CACHING', 'yes'] },
    { c: 'a', send: ['CLIENT', 'TRACKINGINFO'] },
    { c: 'a', send: ['CLIENT', 'GETREDIR'] },
    { c: 'a', send: ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '99999'] },
    { c: 'a', send: ['CLIENT', 'UNBLOCK', '1', 'foo'] },
    { c: 'a', send: ['CLIENT', 'PAUSE', '100', 'ALL', 'x'] },
    { c: 'a', send: ['CLIENT', 'NO-EVICT', 'maybe'] },
    { c: 'a', send: ['CLIENT', 'REPLY', 'SKIP'], replies: 0 },
    { c: 'a', send: ['PING', 'skipped'], replies: 0 },
    { c: 'a', send: ['PING', 'kept'] },
    { c: 'a', send: ['CLIENT', 'HELP'] },
    { c: 'a', send: ['HELLO', '3'] },
    { c: 'a', send: ['CLIENT', 'INFO'] },
    { c: 'a', send: ['CLIENT', 'GETNAME'] },
    { c: 'a', send: ['CLIENT', 'TRACKINGINFO'] },
  ],
  'COMMAND': [
    { c: 'a', send: ['COMMAND', 'COUNT'] },
    { c: 'a', send: ['COMMAND', 'INFO', 'ping', 'nosuch', 'client|list'] },
    { c: 'a', send: ['COMMAND', 'DOCS', 'ping', 'nosuch', 'sentinel|set'] },
    { c: 'a', send: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'ping'] },
    { c: 'a', send: ['COMMAND', 'LIST', 'FILTERBY', 'FOO', 'x'] },
    { c: 'a', send: ['COMMAND', 'GETKEYS', 'ping', 'x'] },
    { c: 'a', send: ['COMMAND', 'GETKEYS', 'get', 'x'] },
    { c: 'a', send: ['COMMAND', 'HELP'] },
    { c: 'a', send: ['HELLO', '3'] },
    { c: 'a', send: ['COMMAND', 'INFO', 'sentinel|masters', 'nosuch'] },
    { c: 'a', send: ['COMMAND', 'DOCS', 'client|kill'] },
  ],
  'ACL': [
    { c: 'a', send: ['ACL', 'WHOAMI'] },
    { c: 'a', send: ['ACL', 'USERS'] },
    { c: 'a', send: ['ACL', 'LIST'] },
    { c: 'a', send: ['ACL', 'GETUSER', 'default'] },
    { c: 'a', send: ['ACL', 'CAT'] },
    { c: 'a', send: ['ACL', 'HELP'] },
    { c: 'a', send: ['ACL', 'SETUSER', 'foo'] },
    { c: 'a', send: ['ACL', 'SETUSER', 'bar', 'on', 'nopass', '-@all', '+ping', '&x', '~k', '%R~r'] },
    { c: 'a', send: ['ACL', 'LIST'] },
    { c: 'a', send: ['ACL', 'GETUSER', 'bar'] },
    { c: 'a', send: ['ACL', 'SETUSER', 'bar', '+get'] },
    { c: 'a', send: ['ACL', 'SETUSER', 'bar', 'blah'] },
    { c: 'a', send: ['ACL', 'SETUSER', 'bar', '#abc'] },
    { c: 'a', send: ['ACL', 'DELUSER', 'default'] },
    { c: 'a', send: ['ACL', 'DRYRUN', 'bar', 'role'] },
    { c: 'a', send: ['ACL', 'DRYRUN', 'bar', 'subscribe', 'y'] },
    { c: 'b', send: ['AUTH', 'bar', 'x'] },
    { c: 'b', send: ['ROLE'] },
    { c: 'b', send: ['SUBSCRIBE', 'y'] },
    { c: 'b', send: ['PSUBSCRIBE', 'x'] },
    { c: 'a', send: ['ACL', 'DELUSER', 'foo', 'bar', 'nosuch'] },
    { c: 'a', send: ['HELLO', '3'] },
    { c: 'a', send: ['ACL', 'GETUSER', 'default'] },
  ],
  'pub/sub': [
    { c: 'a', send: ['SUBSCRIBE', 'a', 'b'], replies: 2 },
    { c: 'a', send: ['PSUBSCRIBE', 'x*'] },
    { c: 'a', send: ['PING'] },
    { c: 'a', send: ['PING', 'x'] },
    { c: 'a', send: ['CLIENT', 'ID'] },
    { c: 'a', send: ['UNSUBSCRIBE', 'a'] },
    { c: 'a', send: ['PUNSUBSCRIBE'] },
    { c: 'a', send: ['UNSUBSCRIBE'] },
    { c: 'a', send: ['UNSUBSCRIBE'] },
    { c: 'b', send: ['HELLO', '3'] },
    { c: 'b', send: ['SUBSCRIBE', 'a'] },
    { c: 'b', send: ['PING'] },
    { c: 'b', send: ['UNSUBSCRIBE', 'zz'] },
    { c: 'b', send: ['PUNSUBSCRIBE'] },
    { c: 'b', send: ['UNSUBSCRIBE'] },
  ],
  'framing and protocol errors': [
    { c: 'a', raw: 'PING\r\n*1\r\n$4\r\nPI' },
    { c: 'a', raw: 'NG\r\n*2\r\n$4\r\nPING\r\n$1\r\nx\r\n', replies: 2 },
    { c: 'b', raw: 'PING\r\n*abc\r\nPING\r\n', replies: 2, closes: true },
    { c: 'c', raw: 'PING "a\r\n', closes: true },
    { c: 'd', raw: '*3\r\n$3\r\nfoo\r\n$3\r\na\r\nb\r\n$1\r\nc\r\n', closes: true },
    { c: 'e', raw: 'PING\r\nPOST / HTTP/1.1\r\n', replies: 0, closes: true },
  ],
};

describe.skipIf(!realSentinelAvailable())('SentinelServer against redis-sentinel 7.0.15', () => {
  let real: RealSentinel;
  let ours: TestServer;

  beforeAll(async () => {
    // A master nobody listens on: both sentinels then report `mymaster` in ROLE.
    const deadMaster = await freePort();
    real = await RealSentinel.start([`sentinel monitor mymaster 127.0.0.1 ${deadMaster} 2`]);
    ours = await startServer();
  }, 30_000);

  afterAll(async () => {
    await ours?.close();
    await real?.stop();
  });

  for (const [name, steps] of Object.entries(SCRIPT)) {
    it(name, async () => {
      const expected = await run(real.port, steps);
      const actual = await run(ours.port, steps);
      for (let i = 0; i < steps.length; i++) {
        const label = `${steps[i].c}> ${steps[i].send?.join(' ') ?? JSON.stringify(steps[i].raw)}`;
        expect({ step: label, reply: actual[i] }).toEqual({ step: label, reply: expected[i] });
      }
    });
  }

  it('INFO has the same sections and fields', async () => {
    const fields = async (port: number) => {
      const [text] = await run(port, [{ c: 'a', send: ['INFO'] }]);
      return text
        .split('\r\n')
        .slice(1)
        .filter((l) => !l.startsWith('master0:') && !l.startsWith('sentinel_'))
        .map((l) => l.split(':')[0]);
    };
    expect(await fields(ours.port)).toEqual(await fields(real.port));
  });
});
