/**
 * sdssplitargs / sdscatrepr on bytes, the lossless bytes <-> text mapping, and a
 * comparison with the real redis-sentinel 7.0.15 (inline commands it echoes back
 * with PING, and config lines with unusual blanks).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/config/atomic-write.js';
import { asReadByFgets, readConfigFile } from '../../src/config/config-files.js';
import { parseConfig, ConfigError } from '../../src/config/load.js';
import { rewriteConfig } from '../../src/config/rewrite.js';
import { decodeBytes, encodeBytes, quoteRepr, quoteReprBytes, splitArgs, splitArgsBytes } from '../../src/config/split-args.js';
import { realSentinelBinary, withoutRealSentinel } from '../harness/real-sentinel.js';

const bytes = (...values: number[]) => Buffer.from(values);
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const splitLatin1 = (s: string) => splitArgsBytes(latin1(s))?.map((b) => b.toString('latin1')) ?? null;

describe('splitArgsBytes', () => {
  it('splits on blanks and keeps quoted blanks', () => {
    expect(splitLatin1('  set  "a b"  \'c d\'\t')).toEqual(['set', 'a b', 'c d']);
    expect(splitLatin1('')).toEqual([]);
    expect(splitLatin1(' \t\v\f\r\n')).toEqual([]);
  });

  it('ends a bare word only at space, tab, CR, LF (a \\v or \\f inside a word belongs to it)', () => {
    expect(splitLatin1('PING\vx')).toEqual(['PING\vx']);
    expect(splitLatin1('a\fb c')).toEqual(['a\fb', 'c']);
    expect(splitLatin1('port 1234\v')).toEqual(['port', '1234\v']);
    // Between words every isspace() blank is skipped.
    expect(splitLatin1('\v\fPING  \v x')).toEqual(['PING', 'x']);
    expect(splitLatin1('a\rb\nc\td')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('accepts any isspace() blank after a closing quote, and nothing else', () => {
    expect(splitLatin1('"a"\vb')).toEqual(['a', 'b']);
    expect(splitLatin1("'a'\fb")).toEqual(['a', 'b']);
    expect(splitLatin1('"a"b')).toBeNull();
    expect(splitLatin1("'a'b")).toBeNull();
  });

  it('rejects unbalanced quotes', () => {
    expect(splitLatin1('"abc')).toBeNull();
    expect(splitLatin1("'abc")).toBeNull();
    expect(splitLatin1('"abc\\"')).toBeNull();
  });

  it('decodes escapes in double quotes into bytes, and only \\\' in single quotes', () => {
    expect(splitArgsBytes(latin1('"\\xc3\\xa9\\xFF\\n\\r\\t\\b\\a\\q\\\\\\""'))).toEqual([
      bytes(0xc3, 0xa9, 0xff, 0x0a, 0x0d, 0x09, 0x08, 0x07, 0x71, 0x5c, 0x22),
    ]);
    // \x needs two hex digits, otherwise the x is just escaped
    expect(splitLatin1('"\\x4g"')).toEqual(['x4g']);
    expect(splitLatin1("'\\n\\'x'")).toEqual(["\\n'x"]);
  });

  it('passes raw bytes, including invalid UTF-8, through unchanged', () => {
    expect(splitArgsBytes(bytes(0x50, 0x20, 0xff, 0xfe, 0x20, 0x22, 0xc3, 0x28, 0x22))).toEqual([
      bytes(0x50),
      bytes(0xff, 0xfe),
      bytes(0xc3, 0x28),
    ]);
  });

  it('stops at a NUL byte, as Redis does with its C string', () => {
    expect(splitArgsBytes(bytes(0x61, 0x00, 0x62))).toEqual([bytes(0x61)]);
    expect(splitArgsBytes(bytes(0x61, 0x20, 0x00, 0x20, 0x62))).toEqual([bytes(0x61)]);
    expect(splitArgsBytes(latin1('"a\0b"'))).toBeNull();
    expect(splitArgsBytes(latin1('"a"\0b'))).toEqual([bytes(0x61)]);
  });
});

describe('decodeBytes / encodeBytes', () => {
  it('decodes valid UTF-8 normally', () => {
    expect(decodeBytes(Buffer.from('héllo €😀', 'utf8'))).toBe('héllo €😀');
    expect(encodeBytes('héllo €😀')).toEqual(Buffer.from('héllo €😀', 'utf8'));
  });

  it('round-trips every invalid sequence exactly', () => {
    const samples = [
      bytes(0xff),
      bytes(0xe9),
      bytes(0xc3),
      bytes(0xc3, 0x28),
      bytes(0xc0, 0xaf), // overlong '/'
      bytes(0xed, 0xa0, 0x80), // an encoded surrogate
      bytes(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
      bytes(0xe2, 0x82), // truncated €
      bytes(0x61, 0xe2, 0x82, 0xac, 0xff, 0xf0, 0x9f, 0x98, 0x80, 0x80),
    ];
    for (const sample of samples) expect(encodeBytes(decodeBytes(sample))).toEqual(sample);
  });

  it('keeps the valid parts of a partly invalid value readable', () => {
    expect(decodeBytes(bytes(0x61, 0xe2, 0x82, 0xac, 0xff, 0x62))).toBe('a€\udcffb');
  });

  it('round-trips all byte pairs', () => {
    const broken: string[] = [];
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const sample = bytes(a, b, 0xe2, 0x82, 0xac, a);
        if (!encodeBytes(decodeBytes(sample)).equals(sample)) broken.push(sample.toString('hex'));
      }
    }
    expect(broken).toEqual([]);
  });

  it('leaves real surrogate pairs alone when escapes are present', () => {
    expect(encodeBytes('😀\udcff')).toEqual(Buffer.concat([Buffer.from('😀', 'utf8'), bytes(0xff)]));
  });
});

describe('splitArgs fast path (lines without a backslash)', () => {
  it('gives exactly what splitting the bytes gives, on 20k random lines', () => {
    const alphabet = ['a', 'b', ' ', ' ', '\t', '\v', '\f', '\r', '\n', '"', '"', "'", "'", '\0', 'é', '€', '😀', '\udcff', 'x'];
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const mismatches: string[] = [];
    for (let n = 0; n < 20_000; n++) {
      let line = '';
      const length = Math.floor(random() * 12);
      for (let k = 0; k < length; k++) line += alphabet[Math.floor(random() * alphabet.length)];
      const viaBytes = splitArgsBytes(encodeBytes(line))?.map(decodeBytes) ?? null;
      if (JSON.stringify(splitArgs(line)) !== JSON.stringify(viaBytes)) mismatches.push(JSON.stringify(line));
    }
    expect(mismatches).toEqual([]);
  });
});

describe('splitArgs and quoteRepr', () => {
  it('quotes like sdscatrepr', () => {
    expect(quoteRepr('a b"\\\n\r\t\x07\b\x01~\x7f')).toBe('"a b\\"\\\\\\n\\r\\t\\a\\b\\x01~\\x7f"');
    expect(quoteRepr('é')).toBe('"\\xc3\\xa9"');
    expect(quoteReprBytes(bytes(0xff, 0x41))).toBe('"\\xffA"');
  });

  it('decodes \\xHH sequences as UTF-8 at the end of the token', () => {
    expect(splitArgs('sentinel auth-pass m "p\\xc3\\xa9ss"')).toEqual(['sentinel', 'auth-pass', 'm', 'péss']);
    expect(splitArgs('x "\\xe2\\x82\\xac" €')).toEqual(['x', '€', '€']);
  });

  it('round-trips values, valid UTF-8 or not, through quoteRepr', () => {
    const values = [
      'plain',
      'with space',
      'é€😀',
      '\v\f\0 \x01',
      'quote " and \\ and \'',
      decodeBytes(bytes(0xff, 0xfe, 0x41)),
      decodeBytes(bytes(0xc3, 0x28, 0xe2, 0x82, 0xac)),
    ];
    for (const value of values) {
      expect(splitArgs(quoteRepr(value))).toEqual([value]);
      expect(quoteRepr(splitArgs(quoteRepr(value))![0]!)).toBe(quoteRepr(value));
    }
  });

  it('turns an invalid byte into an escape that quoteRepr writes back as the same byte', () => {
    const [value] = splitArgs('"\\xe9t\\xe9"')!;
    expect(value).toBe('\udce9t\udce9');
    expect(quoteRepr(value!)).toBe('"\\xe9t\\xe9"');
    // The "é" spelled in UTF-8 is a different value, and stays different.
    expect(splitArgs('"\\xc3\\xa9"')).toEqual(['é']);
  });
});

describe('config files with NUL bytes', () => {
  it('lose the rest of what fgets read, as Redis appends each piece with sdscat', () => {
    const kept = (s: string) => asReadByFgets(latin1(s)).toString('latin1');
    expect(kept('port 1\0x\ndir /tmp\n')).toBe('port 1dir /tmp\n');
    expect(kept('a\0\nb\n\0c\n')).toBe('ab\n');
    expect(kept('port 1\n')).toBe('port 1\n');
    // fgets reads at most 1024 bytes: the piece after the first 1024 is kept.
    expect(kept(`${'x'.repeat(1000)}\0${'y'.repeat(23)}zz\n`)).toBe(`${'x'.repeat(1000)}zz\n`);
  });
});

describe('config files with bytes that are not UTF-8', () => {
  it('load, rewrite and write back with every byte intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'split-bytes-'));
    dirs.push(dir);
    const file = join(dir, 'sentinel.conf');
    writeFileSync(
      file,
      Buffer.concat([
        latin1('# kept \xfe\xff as written\nport 26390\nsentinel monitor m 127.0.0.1 6379 2\n'),
        latin1('sentinel auth-pass m p\xffq\n'),
        latin1('sentinel auth-user m "\\xe9t\\xc3\\xa9"\n'),
      ]),
    );
    const loaded = parseConfig(readConfigFile(file), { chdir: () => null, checkLogfile: () => null });
    const master = loaded.sentinel.masters[0]!;
    expect(encodeBytes(master.authPass!)).toEqual(latin1('p\xffq'));
    expect(encodeBytes(master.authUser!)).toEqual(latin1('\xe9t\xc3\xa9'));
    expect(master.authUser).toBe('\udce9té');

    await writeFileAtomic(file, rewriteConfig(readConfigFile(file), loaded.server, loaded.sentinel, { downAfterMs: 30000, failoverTimeoutMs: 180000 }));
    const written = readFileSync(file).toString('latin1');
    expect(written).toContain('# kept \xfe\xff as written\n');
    expect(written).toContain('sentinel auth-pass m p\xffq\n');
    // Redis writes auth-user as it is, so its bytes come out raw too.
    expect(written).toContain('sentinel auth-user m \xe9t\xc3\xa9\n');
  });
});

// ------------------------------------------------------------ against the real program

const REDIS_SENTINEL = realSentinelBinary() ?? 'redis-sentinel';
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

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

/** Sends raw bytes and collects what comes back until the first complete reply line (and bulk). */
function rawRequest(port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write(request));
    let data = Buffer.alloc(0);
    socket.setTimeout(3000, () => socket.destroy(new Error('no reply')));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const firstLine = data.indexOf('\r\n');
      if (firstLine === -1) return;
      if (data[0] === 0x24) {
        const length = Number(data.subarray(1, firstLine).toString());
        if (data.length < firstLine + 2 + length + 2) return;
      }
      socket.destroy();
      resolve(data);
    });
    socket.on('error', reject);
  });
}

/** The reply the real PING gives to the arguments we split the line into (latin1: one char per byte). */
function expectedPingReply(args: Buffer[] | null): string {
  if (args === null) return '-ERR Protocol error: unbalanced quotes in request\r\n';
  const [name, ...rest] = args.map((a) => a.toString('latin1'));
  if (name!.toLowerCase() !== 'ping') {
    return `-ERR unknown command '${name}', with args beginning with: ${rest.map((a) => `'${a}' `).join('')}\r\n`;
  }
  if (rest.length === 0) return '+PONG\r\n';
  if (rest.length === 1) return `$${rest[0]!.length}\r\n${rest[0]}\r\n`;
  return "-ERR wrong number of arguments for 'ping' command\r\n";
}

async function startRealSentinel(configText: string): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'split-real-'));
  dirs.push(dir);
  const port = await freePort();
  const file = join(dir, 'sentinel.conf');
  writeFileSync(file, latin1(configText.replaceAll('PORT', String(port))));
  const child = spawn(REDIS_SENTINEL, [file, '--logfile', join(dir, 'log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
  return { port, child, stderr: () => stderr };
}

/** Whether the real sentinel accepts the config: it either answers PING, or exits with a fatal error. */
async function realAccepts(configText: string): Promise<boolean> {
  const { port, child } = await startRealSentinel(configText);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      await rawRequest(port, latin1('PING\r\n'));
      child.kill('SIGKILL');
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('real sentinel neither started nor failed');
}

function oursAccepts(configText: string): boolean {
  try {
    parseConfig(configText.replaceAll('PORT', '26390'), { chdir: () => null, checkLogfile: () => null });
    return true;
  } catch (e) {
    if (e instanceof ConfigError) return false;
    throw e;
  }
}

describe.skipIf(withoutRealSentinel('split-args compared with the real redis-sentinel 7.0.15'))('compared with the real redis-sentinel 7.0.15', () => {
  it('splits inline commands into the same arguments (PING echoes them back)', async () => {
    const { port } = await startRealSentinel('port PORT\n');
    const lines = [
      'PING\vx',
      'PING a\vb',
      'PING a\fb',
      '\vPING',
      '\fPING  \v',
      'PING "a"\vb',
      "PING 'a'\fb",
      'PING "a\\xc3\\xa9"',
      'PING "\\xff\\xfe"',
      'PING \xff\xfe',
      'PING "\\q\\n\\x4g"',
      "PING 'it\\'s'",
      'PING "a"b',
    ];
    for (const line of lines) {
      const request = Buffer.concat([latin1(line), latin1('\r\n')]);
      let reply: Buffer | undefined;
      for (const deadline = Date.now() + 5000; reply === undefined && Date.now() < deadline; ) {
        reply = await rawRequest(port, request).catch(() => undefined);
        if (reply === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect({ line, reply: reply?.toString('latin1') }).toEqual({
        line,
        reply: expectedPingReply(splitArgsBytes(latin1(line))),
      });
    }
  });

  it('accepts and rejects the same config lines with \\v and \\f', async () => {
    const configs = ['port\vPORT\n', '\vport PORT\n', 'port PORT\v\n', 'port "PORT"\v\n', 'port PORT\f\n', "port 'PORT'\f\n"];
    for (const config of configs) {
      expect({ config, accepted: oursAccepts(config) }).toEqual({ config, accepted: await realAccepts(config) });
    }
  }, 30_000);
});
