import { describe, expect, it } from 'vitest';
import { encodeReply } from '../../src/resp/encode.js';
import { ProtocolError, RequestParser, type RequestParserOptions } from '../../src/resp/request-parser.js';

interface Outcome {
  commands: string[][];
  error?: string;
}

/** Feeds `chunks`, draining complete commands after every chunk as a server would after every read. */
function run(chunks: Array<string | Buffer>, options?: RequestParserOptions): Outcome {
  const parser = new RequestParser(options);
  const commands: string[][] = [];
  try {
    for (const chunk of chunks) {
      parser.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
      for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) commands.push(cmd.map((a) => a.toString('latin1')));
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { commands, error: e.message };
  }
  return { commands };
}

function bytewise(input: string): string[] {
  return [...input];
}

/**
 * Inputs and what redis-sentinel 7.0.15 did with them (recorded over a socket): the
 * commands it executed, then the protocol error it answered before closing, if any.
 */
const recorded: Array<[string, string, Outcome]> = [
  ['inline command', 'PING\r\n', { commands: [['PING']] }],
  ['inline ended by LF alone', 'PING\n', { commands: [['PING']] }],
  ['empty inline line is skipped', '\r\nPING\r\n', { commands: [['PING']] }],
  ['blank inline line is skipped', '   \r\nPING\r\n', { commands: [['PING']] }],
  ['inline double quotes', 'PING "a b"\r\n', { commands: [['PING', 'a b']] }],
  ['inline hex escapes', 'PING "\\x41\\x42"\r\n', { commands: [['PING', 'AB']] }],
  ['inline CR inside a line separates', 'PI\rNG\n', { commands: [['PI', 'NG']] }],
  ['inline tab separates', 'ECHO\tx\r\n', { commands: [['ECHO', 'x']] }],
  ['inline starting with $ is inline', '$4\r\n', { commands: [['$4']] }],
  ['unbalanced double quote', 'PING "abc\r\nPING\r\n', { commands: [], error: 'Protocol error: unbalanced quotes in request' }],
  ['unbalanced single quote', "PING 'abc\r\n", { commands: [], error: 'Protocol error: unbalanced quotes in request' }],
  ['closing quote glued to text', 'PING "a"b\r\n', { commands: [], error: 'Protocol error: unbalanced quotes in request' }],
  ['multibulk', '*1\r\n$4\r\nPING\r\n', { commands: [['PING']] }],
  ['*0 is no command', '*0\r\nPING\r\n', { commands: [['PING']] }],
  ['*-1 is no command', '*-1\r\nPING\r\n', { commands: [['PING']] }],
  ['*-5 is no command', '*-5\r\nPING\r\n', { commands: [['PING']] }],
  ['count not a number', '*x\r\n', { commands: [], error: 'Protocol error: invalid multibulk length' }],
  ['empty count', '*\r\n', { commands: [], error: 'Protocol error: invalid multibulk length' }],
  ['count with leading zero', '*01\r\n$4\r\nPING\r\n', { commands: [], error: 'Protocol error: invalid multibulk length' }],
  ['count with plus sign', '*+1\r\n$4\r\nPING\r\n', { commands: [], error: 'Protocol error: invalid multibulk length' }],
  ['count with trailing space', '*1 \r\n', { commands: [], error: 'Protocol error: invalid multibulk length' }],
  ['count above INT_MAX', '*2147483648\r\n', { commands: [], error: 'Protocol error: invalid multibulk length' }],
  ['count of 20 digits', `*${'1'.repeat(20)}\r\n`, { commands: [], error: 'Protocol error: invalid multibulk length' }],
  ['INT_MAX arguments are accepted (and awaited)', '*2147483647\r\n', { commands: [] }],
  ['argument without $', '*1\r\nx4\r\nPING\r\n', { commands: [], error: "Protocol error: expected '$', got 'x'" }],
  ['argument with : type', '*1\r\n:4\r\nPING\r\n', { commands: [], error: "Protocol error: expected '$', got ':'" }],
  ['bulk length not a number', '*1\r\n$x\r\nPING\r\n', { commands: [], error: 'Protocol error: invalid bulk length' }],
  ['bulk length -1', '*1\r\n$-1\r\n', { commands: [], error: 'Protocol error: invalid bulk length' }],
  ['bulk length with leading zero', '*1\r\n$04\r\nPING\r\n', { commands: [], error: 'Protocol error: invalid bulk length' }],
  ['bulk length above proto-max-bulk-len', '*1\r\n$536870913\r\n', { commands: [], error: 'Protocol error: invalid bulk length' }],
  ['bulk length of 20 digits', `*1\r\n$${'1'.repeat(20)}\r\n`, { commands: [], error: 'Protocol error: invalid bulk length' }],
  ['bulk of proto-max-bulk-len is awaited', '*1\r\n$536870912\r\n', { commands: [] }],
  ['empty bulk', '*2\r\n$4\r\nPING\r\n$0\r\n\r\n', { commands: [['PING', '']] }],
  ['byte after CR not checked', '*1\rX$4\rYPING\r\n', { commands: [['PING']] }],
  ['bytes after payload not checked', '*2\r\n$4\r\nPINGxx$1\r\nz\r\n', { commands: [['PING', 'z']] }],
  [
    'pipelined multibulk and inline',
    '*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n',
    { commands: [['PING'], ['PING'], ['ECHO', 'hi']] },
  ],
  [
    'commands before a bad one still run',
    'PING\r\nPING x\r\n*1\r\nx\r\nPING\r\n',
    { commands: [['PING'], ['PING', 'x']], error: "Protocol error: expected '$', got 'x'" },
  ],
  [
    'inline error after a multibulk',
    '*1\r\n$4\r\nPING\r\nECHO "x\r\n',
    { commands: [['PING']], error: 'Protocol error: unbalanced quotes in request' },
  ],
  ['binary payload', '*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n', { commands: [['ECHO', 'a\0b']] }],
  // Redis searches line ends with strchr: a NUL before the terminator leaves the request pending.
  ['NUL in an inline line', 'PING\0\r\nPING\r\n', { commands: [] }],
  ['NUL inside inline quotes', 'PING "ab\0cd"\r\n', { commands: [] }],
  ['NUL in a count line', '*1\0\r\n$4\r\nPING\r\n', { commands: [] }],
  ['NUL instead of $', '*1\r\n\0\r\n', { commands: [] }],
];

describe('RequestParser, as redis-server 7.0 parses', () => {
  for (const [name, input, expected] of recorded) {
    it(`${name} (one chunk)`, () => {
      expect(run([input])).toEqual(expected);
    });
    it(`${name} (one byte at a time)`, () => {
      expect(run(bytewise(input))).toEqual(expected);
    });
  }

  it('keeps argument bytes exact, inline ones included', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from([0x53, 0x45, 0x54, 0x20, 0xff, 0xe9, 0x20, 0x22, 0x5c, 0x78, 0x38, 0x30, 0x22, 0x0a]));
    expect(parser.next()).toEqual([Buffer.from('SET'), Buffer.from([0xff, 0xe9]), Buffer.from([0x80])]);
    parser.feed(Buffer.concat([Buffer.from('*1\r\n$4\r\n'), Buffer.from([0, 0x0d, 0x0a, 0xff]), Buffer.from('\r\n')]));
    expect(parser.next()).toEqual([Buffer.from([0, 0x0d, 0x0a, 0xff])]);
    expect(parser.next()).toBeNull();
  });

  it('returns each of many pipelined commands in order', () => {
    const input = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `ECHO ${i}\r\n` : `*2\r\n$4\r\nECHO\r\n$${String(i).length}\r\n${i}\r\n`)).join('');
    const { commands, error } = run([input]);
    expect(error).toBeUndefined();
    expect(commands).toHaveLength(1000);
    expect(commands[999]).toEqual(['ECHO', '999']);
    expect(commands.every((c, i) => c[1] === String(i))).toBe(true);
  });

  it('waits for the rest of a split command', () => {
    expect(run(['*1\r', '\n$4', '\r\nPI', 'NG\r', '\n'])).toEqual({ commands: [['PING']] });
    const parser = new RequestParser();
    parser.feed(Buffer.from('*2\r\n$4\r\nECHO\r\n$5\r\nhel'));
    expect(parser.next()).toBeNull();
    parser.feed(Buffer.from('lo\r\n'));
    expect(parser.next()?.map(String)).toEqual(['ECHO', 'hello']);
  });

  it('assembles a large argument from many reads', () => {
    const payload = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const input = Buffer.concat([Buffer.from(`*1\r\n$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
    const parser = new RequestParser();
    let command: Buffer[] | null = null;
    for (let at = 0; at < input.length; at += 65536) {
      parser.feed(input.subarray(at, at + 65536));
      command = parser.next() ?? command;
    }
    expect(command?.[0].equals(payload)).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
  });
});

describe('RequestParser size limits', () => {
  const a = (n: number) => 'a'.repeat(n);

  it('accepts an inline line of 64 KB whose end comes later', () => {
    expect(run([a(65536), '\r\n'])).toEqual({ commands: [[a(65536)]] });
  });

  it('refuses more than 64 KB of inline line without its end', () => {
    expect(run([a(65537)]).error).toBe('Protocol error: too big inline request');
    expect(run(bytewise(a(65537))).error).toBe('Protocol error: too big inline request');
  });

  it('a NUL-stalled inline request ends in the size error', () => {
    expect(run(['PING\0', a(65537)]).error).toBe('Protocol error: too big inline request');
  });

  it('refuses an overlong count line', () => {
    expect(run([`*${'1'.repeat(65537)}`]).error).toBe('Protocol error: too big mbulk count string');
    expect(run([`*${'1'.repeat(65535)}`])).toEqual({ commands: [] });
  });

  it('refuses an overlong bulk length line', () => {
    expect(run([`*1\r\n$${'1'.repeat(65537)}`]).error).toBe('Protocol error: too big bulk count string');
    expect(run([`*1\r\n$4\0${'1'.repeat(65537)}`]).error).toBe('Protocol error: too big bulk count string');
  });

  it('honours a smaller proto-max-bulk-len', () => {
    expect(run(['*1\r\n$11\r\n'], { maxBulkLength: 10 }).error).toBe('Protocol error: invalid bulk length');
    expect(run(['*1\r\n$10\r\n0123456789\r\n'], { maxBulkLength: 10 })).toEqual({ commands: [['0123456789']] });
  });
});

describe('RequestParser before authentication', () => {
  const args = (n: number) => `*${n}\r\n${'$4\r\nPING\r\n'.repeat(n)}`;
  const locked = { authRequired: () => true };

  it('allows 10 arguments and refuses 11', () => {
    expect(run([args(10)], locked).commands).toHaveLength(1);
    expect(run([args(11)], locked)).toEqual({ commands: [], error: 'Protocol error: unauthenticated multibulk length' });
  });

  it('allows a 16384-byte argument and refuses a longer one', () => {
    expect(run(['*1\r\n$16384\r\n'], locked)).toEqual({ commands: [] });
    expect(run(['*1\r\n$16385\r\n'], locked)).toEqual({ commands: [], error: 'Protocol error: unauthenticated bulk length' });
  });

  it('lifts the limits for commands after a successful AUTH in the same read', () => {
    let authenticated = false;
    const parser = new RequestParser({ authRequired: () => !authenticated });
    parser.feed(Buffer.from(`*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n${args(11)}`));
    expect(parser.next()?.map(String)).toEqual(['AUTH', 'secret']);
    authenticated = true;
    expect(parser.next()).toHaveLength(11);
  });

  it('does not limit inline commands', () => {
    expect(run([`${'x '.repeat(20)}\r\n`], locked).commands[0]).toHaveLength(20);
  });
});

describe('ProtocolError', () => {
  it('is final: later calls fail the same way and input is ignored', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from('*x\r\n'));
    expect(() => parser.next()).toThrow('Protocol error: invalid multibulk length');
    parser.feed(Buffer.from('PING\r\n'));
    expect(() => parser.next()).toThrow(ProtocolError);
    expect(parser.bufferedBytes).toBe(0);
  });

  function replyFor(input: Buffer): Buffer {
    const parser = new RequestParser();
    parser.feed(input);
    try {
      parser.next();
    } catch (e) {
      if (e instanceof ProtocolError) return encodeReply(e.reply, 2);
    }
    throw new Error('no protocol error');
  }

  it('answers as redis-server does, CR and LF turned into spaces', () => {
    expect(replyFor(Buffer.from('*1\r\n\r\n\r\n')).toString('latin1')).toBe("-ERR Protocol error: expected '$', got ' '\r\n");
    expect(replyFor(Buffer.from('*1\r\n\n\r\n')).toString('latin1')).toBe("-ERR Protocol error: expected '$', got ' '\r\n");
    expect(replyFor(Buffer.from('*x\r\n')).toString('latin1')).toBe('-ERR Protocol error: invalid multibulk length\r\n');
  });

  it('sends the offending byte as it came', () => {
    const reply = replyFor(Buffer.from([0x2a, 0x31, 0x0d, 0x0a, 0xff, 0x0d, 0x0a]));
    expect(reply).toEqual(Buffer.concat([Buffer.from("-ERR Protocol error: expected '$', got '"), Buffer.from([0xff]), Buffer.from("'\r\n")]));
  });
});
