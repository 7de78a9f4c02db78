import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../../src/resp/byte-text.js';
import { doubleText, encodeForWrite, encodeReply } from '../../src/resp/encode.js';
import { parseReplies, type RespValue } from '../../src/resp/reply-parser.js';
import {
  array,
  bulk,
  bulkMap,
  err,
  error,
  integer,
  map,
  nullArray,
  nullBulk,
  ok,
  push,
  type Reply,
} from '../../src/resp/reply.js';

const set = (items: Reply[]): Reply => ({ type: 'set', items });
const double = (value: number): Reply => ({ type: 'double', value });
const boolean = (value: boolean): Reply => ({ type: 'boolean', value });
const verbatim = (format: string, value: string): Reply => ({ type: 'verbatim', format, value });

const wire = (reply: Reply, protocol: 2 | 3) => encodeReply(reply, protocol).toString('latin1');

describe('encodeReply wire bytes', () => {
  const cases: Array<[string, Reply, string, string]> = [
    ['simple', ok, '+OK\r\n', '+OK\r\n'],
    ['error with its code', error('NOAUTH Authentication required.'), '-NOAUTH Authentication required.\r\n', '-NOAUTH Authentication required.\r\n'],
    ['ERR error', err('syntax error'), '-ERR syntax error\r\n', '-ERR syntax error\r\n'],
    ['integer', integer(-42), ':-42\r\n', ':-42\r\n'],
    ['64-bit integer', integer(9223372036854775807n), ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
    ['bulk', bulk('6379'), '$4\r\n6379\r\n', '$4\r\n6379\r\n'],
    ['bulk of a number', bulk(6379), '$4\r\n6379\r\n', '$4\r\n6379\r\n'],
    ['empty bulk', bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
    ['null bulk', nullBulk, '$-1\r\n', '_\r\n'],
    ['null array', nullArray, '*-1\r\n', '_\r\n'],
    ['empty array', array([]), '*0\r\n', '*0\r\n'],
    ['nested array', array([integer(1), array([bulk('a')])]), '*2\r\n:1\r\n*1\r\n$1\r\na\r\n', '*2\r\n:1\r\n*1\r\n$1\r\na\r\n'],
    ['map', bulkMap([['port', 6379]]), '*2\r\n$4\r\nport\r\n$4\r\n6379\r\n', '%1\r\n$4\r\nport\r\n$4\r\n6379\r\n'],
    ['set', set([bulk('a'), bulk('b')]), '*2\r\n$1\r\na\r\n$1\r\nb\r\n', '~2\r\n$1\r\na\r\n$1\r\nb\r\n'],
    ['push', push([bulk('message'), bulk('c'), bulk('m')]), '*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n', '>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n'],
    ['double', double(1.5), '$3\r\n1.5\r\n', ',1.5\r\n'],
    ['infinite double', double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
    ['true', boolean(true), ':1\r\n', '#t\r\n'],
    ['false', boolean(false), ':0\r\n', '#f\r\n'],
    ['verbatim', verbatim('txt', 'hi'), '$2\r\nhi\r\n', '=6\r\ntxt:hi\r\n'],
    ['raw', { type: 'raw', bytes: Buffer.from('*1\r\n:1\r\n') }, '*1\r\n:1\r\n', '*1\r\n:1\r\n'],
    ['none', { type: 'none' }, '', ''],
  ];
  for (const [name, reply, resp2, resp3] of cases) {
    it(`${name} in RESP2`, () => expect(wire(reply, 2)).toBe(resp2));
    it(`${name} in RESP3`, () => expect(wire(reply, 3)).toBe(resp3));
  }

  it('replaces CR and LF inside an error with spaces', () => {
    expect(wire(err('bad\r\nthing\nhere'), 2)).toBe('-ERR bad  thing here\r\n');
    expect(wire(error('WRONGTYPE x\ry'), 3)).toBe('-WRONGTYPE x y\r\n');
  });

  it('counts bulk lengths in UTF-8 bytes and sends Buffers untouched', () => {
    expect(encodeReply(bulk('é'), 2)).toEqual(Buffer.from('$2\r\n\xc3\xa9\r\n', 'latin1'));
    expect(encodeReply(bulk(Buffer.from([0, 0xff, 0x0d])), 3)).toEqual(Buffer.from('$3\r\n\x00\xff\x0d\r\n', 'latin1'));
  });
});

describe('doubleText formats like printf %.17g', () => {
  const cases: Array<[number, string]> = [
    [1.5, '1.5'],
    [0.1, '0.10000000000000001'],
    [3, '3'],
    [1 / 3, '0.33333333333333331'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [1e20, '1e+20'],
    [123456789012345678, '1.2345678901234568e+17'],
    [0.0001, '0.0001'],
    [1e-5, '1.0000000000000001e-05'],
    [1.234e-5, '1.234e-05'],
    [-2.5e-300, '-2.5e-300'],
    [5e-324, '4.9406564584124654e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-0, '-0'],
    [Infinity, 'inf'],
  ];
  for (const [value, text] of cases) it(`${value} -> ${text}`, () => expect(doubleText(value)).toBe(text));
});

describe('encode then parse gives back the value with its wire type', () => {
  const b = (s: string): RespValue => ({ type: 'bulk', value: Buffer.from(s) });
  const cases: Array<[string, Reply, RespValue, RespValue]> = [
    ['simple', ok, { type: 'simple', value: 'OK' }, { type: 'simple', value: 'OK' }],
    ['error', err('x'), { type: 'error', value: 'ERR x' }, { type: 'error', value: 'ERR x' }],
    ['integer', integer(6379), { type: 'integer', value: 6379 }, { type: 'integer', value: 6379 }],
    ['huge integer', integer(-(2n ** 63n)), { type: 'integer', value: -(2n ** 63n) }, { type: 'integer', value: -(2n ** 63n) }],
    ['bulk', bulk('6379'), b('6379'), b('6379')],
    ['null bulk', nullBulk, { type: 'null', wire: 'bulk' }, { type: 'null', wire: 'null' }],
    ['null array', nullArray, { type: 'null', wire: 'array' }, { type: 'null', wire: 'null' }],
    ['array', array([bulk('a'), integer(1)]), { type: 'array', items: [b('a'), { type: 'integer', value: 1 }] }, { type: 'array', items: [b('a'), { type: 'integer', value: 1 }] }],
    ['map', map([[bulk('k'), array([])]]), { type: 'array', items: [b('k'), { type: 'array', items: [] }] }, { type: 'map', entries: [[b('k'), { type: 'array', items: [] }]] }],
    ['set', set([bulk('a')]), { type: 'array', items: [b('a')] }, { type: 'set', items: [b('a')] }],
    ['push', push([bulk('a')]), { type: 'array', items: [b('a')] }, { type: 'push', items: [b('a')] }],
    ['double', double(0.25), b('0.25'), { type: 'double', value: 0.25 }],
    ['boolean', boolean(true), { type: 'integer', value: 1 }, { type: 'boolean', value: true }],
    ['verbatim', verbatim('txt', 'a\r\nb'), b('a\r\nb'), { type: 'verbatim', format: 'txt', value: Buffer.from('a\r\nb') }],
  ];
  for (const [name, reply, resp2, resp3] of cases) {
    it(`${name} in RESP2`, () => expect(parseReplies(encodeReply(reply, 2))).toEqual([resp2]));
    it(`${name} in RESP3`, () => expect(parseReplies(encodeReply(reply, 3))).toEqual([resp3]));
  }

  it('a deep mixed tree survives in both protocols', () => {
    const tree = map([
      [bulk('masters'), array([bulkMap([['name', 'mymaster'], ['port', 6379]]), nullBulk])],
      [bulk('flags'), set([bulk('s_down'), boolean(false), double(-Infinity)])],
      [bulk('events'), push([bulk('message'), bulk('+sdown'), nullArray])],
    ]);
    for (const protocol of [2, 3] as const) {
      const bytes = encodeReply(tree, protocol);
      const parsed = parseReplies(bytes);
      expect(parsed).toHaveLength(1);
      expect(encodeReply(toReply(parsed[0]), protocol)).toEqual(bytes);
    }
  });
});

/** The inverse mapping, to check that nothing was lost on the way. */
function toReply(v: RespValue): Reply {
  switch (v.type) {
    case 'simple':
      return { type: 'simple', value: v.value };
    case 'error':
      return { type: 'error', value: v.value };
    case 'integer':
      return { type: 'integer', value: v.value };
    case 'bulk':
      return { type: 'bulk', value: v.value };
    case 'null':
      return v.wire === 'array' ? nullArray : nullBulk;
    case 'array':
    case 'set':
    case 'push':
      return { type: v.type, items: v.items.map(toReply) };
    case 'map':
      return { type: 'map', entries: v.entries.map(([k, x]) => [toReply(k), toReply(x)]) };
    case 'double':
      return { type: 'double', value: v.value };
    case 'boolean':
      return { type: 'boolean', value: v.value };
    case 'verbatim':
      return { type: 'verbatim', format: v.format, value: v.value.toString() };
    case 'bignum':
    case 'attribute':
      throw new Error(`${v.type} has no Reply counterpart`);
  }
}

describe('text that came as bytes other than UTF-8', () => {
  const name = decodeBytes(Buffer.from([0xff, 0xfe, 0x6d]));
  const expected = Buffer.concat([Buffer.from('*2\r\n$3\r\n'), Buffer.from([0xff, 0xfe, 0x6d]), Buffer.from('\r\n$4\r\nname\r\n')]);

  it('goes back out as those bytes, its length counted in bytes', () => {
    const reply: Reply = { type: 'array', items: [{ type: 'bulk', value: name }, { type: 'bulk', value: 'name' }] };
    expect(encodeReply(reply, 2)).toEqual(expected);
    const size = { bytes: 0 };
    const written = encodeForWrite(reply, 2, size);
    expect(Buffer.from(written as Buffer)).toEqual(expected);
    expect(size.bytes).toBe(expected.length);
  });
});
