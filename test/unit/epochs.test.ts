import { describe, expect, it } from 'vitest';
import { PURE } from './pure-config.js';
import { parseConfig } from '../../src/config/load.js';
import { rewriteConfig } from '../../src/config/rewrite.js';
import type { ObservedReply } from '../../src/core/actions.js';
import { parseHello } from '../../src/core/hello.js';
import { strtoull } from '../../src/core/numbers.js';
import { encodeReply } from '../../src/resp/encode.js';
import { ReplyParseError, ReplyParser } from '../../src/resp/reply-parser.js';
import type { Reply } from '../../src/resp/reply.js';
import { CoreHarness, FailoverWorld, MASTER_PORT, PEER_ID, PEERS, arr, str } from './core-fixture.js';

// Epochs are uint64_t in redis-sentinel 7.0.15; each entry point converts its text its own way.

const U64_MAX = 18446744073709551615n;
const I64_MAX = 9223372036854775807n;
const SAVED = 'Sentinel new configuration saved on disk';

function sent(h: CoreHarness, ...argv: string[]): string {
  return encodeReply(h.sentinelCommand(argv, { isExecutable: () => true }), 2).toString('utf8');
}

function field(reply: Reply, key: string): string | undefined {
  if (reply.type !== 'map') throw new Error(`not a map: ${reply.type}`);
  const entry = reply.entries.find(([k]) => k.type === 'bulk' && String(k.value) === key);
  return entry && entry[1].type === 'bulk' ? String(entry[1].value) : undefined;
}

function timeline(h: CoreHarness): string[] {
  return h.actions.flatMap((a) => {
    if (a.kind === 'event') return [`${a.event.type} ${a.event.message}`];
    if (a.kind === 'log') return [a.message];
    return [];
  });
}

const hello = (currentEpoch: string, configEpoch = '0') => `127.0.0.1,26380,${PEER_ID},${currentEpoch},mymaster,127.0.0.1,6379,${configEpoch}`;

describe('strtoull, as glibc reads a hello epoch and a config epoch', () => {
  it.each([
    ['0', 0n],
    ['9007199254740993', 9007199254740993n],
    ['9223372036854775808', 1n << 63n],
    ['18446744073709551615', U64_MAX],
    ['00000000000000000000000018446744073709551615', U64_MAX],
    ['18446744073709551616', U64_MAX],
    ['99999999999999999999999999999999999999999', U64_MAX],
    ['-1', U64_MAX],
    ['-18446744073709551615', 1n],
    ['-18446744073709551616', U64_MAX],
    ['+7', 7n],
    [' \t\n\v\f\r7', 7n],
    ['12abc', 12n],
    ['1 2', 1n],
    ['abc', 0n],
    ['', 0n],
    ['-', 0n],
    ['+-1', 0n],
    ['- 1', 0n],
    ['\u00a01', 0n],
  ])('%j is %s', (text, value) => {
    expect(strtoull(text)).toBe(value);
  });
});

describe('epochs in hellos', () => {
  it('reads both epochs exactly, past 2^53', () => {
    const h = parseHello(hello('9007199254740993', '18446744073709551615'));
    expect(h).toMatchObject({ currentEpoch: 9007199254740993n, masterConfigEpoch: U64_MAX });
  });

  it.each([
    ['9223372036854775808', '9223372036854775808'],
    ['18446744073709551615', '18446744073709551615'],
    ['18446744073709551616', '18446744073709551615'],
    ['-1', '18446744073709551615'],
    ['9007199254740993', '9007199254740993'],
  ])('a peer announcing current_epoch %s moves ours to %s, persisted before +new-epoch', (announced, adopted) => {
    const h = new CoreHarness();
    h.step({ kind: 'hello', payload: hello(announced) });
    expect(h.state.settings.currentEpoch).toBe(BigInt(adopted));
    expect(h.saved.at(-1)?.currentEpoch).toBe(BigInt(adopted));
    expect(timeline(h).slice(-2)).toEqual([SAVED, `+new-epoch ${adopted}`]);
  });

  it('announces our epochs as unsigned decimals', () => {
    const h = new CoreHarness((c) => {
      c.currentEpoch = U64_MAX;
      c.masters[0].configEpoch = 9007199254740993n;
    });
    h.advance(100);
    h.connectAll();
    h.advance(2100);
    const published = h.sent(h.master, 'PUBLISH').map((args) => args[2]);
    expect(published.length).toBeGreaterThan(0);
    expect(published[0]).toMatch(/,18446744073709551615,mymaster,127\.0\.0\.1,6379,9007199254740993$/);
  });

  it('takes a config epoch up to 2^64-1 from a known peer, shown signed by SENTINEL MASTER', () => {
    const h = new CoreHarness();
    h.step({ kind: 'hello', payload: hello('0', '5') });
    h.step({ kind: 'hello', payload: hello('0', '18446744073709551615') });
    expect(h.master.configEpoch).toBe(U64_MAX);
    expect(field(h.sentinelCommand(['master', 'mymaster'], { isExecutable: () => true }), 'config-epoch')).toBe('-1');
    // Nothing is newer than 2^64-1, however it is written.
    h.step({ kind: 'hello', payload: hello('0', '99999999999999999999') });
    expect(h.master.configEpoch).toBe(U64_MAX);
  });
});

describe('SENTINEL is-master-down-by-addr: a signed 64-bit epoch, cast to uint64_t', () => {
  const bad = '-ERR value is not an integer or out of range\r\n';

  it.each([
    ['9007199254740993', ':9007199254740993'],
    ['9223372036854775807', ':9223372036854775807'],
    ['-1', ':-1'],
    ['-9223372036854775808', ':-9223372036854775808'],
  ])('votes in epoch %s and answers %s', (epoch, answered) => {
    const h = new CoreHarness();
    const unsigned = BigInt.asUintN(64, BigInt(epoch));
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', epoch, 'abc')).toBe(`*3\r\n:0\r\n$3\r\nabc\r\n${answered}\r\n`);
    expect(timeline(h)).toEqual([SAVED, `+new-epoch ${unsigned}`, SAVED, `+vote-for-leader abc ${unsigned}`]);
    expect(h.saved.at(-1)?.currentEpoch).toBe(unsigned);
    expect(h.saved.at(-1)?.masters[0].leaderEpoch).toBe(unsigned);
  });

  it.each(['9223372036854775808', '18446744073709551615', '-9223372036854775809', '+1', ' 1', '1 ', '-0', '01', '1e3', '', '-'])(
    'refuses %j',
    (epoch) => {
      const h = new CoreHarness();
      expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', epoch, 'abc')).toBe(bad);
      expect(h.state.settings.currentEpoch).toBe(0n);
    },
  );

  it('gives no vote below an epoch of 2^64-1 learnt from a hello', () => {
    const h = new CoreHarness();
    h.step({ kind: 'hello', payload: hello('18446744073709551615') });
    expect(sent(h, 'is-master-down-by-addr', '127.0.0.1', '6379', '9223372036854775807', 'abc')).toBe('*3\r\n:0\r\n$1\r\n*\r\n:0\r\n');
  });
});

describe('integers on the links, as hiredis reads them', () => {
  const read = (wire: string) => {
    const p = new ReplyParser({ strictIntegers: true });
    p.feed(Buffer.from(wire));
    return p.next();
  };

  it.each([
    ['0', 0],
    ['-1', -1],
    ['9007199254740993', 9007199254740993n],
    ['9223372036854775807', I64_MAX],
    ['-9223372036854775808', -(1n << 63n)],
  ])('takes :%s exactly', (text, value) => {
    expect(read(`:${text}\r\n`)).toEqual({ type: 'integer', value });
  });

  it.each(['9223372036854775808', '18446744073709551615', '-9223372036854775809', '+1', '01', '-0', ' 1', '', '-', '1.5'])(
    'refuses :%s as a malformed reply ("Bad integer value"), which closes the link',
    (text) => {
      expect(() => read(`:${text}\r\n`)).toThrow(ReplyParseError);
    },
  );
});

describe("a peer's answered vote", () => {
  const [P1, P2] = PEERS;
  const vote = (epoch: number | bigint): ObservedReply => arr({ type: 'integer', value: 1 }, str(P2), { type: 'integer', value: epoch });

  it.each([
    [9007199254740993n, 9007199254740993n],
    [I64_MAX, I64_MAX],
    [-1, U64_MAX],
    [-(1n << 63n), 1n << 63n],
  ])('in epoch %s is kept as %s', (answered, kept) => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.peer(P1).answer = () => vote(answered);
    sim.run(200);
    sim.server(MASTER_PORT).up = false;
    sim.runUntil(() => sim.master.flags.sdown);
    sim.run(2000);
    expect(sim.sentinel(P1).leaderEpoch).toBe(kept);
    expect(sim.logs().filter((l) => l.includes('voted for'))).toEqual([`${P1} voted for ${P2} ${kept}`]);
    const peers = sim.command('sentinels', 'mymaster');
    expect(peers.type === 'array' && field(peers.items[0], 'voted-leader-epoch')).toBe(String(BigInt.asIntN(64, kept)));
  });
});

describe('failover epochs', () => {
  it('wrap to 0 past 2^64-1, as ++ on a uint64_t does', () => {
    const sim = new FailoverWorld({ peers: [{}], sentinel: (c) => (c.currentEpoch = U64_MAX) });
    sim.run(200);
    sim.server(MASTER_PORT).up = false;
    sim.runUntil(() => sim.master.flags.failoverInProgress);
    expect(sim.master.failoverEpoch).toBe(0n);
    expect(sim.state.settings.currentEpoch).toBe(0n);
    expect(sim.lines()).toContain('+new-epoch 0');
  });
});

describe('epochs in sentinel.conf', () => {
  const conf = (current: string, config: string, leader: string) =>
    [
      'sentinel myid 361b5dc67b2b8704ab893522127ccec8b771ac8a',
      'sentinel monitor m 127.0.0.1 6379 2',
      `sentinel config-epoch m ${config}`,
      `sentinel leader-epoch m ${leader}`,
      `sentinel current-epoch ${current}`,
    ].join('\n');

  it.each([
    ['9007199254740993', '9007199254740992', '9007199254740991', [9007199254740993n, 9007199254740992n, 9007199254740991n]],
    ['18446744073709551615', '9223372036854775808', '0', [U64_MAX, 1n << 63n, 0n]],
    ['99999999999999999999', '-1', '-2', [U64_MAX, U64_MAX, U64_MAX - 1n]],
    ['5x', ' +6', 'x', [6n, 6n, 0n]],
  ])('current-epoch %s, config-epoch %s, leader-epoch %s: read with strtoull and written back exactly', (current, config, leader, [c, e, l]) => {
    const { server, sentinel } = parseConfig(conf(current, config, leader), PURE);
    expect([sentinel.currentEpoch, sentinel.masters[0].configEpoch, sentinel.masters[0].leaderEpoch]).toEqual([c, e, l]);
    const out = rewriteConfig(null, server, sentinel, { downAfterMs: 30000, failoverTimeoutMs: 180000 });
    expect(out).toContain(`\nsentinel config-epoch m ${e}\n`);
    expect(out).toContain(`\nsentinel leader-epoch m ${l}\n`);
    expect(out).toContain(`\nsentinel current-epoch ${c}\n`);
  });
});
