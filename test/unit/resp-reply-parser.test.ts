import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReplies, ReplyParseError, ReplyParser, type RespValue } from '../../src/resp/reply-parser.js';

const FIXTURES = fileURLToPath(new URL('../../src/server/fixtures', import.meta.url));

function parseBytewise(bytes: Buffer): RespValue[] {
  const parser = new ReplyParser();
  const out: RespValue[] = [];
  for (const byte of bytes) {
    parser.feed(Buffer.from([byte]));
    for (let v = parser.next(); v !== undefined; v = parser.next()) out.push(v);
  }
  expect(parser.midReply).toBe(false);
  return out;
}

const text = (v: RespValue): string => {
  if (v.type === 'bulk' || v.type === 'verbatim') return v.value.toString();
  if (v.type === 'simple') return v.value;
  throw new Error(`not a string: ${v.type}`);
};

describe('ReplyParser on captured redis-sentinel replies', () => {
  const files = readdirSync(FIXTURES).filter((f) => /\.resp[23]$/.test(f));

  it('finds the fixtures', () => expect(files.length).toBeGreaterThanOrEqual(9));

  for (const file of files) {
    it(`${file} is exactly one reply, the same whether fed whole or byte by byte`, () => {
      const bytes = readFileSync(join(FIXTURES, file));
      const whole = parseReplies(bytes);
      expect(whole).toHaveLength(1);
      expect(parseBytewise(bytes)).toEqual(whole);
    });
  }

  it('COMMAND lists 15 commands, each with its arity as an integer', () => {
    const [reply] = parseReplies(readFileSync(join(FIXTURES, 'sentinel-7.0.15-COMMAND.resp2')));
    if (reply.type !== 'array') throw new Error(reply.type);
    expect(reply.items).toHaveLength(15);
    const names = reply.items.map((cmd) => (cmd.type === 'array' ? text(cmd.items[0]) : ''));
    expect(names).toContain('sentinel');
    const ping = reply.items.find((cmd) => cmd.type === 'array' && text(cmd.items[0]) === 'ping');
    expect(ping?.type === 'array' && ping.items[1]).toEqual({ type: 'integer', value: -1 });
  });

  it('COMMAND DOCS is a flat array in RESP2 and a map in RESP3', () => {
    const [resp2] = parseReplies(readFileSync(join(FIXTURES, 'sentinel-7.0.15-COMMAND-DOCS.resp2')));
    const [resp3] = parseReplies(readFileSync(join(FIXTURES, 'sentinel-7.0.15-COMMAND-DOCS.resp3')));
    if (resp2.type !== 'array' || resp3.type !== 'map') throw new Error(`${resp2.type} ${resp3.type}`);
    expect(resp2.items).toHaveLength(30);
    expect(resp3.entries.map(([k]) => text(k))).toEqual(resp2.items.filter((_, i) => i % 2 === 0).map(text));
  });

  it('SENTINEL HELP is an array of simple strings', () => {
    const [reply] = parseReplies(readFileSync(join(FIXTURES, 'sentinel-7.0.15-SENTINEL-HELP.resp2')));
    if (reply.type !== 'array') throw new Error(reply.type);
    expect(reply.items.every((i) => i.type === 'simple')).toBe(true);
    expect(text(reply.items[0])).toMatch(/^SENTINEL <subcommand>/);
  });
});

describe('ReplyParser keeps wire types apart', () => {
  const one = (wire: string) => parseReplies(Buffer.from(wire, 'latin1'));

  it('a bulk "6379" is not an integer 6379', () => {
    expect(one('$4\r\n6379\r\n:6379\r\n')).toEqual([
      { type: 'bulk', value: Buffer.from('6379') },
      { type: 'integer', value: 6379 },
    ]);
  });

  it('three kinds of null', () => {
    expect(one('$-1\r\n*-1\r\n_\r\n')).toEqual([
      { type: 'null', wire: 'bulk' },
      { type: 'null', wire: 'array' },
      { type: 'null', wire: 'null' },
    ]);
  });

  it('RESP3 scalars', () => {
    expect(one(',3.25\r\n,inf\r\n#f\r\n(12345678901234567890123\r\n!5\r\nERR x\r\n=7\r\nmkd:# a\r\n')).toEqual([
      { type: 'double', value: 3.25 },
      { type: 'double', value: Infinity },
      { type: 'boolean', value: false },
      { type: 'bignum', value: 12345678901234567890123n },
      { type: 'error', value: 'ERR x', blob: true },
      { type: 'verbatim', format: 'mkd', value: Buffer.from('# a') },
    ]);
  });

  it('aggregates, empty ones included', () => {
    expect(one('%1\r\n+k\r\n~0\r\n>2\r\n+a\r\n*0\r\n')).toEqual([
      {
        type: 'map',
        entries: [[{ type: 'simple', value: 'k' }, { type: 'set', items: [] }]],
      },
      { type: 'push', items: [{ type: 'simple', value: 'a' }, { type: 'array', items: [] }] },
    ]);
  });

  it('an attribute wraps the reply that follows it, even inside an array', () => {
    expect(one('*2\r\n|1\r\n+ttl\r\n:3\r\n:7\r\n:8\r\n')).toEqual([
      {
        type: 'array',
        items: [
          {
            type: 'attribute',
            attributes: [[{ type: 'simple', value: 'ttl' }, { type: 'integer', value: 3 }]],
            value: { type: 'integer', value: 7 },
          },
          { type: 'integer', value: 8 },
        ],
      },
    ]);
  });

  it('bulk payloads are binary-safe', () => {
    const bytes = Buffer.concat([Buffer.from('$4\r\n'), Buffer.from([0x0d, 0x0a, 0, 0xff]), Buffer.from('\r\n')]);
    expect(parseReplies(bytes)).toEqual([{ type: 'bulk', value: Buffer.from([0x0d, 0x0a, 0, 0xff]) }]);
  });

  it('returns nothing until a reply is complete', () => {
    const parser = new ReplyParser();
    parser.feed(Buffer.from('*2\r\n$3\r\nfo'));
    expect(parser.next()).toBeUndefined();
    parser.feed(Buffer.from('o\r\n:1\r'));
    expect(parser.next()).toBeUndefined();
    parser.feed(Buffer.from('\n+PONG\r\n'));
    expect(parser.next()).toEqual({ type: 'array', items: [{ type: 'bulk', value: Buffer.from('foo') }, { type: 'integer', value: 1 }] });
    expect(parser.next()).toEqual({ type: 'simple', value: 'PONG' });
    expect(parser.next()).toBeUndefined();
  });
});

describe('ReplyParser on malformed replies', () => {
  const malformed: Array<[string, string]> = [
    ['unknown type byte', '?x\r\n'],
    ['integer that is not one', ':12a\r\n'],
    ['bulk length that is not one', '$x\r\n'],
    ['negative bulk length other than -1', '$-2\r\n'],
    ['payload longer than announced', '$1\r\nab\r\n'],
    ['negative map size', '%-1\r\n'],
    ['bad boolean', '#x\r\n'],
    ['bad double', ',1.2.3\r\n'],
    ['verbatim without format', '=2\r\nab\r\n'],
  ];
  for (const [name, wire] of malformed) {
    it(name, () => expect(() => parseReplies(Buffer.from(wire))).toThrow(ReplyParseError));
  }

  it('an incomplete tail is reported by parseReplies', () => {
    expect(() => parseReplies(Buffer.from('+OK\r\n*2\r\n:1\r\n'))).toThrow(/bytes left/);
  });

  it('stays failed after an error', () => {
    const parser = new ReplyParser();
    parser.feed(Buffer.from('?\r\n'));
    expect(() => parser.next()).toThrow(ReplyParseError);
    parser.feed(Buffer.from('+OK\r\n'));
    expect(() => parser.next()).toThrow(ReplyParseError);
  });
});

describe('ReplyParser with limits (what links to instances and peers use)', () => {
  const limited = () => new ReplyParser({ maxReplyBytes: 1024, maxDepth: 2, maxElements: 4 });
  const drain = (p: ReplyParser): RespValue[] => {
    const out: RespValue[] = [];
    for (let v = p.next(); v !== undefined; v = p.next()) out.push(v);
    return out;
  };

  it('takes replies up to the limits, however many arrive together', () => {
    const p = limited();
    const bulk = `$1000\r\n${'x'.repeat(1000)}\r\n`;
    p.feed(Buffer.from(`${bulk}${bulk}*4\r\n*2\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n`));
    expect(drain(p).map((v) => v.type)).toEqual(['bulk', 'bulk', 'array']);
  });

  it('fails on an announced length beyond the limit before its bytes arrive', () => {
    const p = limited();
    p.feed(Buffer.from('$1025\r\n'));
    expect(() => p.next()).toThrow(/longer than 1024/);
  });

  it('fails on a line that grows past the limit without ending', () => {
    const p = limited();
    p.feed(Buffer.from(`+${'x'.repeat(1000)}`));
    expect(p.next()).toBeUndefined();
    p.feed(Buffer.from('x'.repeat(100)));
    expect(() => p.next()).toThrow(/longer than 1024/);
  });

  it('counts every element of an aggregate toward the limit', () => {
    const p = limited();
    p.feed(Buffer.from(`*3\r\n$400\r\n${'a'.repeat(400)}\r\n$400\r\n${'b'.repeat(400)}\r\n$400\r\n`));
    expect(() => p.next()).toThrow(/longer than 1024/);
  });

  it('fails on nesting deeper than allowed and on too many elements', () => {
    const deep = limited();
    deep.feed(Buffer.from('*1\r\n*1\r\n*1\r\n:1\r\n'));
    expect(() => deep.next()).toThrow(/nested deeper than 2/);
    const wide = limited();
    wide.feed(Buffer.from('*5\r\n'));
    expect(() => wide.next()).toThrow(/aggregate of 5 elements/);
  });
});
