/**
 * Differential fuzzer of client requests on the sentinel port.
 *
 * One real redis-sentinel and one of ours are started, each from its own temp dir with the
 * same minimal sentinel.conf (one master on a port nobody listens on). Every input, drawn from
 * a seeded PRNG, is a byte sequence (RESP2 multibulk, inline commands, pipelines, RESP3 after
 * HELLO 3, subscribed mode, mutated requests, random bytes, bad lengths, NULs, non-UTF-8 bytes)
 * sent to both, each on a fresh connection, cut into the same chunks with the same gaps. The
 * reply bytes (until the connection is idle or closed) and whether the server closed it are
 * compared after the normalisation below; a difference is printed with the seed, the input
 * index and the bytes, and the run goes on.
 *
 *   node dist/test/fuzz/request-fuzzer.js --seed 1 --inputs 3000 [--concurrency 4] [--quiet]
 *   node dist/test/fuzz/request-fuzzer.js --seed 1 --start 1234 --inputs 1     (replays input 1234)
 *
 * Exits non-zero if ours crashed, stalled (no reply within 2 s where redis-sentinel replied)
 * or differed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realSentinelBinary } from '../harness/real-sentinel.js';
import { mulberry32 } from '../sim/rng.js';
import { escapeBytes, freeLowPort, ourDaemonCommand, rssKb } from './processes.js';

export { escapeBytes };

// ---------------------------------------------------------------------------------------------
// PRNG


class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** Each input has its own PRNG, so input i can be regenerated alone from (seed, i). */
function inputSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Input generation

/** The master the configs monitor. */
const MASTER = 'm';

/** Commands (as argument lists) drawn from what a sentinel knows; none changes state beyond the connection. */
function commandTemplate(r: Rng, channel: string): string[] {
  const str = () => r.pick(['', 'x', 'hello', 'a b', MASTER, 'nosuch', '*', '0', '-1', '1', 'ON', 'OFF', 'yes', '3', '2']);
  const templates: Array<() => string[]> = [
    () => ['PING'],
    () => ['PING', str()],
    () => ['PING', str(), str()],
    () => ['ECHO', str()],
    () => ['ECHO'],
    () => ['INFO'],
    () => ['INFO', r.pick(['server', 'clients', 'stats', 'sentinel', 'cpu', 'all', 'everything', 'default', 'nosuch', 'SERVER', 'keyspace', 'memory'])],
    () => ['INFO', r.pick(['server', 'clients']), r.pick(['sentinel', 'stats', 'x'])],
    () => ['ROLE'],
    () => ['ROLE', str()],
    () => ['CLIENT', 'ID'],
    () => ['CLIENT', 'GETNAME'],
    () => ['CLIENT', 'SETNAME', r.pick(['fuzz', 'a b', '', 'x\ny', 'name'])],
    () => ['CLIENT', 'INFO'],
    () => ['CLIENT', 'LIST'],
    () => ['CLIENT', 'LIST', 'TYPE', r.pick(['normal', 'pubsub', 'master', 'replica', 'nosuch'])],
    () => ['CLIENT', 'LIST', 'ID', r.pick(['1', 'abc', '-1', '99999'])],
    () => ['CLIENT', 'REPLY', r.pick(['ON', 'OFF', 'SKIP', 'nosuch'])],
    () => ['CLIENT', 'NO-EVICT', r.pick(['on', 'off', 'x'])],
    () => ['CLIENT', 'HELP'],
    () => ['CLIENT', 'GETREDIR'],
    () => ['CLIENT', 'TRACKINGINFO'],
    () => ['CLIENT', 'TRACKING', r.pick(['on', 'off', 'x'])],
    () => ['CLIENT', 'CACHING', r.pick(['yes', 'no'])],
    () => ['CLIENT', 'UNBLOCK', r.pick(['999999', 'x'])],
    () => ['CLIENT', 'UNPAUSE'],
    () => ['CLIENT', r.pick(['nosuch', 'ID', 'INFO'])],
    () => ['CLIENT'],
    () => ['COMMAND', 'COUNT'],
    () => ['COMMAND', 'INFO', r.pick(['ping', 'sentinel', 'client', 'get', 'nosuch', 'client|list'])],
    () => ['COMMAND', 'DOCS', r.pick(['ping', 'sentinel', 'nosuch'])],
    () => ['COMMAND', 'LIST', 'FILTERBY', r.pick(['PATTERN', 'ACLCAT', 'MODULE', 'x']), r.pick(['p*', 'connection', 'x'])],
    () => ['COMMAND', 'GETKEYS', r.pick(['ping', 'get', 'sentinel', 'x'])],
    () => ['COMMAND', 'HELP'],
    () => ['COMMAND', r.pick(['nosuch', 'COUNT'])],
    () => ['HELLO'],
    () => ['HELLO', r.pick(['2', '3', '1', '4', 'x', '-1'])],
    () => ['HELLO', r.pick(['2', '3']), 'SETNAME', r.pick(['fuzz', 'a b'])],
    () => ['HELLO', r.pick(['2', '3']), 'AUTH', r.pick(['default', 'nosuch']), r.pick(['pw', ''])],
    () => ['AUTH', r.pick(['pw', ''])],
    () => ['AUTH', r.pick(['default', 'nosuch']), 'pw'],
    () => ['AUTH'],
    () => ['SENTINEL', 'MASTERS'],
    () => ['SENTINEL', 'MASTER', r.pick([MASTER, 'nosuch'])],
    () => ['SENTINEL', 'REPLICAS', r.pick([MASTER, 'nosuch'])],
    () => ['SENTINEL', 'SLAVES', r.pick([MASTER, 'nosuch'])],
    () => ['SENTINEL', 'SENTINELS', r.pick([MASTER, 'nosuch'])],
    () => ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', r.pick([MASTER, 'nosuch'])],
    () => ['SENTINEL', 'CKQUORUM', r.pick([MASTER, 'nosuch'])],
    () => ['SENTINEL', 'MYID'],
    () => ['SENTINEL', 'INFO-CACHE'],
    () => ['SENTINEL', 'INFO-CACHE', r.pick([MASTER, 'nosuch'])],
    () => ['SENTINEL', 'CONFIG', 'GET', r.pick(['*', 'resolve-hostnames', 'announce-*', 'nosuch', 'sentinel-user'])],
    () => ['SENTINEL', 'PENDING-SCRIPTS'],
    () => ['SENTINEL', 'HELP'],
    () => ['SENTINEL', r.pick(['nosuch', 'MASTER', 'MASTERS', 'CONFIG'])],
    () => ['SENTINEL'],
    () => ['SUBSCRIBE', channel],
    () => ['SUBSCRIBE', channel, `${channel}b`],
    () => ['UNSUBSCRIBE'],
    () => ['UNSUBSCRIBE', channel],
    () => ['PSUBSCRIBE', `${channel}*`],
    () => ['PUNSUBSCRIBE'],
    () => ['PUBLISH', channel, str()],
    () => ['ACL', r.pick(['WHOAMI', 'CAT', 'LIST', 'USERS', 'HELP', 'LOG', 'nosuch'])],
    () => ['ACL', 'GETUSER', r.pick(['default', 'nosuch'])],
    () => ['ACL', 'DRYRUN', 'default', r.pick(['ping', 'sentinel', 'get'])],
    () => ['QUIT'],
    () => [r.pick(['GET', 'FOO', 'MULTI', 'EXEC', 'SELECT', 'XYZZY', 'CONFIG', 'KEYS', 'WAIT', 'MONITORX']), str()],
  ];
  return r.pick(templates)();
}

/** Random case of ASCII letters, sometimes. */
function recase(r: Rng, s: string): string {
  if (!r.chance(0.3)) return s;
  return [...s].map((c) => (r.chance(0.5) ? c.toLowerCase() : c.toUpperCase())).join('');
}

/** An argument replaced by odd bytes: NULs, bytes that are not UTF-8, CR/LF, long runs. */
function oddArg(r: Rng): Buffer {
  switch (r.int(7)) {
    case 0:
      return Buffer.from([r.int(256), 0x00, r.int(256)]);
    case 1:
      return Buffer.from([0xff, 0xfe, 0x41, 0xc3, 0x28]);
    case 2:
      return Buffer.from('a\r\nb');
    case 3:
      return Buffer.alloc(r.range(100, 300), 0x41 + r.int(26));
    case 4:
      return Buffer.from([0xe2, 0x82, 0xac, 0x00, 0x80]);
    case 5:
      return Buffer.alloc(0);
    default:
      return randomBytes(r, r.range(1, 12));
  }
}

function randomBytes(r: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

function argsOf(r: Rng, channel: string): Buffer[] {
  const words = commandTemplate(r, channel);
  const args: Buffer[] = words.map((w, i) => Buffer.from(i < 2 ? recase(r, w) : w, 'latin1'));
  if (r.chance(0.12)) args[r.int(args.length)] = oddArg(r);
  if (r.chance(0.05)) args.push(oddArg(r));
  return args;
}

function multibulk(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** An inline command; arguments quoted sometimes (sdssplitargs rules), with odd spacing and endings. */
function inline(r: Rng, args: Buffer[]): Buffer {
  const parts = args.map((a) => {
    const q = r.int(10);
    if (q === 0) return Buffer.concat([Buffer.from('"'), Buffer.from(a.toString('latin1').replace(/[\\"]/g, '\\$&'), 'latin1'), Buffer.from('"')]);
    if (q === 1) return Buffer.from(`"\\x${r.int(256).toString(16).padStart(2, '0')}${r.pick(['', '\\n', '\\t', 'z', '\\"'])}"`);
    if (q === 2) return Buffer.from(`'${a.toString('latin1').replace(/'/g, "\\'")}'`, 'latin1');
    if (q === 3 && r.chance(0.3)) return Buffer.from(r.pick(['"unbalanced', "'x", '"a"b', '"\\', "'a'b"]));
    return a.length === 0 ? Buffer.from('""') : a;
  });
  const sep = () => Buffer.from(r.pick([' ', ' ', ' ', '  ', '\t', ' \t ']));
  const out: Buffer[] = [];
  if (r.chance(0.1)) out.push(sep());
  parts.forEach((p, i) => {
    if (i > 0) out.push(sep());
    out.push(p);
  });
  out.push(Buffer.from(r.pick(['\r\n', '\r\n', '\r\n', '\n', ' \r\n', '\r\n\r\n'])));
  return Buffer.concat(out);
}

function request(r: Rng, channel: string, allowInline = true): Buffer {
  const args = argsOf(r, channel);
  return allowInline && r.chance(0.25) ? inline(r, args) : multibulk(args);
}

/** Byte-level mutations of a well-formed request. */
function mutate(r: Rng, input: Buffer): Buffer {
  let b: Buffer = Buffer.from(input);
  const count = r.range(1, 3);
  for (let k = 0; k < count; k++) {
    const at = b.length === 0 ? 0 : r.int(b.length);
    switch (r.int(9)) {
      case 0: // flip a byte
        if (b.length > 0) b[at] = r.int(256);
        break;
      case 1: // insert a byte (NUL, high byte, CR, LF or any)
        b = Buffer.concat([b.subarray(0, at), Buffer.from([r.pick([0x00, 0x80, 0xff, 0x0d, 0x0a, r.int(256)])]), b.subarray(at)]);
        break;
      case 2: // delete a byte
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        break;
      case 3: // truncate
        b = b.subarray(0, at);
        break;
      case 4: // duplicate a stretch
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + r.range(1, 20)), b.subarray(at)]);
        break;
      case 5:
      case 6: {
        // rewrite a length (after * or $)
        const text = b.toString('latin1');
        const spots = [...text.matchAll(/[*$](-?\d+)\r\n/g)];
        if (spots.length === 0) break;
        const m = r.pick(spots);
        const n = Number(m[1]);
        const repl = r.pick([String(n + 1), String(n - 1), '0', '-1', '-2', '', 'abc', '1x', ' 1', '+1', '2147483648', '536870913', '1048577', '99999999', String(n * 10), '00' + n]);
        const start = m.index! + 1;
        b = Buffer.concat([b.subarray(0, start), Buffer.from(repl, 'latin1'), b.subarray(start + m[1].length)]);
        break;
      }
      case 7: // CRLF broken
        {
          const i = b.indexOf('\r\n');
          if (i >= 0) b = Buffer.concat([b.subarray(0, i), Buffer.from(r.pick(['\n', '\r', '\r\r\n', 'x\n', '\r\x00'])), b.subarray(i + 2)]);
        }
        break;
      default: // swap the type byte
        {
          const text = b.toString('latin1');
          const spots = [...text.matchAll(/[*$]/g)];
          if (spots.length > 0) b[r.pick(spots).index!] = r.pick([0x2a, 0x24, 0x3a, 0x2b, 0x2d, 0x25, 0x7e, 0x23]);
        }
    }
  }
  return b;
}

/** Requests that break the protocol on purpose: bad counts and lengths. */
function badLengths(r: Rng): Buffer {
  const forms = [
    '*abc\r\n',
    '*-5\r\n',
    '*-1\r\n*1\r\n$4\r\nPING\r\n',
    '*0\r\n*1\r\n$4\r\nPING\r\n',
    '*1\r\n$-1\r\n',
    '*1\r\n$abc\r\n',
    '*1\r\n$\r\n',
    '*\r\n',
    '*1\r\n:1\r\n',
    '*2\r\n$4\r\nPING\r\n+x\r\n',
    '*1048577\r\n',
    '*1048576\r\n',
    '*1\r\n$536870913\r\n',
    '*1\r\n$536870912\r\n',
    '*2147483648\r\n',
    '*3000000000\r\n',
    '*1\r\n$99999999999999999999\r\n',
    '*1\r\n$4\r\nPINGxx\r\n',
    '*1\r\n$4\r\nPIN\r\n\r\n',
    '*1 \r\n$4\r\nPING\r\n',
    '* 1\r\n$4\r\nPING\r\n',
    '*01\r\n$04\r\nPING\r\n',
    '*+1\r\n$4\r\nPING\r\n',
    '*1\r\n$+4\r\nPING\r\n',
    '*1\n$4\nPING\n',
    '*1\r\n$4\r\nPING',
    '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n',
    '$4\r\nPING\r\n',
    ':1\r\n',
    '\r\n\r\nPING\r\n',
    '\x00PING\r\n',
    'PI\x00NG\r\n',
    '*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\nx',
  ];
  let s = Buffer.from(r.pick(forms), 'latin1');
  if (r.chance(0.3)) s = Buffer.concat([request(r, 'c'), s]);
  if (r.chance(0.3)) s = Buffer.concat([s, request(r, 'c')]);
  return s;
}

export interface FuzzInput {
  bytes: Buffer;
  /** Where the bytes are cut into writes (ascending offsets), and the pause before each write after the first (ms). */
  cuts: number[];
  gapsMs: number[];
  /** Which generator made it, for the difference kinds. */
  shape: string;
}

/** Words that must never reach a server as a token: they change its state or stop it. */
const FORBIDDEN = new Set([
  'shutdown', 'set', 'monitor', 'remove', 'reset', 'failover', 'flushconfig', 'simulate-failure', 'debug', 'kill', 'pause',
  'setuser', 'deluser', 'load', 'save', 'is-master-down-by-addr', 'replicaof', 'slaveof', 'genpass',
]);

function safe(bytes: Buffer): boolean {
  for (const token of bytes.toString('latin1').toLowerCase().split(/[^a-z-]+/)) if (FORBIDDEN.has(token)) return false;
  return true;
}

/** Input `index` of the run with `seed`: a pure function of both. */
export function generateInput(seed: number, index: number): FuzzInput {
  const r = new Rng(inputSeed(seed, index));
  const channel = `ch${seed}-${index}`;
  for (;;) {
    let bytes: Buffer;
    let shape: string;
    const kind = r.int(100);
    if (kind < 25) {
      shape = 'multibulk';
      bytes = multibulk(argsOf(r, channel));
    } else if (kind < 37) {
      shape = 'inline';
      bytes = inline(r, argsOf(r, channel));
    } else if (kind < 49) {
      shape = 'pipeline';
      const n = r.range(2, 6);
      bytes = Buffer.concat(Array.from({ length: n }, () => request(r, channel)));
    } else if (kind < 57) {
      shape = 'resp3';
      const hello = multibulk([Buffer.from('HELLO'), Buffer.from('3')]);
      const n = r.range(1, 4);
      bytes = Buffer.concat([hello, ...Array.from({ length: n }, () => request(r, channel))]);
    } else if (kind < 64) {
      shape = 'subscribed';
      const sub = multibulk([Buffer.from(r.pick(['SUBSCRIBE', 'PSUBSCRIBE'])), Buffer.from(channel)]);
      const more = Array.from({ length: r.range(1, 4) }, () =>
        r.chance(0.5) ? multibulk(r.pick([[Buffer.from('PING')], [Buffer.from('PING'), Buffer.from('x')], [Buffer.from('UNSUBSCRIBE')], [Buffer.from('PUNSUBSCRIBE')]])) : request(r, channel),
      );
      bytes = Buffer.concat([r.chance(0.2) ? multibulk([Buffer.from('HELLO'), Buffer.from('3')]) : Buffer.alloc(0), sub, ...more]);
    } else if (kind < 86) {
      shape = 'mutated';
      const base = r.chance(0.4) ? Buffer.concat([request(r, channel), request(r, channel)]) : request(r, channel);
      bytes = mutate(r, base);
    } else if (kind < 93) {
      shape = 'bad-length';
      bytes = badLengths(r);
    } else if (kind < 99) {
      shape = 'random';
      bytes = randomBytes(r, r.range(1, 48));
      if (r.chance(0.5)) bytes = Buffer.concat([bytes, Buffer.from('\r\n')]);
    } else {
      shape = 'big-inline';
      // A line under 64 KB is served, one over 64 KB without its end refused. A line over 64 KB
      // WITH its end is left out: whether it is refused depends on how much of it each read(2)
      // returned before the end came (redis-sentinel grows its query buffer 16, 32, 64 KB at a
      // time; Node reads up to 64 KB at once), a known difference with no request-level cause.
      const over = r.chance(0.5);
      bytes = Buffer.concat([Buffer.from('PING '), Buffer.alloc(over ? r.pick([64 * 1024 + 10, 70 * 1024]) : 64 * 1024 - 10, 0x61), over ? Buffer.alloc(0) : Buffer.from('\r\n')]);
    }
    if (bytes.length === 0 || !safe(bytes)) continue;
    const pieces = r.chance(0.5) ? 1 : r.range(2, 5);
    const cuts = new Set<number>();
    for (let i = 1; i < pieces; i++) cuts.add(1 + r.int(Math.max(1, bytes.length - 1)));
    const sorted = [...cuts].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
    return { bytes, cuts: sorted, gapsMs: sorted.map(() => r.int(6)), shape };
  }
}

// ---------------------------------------------------------------------------------------------
// Exchanges

const IDLE_MS = 150;
const STALL_MS = 2000;

/** One fresh connection: writes the input as cut, gathers reply bytes until idle or closed. */
class Exchange {
  readonly chunks: Buffer[] = [];
  closed = false;
  /** The connection was reset: the kernel may have dropped reply bytes that had arrived. */
  reset = false;
  private lastActivity = Date.now();
  private finishedWriting = false;
  private wake: (() => void) | null = null;
  readonly socket: Socket;
  /** Known once connected; kept after the socket closes. */
  localPort: number | undefined;

  constructor(port: number, private readonly input: FuzzInput) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.touch();
    });
    this.socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') this.reset = true;
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.touch();
    });
    this.socket.on('connect', () => {
      this.localPort = this.socket.localPort;
      void this.write();
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private touch(): void {
    this.lastActivity = Date.now();
    this.wake?.();
  }

  private async write(): Promise<void> {
    const { bytes, cuts, gapsMs } = this.input;
    let from = 0;
    for (let i = 0; i <= cuts.length; i++) {
      const to = i < cuts.length ? cuts[i] : bytes.length;
      if (i > 0 && gapsMs[i - 1] > 0) await sleep(gapsMs[i - 1]);
      if (this.closed || this.socket.destroyed) break;
      this.socket.write(bytes.subarray(from, to));
      from = to;
    }
    this.finishedWriting = true;
    this.touch();
  }

  /** Resolves once nothing came for IDLE_MS after the writes, or the connection closed, or at `deadline`. */
  async settle(deadline: number): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const now = Date.now();
      if (now >= deadline) return;
      const idleAt = this.lastActivity + IDLE_MS;
      if (this.finishedWriting && now >= idleAt) return;
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.max(1, Math.min(deadline, this.finishedWriting ? idleAt : now + 50) - now));
        this.wake = () => {
          clearTimeout(t);
          res();
        };
      });
      this.wake = null;
    }
  }

  /** Waits for more bytes than `have` until `deadline` (for a side slower than the idle window). */
  async waitBeyond(have: number, deadline: number): Promise<void> {
    while (!this.closed && Date.now() < deadline && this.bytes.length <= have) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.max(1, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(t);
          res();
        };
      });
      this.wake = null;
    }
    if (this.bytes.length > have) await this.settle(deadline);
  }

  end(): void {
    this.socket.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

// ---------------------------------------------------------------------------------------------
// Normalisation

type Node =
  | { kind: 'line'; type: string; text: Buffer }
  | { kind: 'blob'; type: string; data: Buffer | null }
  | { kind: 'agg'; type: string; children: Node[] | null }
  | { kind: 'rest'; data: Buffer };

/** Parses as many whole RESP2/RESP3 replies as `buf` holds; what is left over becomes a 'rest' node. */
function parseReplies(buf: Buffer): Node[] {
  const out: Node[] = [];
  let pos = 0;
  const one = (): Node | null => {
    if (pos >= buf.length) return null;
    const type = String.fromCharCode(buf[pos]);
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return null;
    const text = buf.subarray(pos + 1, eol);
    const after = eol + 2;
    if ('+-:_,#('.includes(type)) {
      pos = after;
      return { kind: 'line', type, text };
    }
    if ('$=!'.includes(type)) {
      const n = Number(text.toString('latin1'));
      if (!Number.isInteger(n)) return null;
      if (n < 0) {
        pos = after;
        return { kind: 'blob', type, data: null };
      }
      if (after + n + 2 > buf.length) return null;
      pos = after + n + 2;
      return { kind: 'blob', type, data: buf.subarray(after, after + n) };
    }
    if ('*%~>|'.includes(type)) {
      const n = Number(text.toString('latin1'));
      if (!Number.isInteger(n)) return null;
      pos = after;
      if (n < 0) return { kind: 'agg', type, children: null };
      const count = type === '%' || type === '|' ? 2 * n : n;
      const children: Node[] = [];
      for (let i = 0; i < count; i++) {
        const c = one();
        if (c === null) return null;
        children.push(c);
      }
      return { kind: 'agg', type, children };
    }
    return null;
  };
  for (;;) {
    const start = pos;
    const node = one();
    if (node === null) {
      pos = start;
      break;
    }
    out.push(node);
  }
  if (pos < buf.length) out.push({ kind: 'rest', data: buf.subarray(pos) });
  return out;
}

function serialise(nodes: Node[]): string {
  const parts: string[] = [];
  const walk = (n: Node): void => {
    if (n.kind === 'line') parts.push(`${n.type}${n.text.toString('latin1')}\r\n`);
    else if (n.kind === 'blob') parts.push(n.data === null ? `${n.type}-1\r\n` : `${n.type}${n.data.length}\r\n${n.data.toString('latin1')}\r\n`);
    else if (n.kind === 'agg') {
      if (n.children === null) parts.push(`${n.type}-1\r\n`);
      else {
        const count = n.type === '%' || n.type === '|' ? n.children.length / 2 : n.children.length;
        parts.push(`${n.type}${count}\r\n`);
        n.children.forEach(walk);
      }
    } else parts.push(n.data.toString('latin1'));
  };
  nodes.forEach(walk);
  return parts.join('');
}

/**
 * Keys of key/value replies whose values differ between any two processes:
 *  - id: HELLO's client id (ids count every connection a process ever accepted);
 *  - the SENTINEL MASTER/REPLICAS/SENTINELS times (ms since an event, measured when asked);
 *  - link-pending-commands: commands in flight on the link to the (unreachable) master, which
 *    depends on where in its reconnection cycle the link is when asked (hiredis queues the
 *    PING/INFO of a connection still being refused);
 *  - ACL LOG's count, age-seconds and client-info: the log is shared by every connection, and
 *    the fuzzer's concurrent inputs fail their AUTHs in a different interleaving on each side
 *    (the entries are also sorted, see sortAclLog).
 */
const VOLATILE_KEYS = new Set([
  'id', 'last-ping-sent', 'last-ok-ping-reply', 'last-ping-reply', 'info-refresh', 'role-reported-time', 's-down-time',
  'link-pending-commands', 'count', 'age-seconds', 'client-info',
]);

/** CLIENT LIST/INFO fields that depend on the process, the socket or the moment, not on behaviour. */
const VOLATILE_CLIENT_FIELDS = new Set(['id', 'addr', 'laddr', 'fd', 'age', 'idle', 'qbuf', 'qbuf-free', 'argv-mem', 'obl', 'oll', 'omem', 'tot-mem', 'multi-mem', 'rbs', 'rbp', 'events']);

function normaliseText(text: string, port: number, ownPort?: number): string {
  // INFO: every field's value (run id, ports, pids, uptimes, counters, memory, ...) differs;
  // the sections and field names must not.
  if (text.startsWith('# ')) return text.replace(/^([a-z0-9_]+):.*$/gm, '$1:<v>');
  // CLIENT LIST/INFO: socket, id and timing fields. Only the asking connection's own line is
  // kept: other lines are the fuzzer's other connections (concurrent inputs), which come and go.
  if (text.startsWith('id=')) {
    const isOwn = (l: string) => (ownPort !== undefined ? l.includes(` addr=127.0.0.1:${ownPort} `) : / cmd=client\|(list|info) /.test(l));
    const own = text.split('\n').filter(isOwn);
    return own.map((l) => l.split(' ').map((kv) => {
      const eq = kv.indexOf('=');
      return eq > 0 && VOLATILE_CLIENT_FIELDS.has(kv.slice(0, eq)) ? `${kv.slice(0, eq)}=<v>` : kv;
    }).join(' ')).map((l) => `${l}\n`).join('');
  }
  // Run ids (SENTINEL MYID, sentinel entries) are random 40-hex strings; the listening port differs.
  return text.replace(/\b[0-9a-f]{40}\b/g, '<runid>').replace(new RegExp(`(?<![0-9])${port}(?![0-9])`, 'g'), '<port>');
}

function normaliseNode(n: Node, port: number, depth: number, ownPort?: number): Node {
  if (n.kind === 'line') {
    // A top-level integer above 1 is CLIENT ID's (ids count every connection the process ever had).
    if (n.type === ':' && depth === 0 && Number(n.text.toString('latin1')) > 1) return { ...n, text: Buffer.from('<int>') };
    return { ...n, text: Buffer.from(normaliseText(n.text.toString('latin1'), port, ownPort), 'latin1') };
  }
  if (n.kind === 'blob') {
    if (n.data === null) return n;
    const text = n.data.toString('latin1');
    // A verbatim string's 'txt:' prefix is kept apart so that the text rules see the text.
    const prefix = n.type === '=' ? text.slice(0, 4) : '';
    return { ...n, data: Buffer.from(prefix + normaliseText(text.slice(prefix.length), port, ownPort), 'latin1') };
  }
  if (n.kind === 'agg' && n.children !== null) {
    let children = sortSubcommands(withoutSdown(n.children.map((c) => normaliseNode(c, port, depth + 1, ownPort))));
    if (depth === 0 && children.length > 1 && children.every(isCommandName)) children = sortNames(children);
    for (let i = 0; i + 1 < children.length; i++) {
      const k = children[i];
      if ((k.kind === 'blob' && k.data !== null && VOLATILE_KEYS.has(k.data.toString('latin1'))) || (k.kind === 'line' && k.type === '+' && VOLATILE_KEYS.has(k.text.toString('latin1')))) {
        const v = children[i + 1];
        children[i + 1] = v.kind === 'agg' ? v : { kind: 'line', type: '?', text: Buffer.from('<v>') };
      }
    }
    return { ...n, children };
  }
  return n;
}

const isSubcommandName = (c: Node | undefined): boolean => c !== undefined && c.kind === 'blob' && c.data !== null && c.data.includes('|');
const bySerialised = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * COMMAND's and COMMAND INFO/DOCS's commands and subcommands come in the order of a dict whose
 * hash seed redis-server draws at random when it starts, so two redis-sentinels list them in
 * different orders: they are compared sorted. ACL LOG entries are sorted too (see VOLATILE_KEYS).
 */
function sortSubcommands(children: Node[]): Node[] {
  if (children.length < 2) return children;
  const commandEntry = (c: Node) => c.kind === 'agg' && c.children !== null && c.children.length > 1 && isCommandName(c.children[0]) && c.children[1].kind === 'line' && c.children[1].type === ':';
  const aclLogEntry = (c: Node) => c.kind === 'agg' && c.children !== null && c.children[0]?.kind === 'blob' && c.children[0].data?.toString('latin1') === 'count';
  if (children.every((c) => (c.kind === 'agg' && c.children !== null && isSubcommandName(c.children[0])) || commandEntry(c) || aclLogEntry(c))) {
    return children.map((c) => [serialise([c]), c] as const).sort((a, b) => bySerialised(a[0], b[0])).map(([, c]) => c);
  }
  if (children.length % 2 === 0 && children.every((c, i) => (i % 2 === 0 ? isCommandName(c) : c.kind === 'agg'))) {
    const pairs: Array<[string, Node, Node]> = [];
    for (let i = 0; i < children.length; i += 2) pairs.push([serialise([children[i], children[i + 1]]), children[i], children[i + 1]]);
    return pairs.sort((a, b) => bySerialised(a[0], b[0])).flatMap(([, k, v]) => [k, v]);
  }
  return children;
}

/**
 * COMMAND LIST and ACL CAT <category> list command names in the same random dict order (and
 * ACL CAT's categories are caught by this rule too): a top-level array of names is sorted.
 */
const isCommandName = (c: Node): boolean => c.kind === 'blob' && c.data !== null && /^[a-z][a-z0-9|_-]*$/.test(c.data.toString('latin1'));
function sortNames(children: Node[]): Node[] {
  return [...children].sort((a, b) => bySerialised(serialise([a]), serialise([b])));
}

/**
 * UNSUBSCRIBE / PUNSUBSCRIBE without arguments go through the client's channels (patterns) in
 * dict order, random per redis-server process: in a run of such confirmations the names are
 * sorted, the counts left in place.
 */
function sortUnsubscribes(nodes: Node[]): Node[] {
  const kindOfNode = (n: Node): string | null =>
    n.kind === 'agg' && n.children !== null && n.children.length === 3 && n.children[0].kind === 'blob' && n.children[1].kind === 'blob' && n.children[1].data !== null
      ? (n.children[0].data?.toString('latin1') ?? null)
      : null;
  const out = [...nodes];
  for (let i = 0; i < out.length; ) {
    const k = kindOfNode(out[i]);
    if (k !== 'unsubscribe' && k !== 'punsubscribe') {
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && kindOfNode(out[j]) === k) j++;
    const run = out.slice(i, j) as Array<Extract<Node, { kind: 'agg' }>>;
    const names = run.map((n) => n.children![1]).sort((a, b) => bySerialised(serialise([a]), serialise([b])));
    run.forEach((n, x) => (out[i + x] = { ...n, children: [n.children![0], names[x], n.children![2]] }));
    i = j;
  }
  return out;
}

/**
 * Each process marks the unreachable master s_down down-after-milliseconds (30 s) after its own
 * start, so around then one of them has and the other has not yet: the s_down flag and the
 * s-down-time field are left out of SENTINEL MASTER(S) replies. So is the disconnected flag:
 * redis-sentinel clears it while a connection attempt to the (refusing) master is in flight,
 * a moment of its reconnection cycle (ours keeps it until a connection is made).
 */
function withoutSdown(children: Node[]): Node[] {
  const keyIs = (c: Node | undefined, k: string) => c !== undefined && c.kind === 'blob' && c.data !== null && c.data.toString('latin1') === k;
  if (!children.some((c) => keyIs(c, 'flags'))) return children;
  const out: Node[] = [];
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (i % 2 === 0 && keyIs(c, 's-down-time')) {
      i++;
      continue;
    }
    out.push(c);
    if (i % 2 === 0 && keyIs(c, 'flags') && i + 1 < children.length) {
      const v = children[++i];
      out.push(v.kind === 'blob' && v.data !== null ? { ...v, data: Buffer.from(v.data.toString('latin1').replace(/(^|,)(s_down|disconnected)(?=,|$)/g, '').replace(/^,/, ''), 'latin1') } : v);
    }
  }
  return out;
}

/**
 * The reply as compared: see normaliseText, normaliseNode and the key lists above. `ownPort`,
 * the asking connection's local port, picks its own line out of a CLIENT LIST.
 */
export function normaliseReply(bytes: Buffer, port: number, ownPort?: number): string {
  return serialise(sortUnsubscribes(parseReplies(bytes).map((n) => normaliseNode(n, port, 0, ownPort))));
}

// ---------------------------------------------------------------------------------------------
// Processes

const SERVER_STARTS = { redis: 'redis-sentinel', ours: 'ours' } as const;
type Impl = keyof typeof SERVER_STARTS;

interface Side {
  impl: Impl;
  port: number;
  dir: string;
  child: ChildProcess;
  exited: { code: number | null; signal: string | null } | null;
  stderr: string;
}

function startSide(impl: Impl, port: number, masterPort: number): Side {
  const dir = mkdtempSync(join(tmpdir(), `request-fuzz-${impl}-`));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${MASTER} 127.0.0.1 ${masterPort} 2\n`);
  const child =
    impl === 'redis'
      ? spawn(realSentinelBinary() ?? 'redis-sentinel', [conf], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, ourDaemonCommand(conf).slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const side: Side = { impl, port, dir, child, exited: null, stderr: '' };
  child.stderr?.on('data', (c: Buffer) => {
    if (side.stderr.length < 20000) side.stderr += c.toString('utf8');
  });
  child.on('exit', (code, signal) => {
    side.exited = { code, signal };
  });
  child.on('error', (err) => {
    side.exited = { code: null, signal: String(err) };
  });
  return side;
}

async function pingOnce(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    const t = setTimeout(() => {
      s.destroy();
      res(false);
    }, 500);
    let got = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n')) {
        clearTimeout(t);
        s.destroy();
        res(got === '+PONG\r\n');
      }
    });
    s.on('error', () => {
      clearTimeout(t);
      res(false);
    });
  });
}

async function waitForPing(side: Side, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (side.exited) throw new Error(`${side.impl} exited at start (${JSON.stringify(side.exited)}): ${side.stderr}`);
    if (await pingOnce(side.port)) return;
    await sleep(100);
  }
  throw new Error(`${side.impl} did not answer PING on ${side.port} within ${timeoutMs} ms: ${side.stderr}`);
}

function stopSide(side: Side): void {
  if (side.exited === null && side.child.pid !== undefined) {
    try {
      process.kill(side.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(side.dir, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------------------------------------
// The run

export interface Difference {
  seed: number;
  index: number;
  shape: string;
  kind: string;
  input: Buffer;
  redis: { bytes: Buffer; closed: boolean; reset: boolean };
  ours: { bytes: Buffer; closed: boolean; reset: boolean };
  stalled: boolean;
}

export interface FuzzOptions {
  seed: number;
  inputs: number;
  /** Inputs in flight at once (each on its own connections). */
  concurrency?: number;
  /** First input index (to replay one input: start = index, inputs = 1). */
  start?: number;
  log?: (line: string) => void;
}

export interface FuzzResult {
  seed: number;
  inputs: number;
  compared: number;
  nonEmptyReplies: number;
  errorReplies: number;
  closedByServer: number;
  differences: Difference[];
  kinds: Map<string, number>;
  stalls: number;
  /** Comparisons where a connection was reset (see same()). */
  resets: number;
  redisDied: string | null;
  oursDied: string | null;
  peakRssKb: number;
  elapsedMs: number;
}

export function describeDifference(d: Difference): string {
  return [
    `DIFFERENCE seed=${d.seed} input=${d.index} shape=${d.shape}${d.stalled ? ' STALLED' : ''}`,
    `  kind:   ${d.kind}`,
    `  input:  ${escapeBytes(d.input)}`,
    `  redis:  ${escapeBytes(d.redis.bytes)}${d.redis.closed ? ' [closed]' : ''}${d.redis.reset ? ' [reset]' : ''}`,
    `  ours:   ${escapeBytes(d.ours.bytes)}${d.ours.closed ? ' [closed]' : ''}${d.ours.reset ? ' [reset]' : ''}`,
    `  replay: node dist/test/fuzz/request-fuzzer.js --seed ${d.seed} --start ${d.index} --inputs 1`,
  ].join('\n');
}

/** The first command name of an input, for grouping differences. */
function firstCommand(input: Buffer): string {
  const text = input.toString('latin1');
  const m = /^\*\d+\r\n\$\d+\r\n([^\r\n]*)/.exec(text) ?? /^[ \t]*([^ \t\r\n]*)/.exec(text);
  const name = (m?.[1] ?? '').toLowerCase();
  return /^[a-z-]{1,24}$/.test(name) ? name : '?';
}

function kindOf(input: Buffer, shape: string, redis: string, ours: string, rc: boolean, oc: boolean): string {
  if (rc !== oc) return `${shape}: closed redis=${rc} ours=${oc}`;
  let i = 0;
  while (i < redis.length && i < ours.length && redis[i] === ours[i]) i++;
  // The differing line and the next one, numbers folded, so that kinds group.
  const lineOf = (s: string) => {
    const start = s.lastIndexOf('\n', i - 1) + 1;
    return s.slice(start, start + 60).split('\r\n').slice(0, 2).join(' ').replace(/[0-9]+/g, 'N').replace(/[^\x20-\x7e]/g, '.');
  };
  return `${firstCommand(input)}: [${lineOf(redis)}] vs [${lineOf(ours)}]`;
}

/**
 * Equal replies and the same close. When a server closes a connection that still has unread
 * input (after a protocol error, with more chunks of the input still arriving), its kernel
 * answers with a reset, and ours may drop reply bytes that had already arrived: a side that
 * was reset only has to have received a prefix of the other's reply.
 */
function same(rn: string, on: string, r: Exchange, o: Exchange): boolean {
  if (r.closed !== o.closed) return false;
  // Byte-identical replies need no normalising (which could tell them apart: a channel named
  // after a number that happens to be one side's port).
  if (rn === on || r.bytes.equals(o.bytes)) return true;
  if (r.reset && r.closed && on.startsWith(rn)) return true;
  if (o.reset && o.closed && rn.startsWith(on)) return true;
  return false;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const concurrency = options.concurrency ?? 4;
  const start = options.start ?? 0;
  const began = Date.now();
  const portRng = mulberry32((options.seed ^ 0x5bd1e995 ^ process.pid) >>> 0);
  const taken = new Set<number>();
  const sides: Side[] = [];
  let peakRssKb = 0;
  let rssTimer: NodeJS.Timeout | null = null;
  const result: FuzzResult = {
    seed: options.seed,
    inputs: 0,
    compared: 0,
    nonEmptyReplies: 0,
    errorReplies: 0,
    closedByServer: 0,
    differences: [],
    kinds: new Map(),
    stalls: 0,
    resets: 0,
    redisDied: null,
    oursDied: null,
    peakRssKb: 0,
    elapsedMs: 0,
  };
  const cleanup = () => {
    for (const s of sides) stopSide(s);
  };
  process.once('exit', cleanup);
  try {
    const masterPort = await freeLowPort(portRng, taken);
    const redis = startSide('redis', await freeLowPort(portRng, taken), masterPort);
    sides.push(redis);
    const ours = startSide('ours', await freeLowPort(portRng, taken), masterPort);
    sides.push(ours);
    await Promise.all([waitForPing(redis, 15000), waitForPing(ours, 15000)]);
    rssTimer = setInterval(() => {
      peakRssKb = Math.max(peakRssKb, rssKb(ours.child.pid, 'VmRSS'));
    }, 200);

    const one = async (index: number): Promise<void> => {
      const input = generateInput(options.seed, index);
      const deadline = Date.now() + STALL_MS;
      const [r, o] = [new Exchange(redis.port, input), new Exchange(ours.port, input)];
      try {
        await Promise.all([r.settle(deadline), o.settle(deadline)]);
        let rn = normaliseReply(r.bytes, redis.port, r.localPort);
        let on = normaliseReply(o.bytes, ours.port, o.localPort);
        if (!same(rn, on, r, o)) {
          // A loaded machine may be slower than the idle window on either side: give the
          // shorter one until the stall deadline to catch up, then compare again.
          await Promise.all([
            o.bytes.length <= r.bytes.length && !o.closed ? o.waitBeyond(o.bytes.length, deadline) : Promise.resolve(),
            r.bytes.length <= o.bytes.length && !r.closed ? r.waitBeyond(r.bytes.length, deadline) : Promise.resolve(),
          ]);
          rn = normaliseReply(r.bytes, redis.port, r.localPort);
          on = normaliseReply(o.bytes, ours.port, o.localPort);
        }
        result.compared++;
        if (r.bytes.length > 0) result.nonEmptyReplies++;
        if (r.bytes.includes('\r\n-ERR') || r.bytes[0] === 0x2d) result.errorReplies++;
        if (r.closed) result.closedByServer++;
        if (r.reset || o.reset) result.resets++;
        if (!same(rn, on, r, o)) {
          const stalled = r.bytes.length > 0 && o.bytes.length === 0 && !o.closed;
          if (stalled) result.stalls++;
          const kind = stalled ? `${input.shape}: stalled` : kindOf(input.bytes, input.shape, rn, on, r.closed, o.closed);
          const d: Difference = {
            seed: options.seed,
            index,
            shape: input.shape,
            kind,
            input: input.bytes,
            redis: { bytes: r.bytes, closed: r.closed, reset: r.reset },
            ours: { bytes: o.bytes, closed: o.closed, reset: o.reset },
            stalled,
          };
          result.differences.push(d);
          result.kinds.set(kind, (result.kinds.get(kind) ?? 0) + 1);
          log(describeDifference(d));
        }
      } finally {
        r.end();
        o.end();
      }
    };

    let nextIndex = start;
    const end = start + options.inputs;
    const worker = async (): Promise<void> => {
      while (nextIndex < end) {
        if (redis.exited || ours.exited) return;
        const index = nextIndex++;
        await one(index);
        result.inputs++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Both must still be serving after the run.
    await sleep(50);
    for (const s of [redis, ours]) {
      const alive = s.exited === null && (await pingOnce(s.port));
      const why = s.exited ? `exited ${JSON.stringify(s.exited)}` : alive ? null : 'no PONG after the run';
      if (s.impl === 'redis') result.redisDied = why;
      else result.oursDied = why ? `${why}${s.stderr ? `; stderr: ${s.stderr.slice(-2000)}` : ''}` : null;
    }
    peakRssKb = Math.max(peakRssKb, rssKb(ours.child.pid, 'VmHWM'));
  } finally {
    if (rssTimer) clearInterval(rssTimer);
    cleanup();
    process.removeListener('exit', cleanup);
  }
  result.peakRssKb = peakRssKb;
  result.elapsedMs = Date.now() - began;
  return result;
}

export function summary(r: FuzzResult): string {
  const lines = [
    `seed ${r.seed}: ${r.inputs} inputs, ${r.compared} compared in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `  replies: ${r.nonEmptyReplies} non-empty, ${r.errorReplies} with errors, ${r.closedByServer} connections closed by the server`,
    `  differences: ${r.differences.length} (${r.kinds.size} kinds), stalls: ${r.stalls}, connections reset: ${r.resets}`,
    ...[...r.kinds.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${n} x ${k}`),
    `  redis-sentinel died: ${r.redisDied ?? 'no'}; ours died: ${r.oursDied ?? 'no'}`,
    `  peak RSS of ours: ${(r.peakRssKb / 1024).toFixed(1)} MB`,
  ];
  return lines.join('\n');
}

function parseArgs(argv: string[]): FuzzOptions {
  const opts: FuzzOptions = { seed: 1, inputs: 1000 };
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined || !/^\d+$/.test(x)) throw new Error(`${a} wants a non-negative integer`);
      return Number(x);
    };
    if (a === '--seed') opts.seed = v();
    else if (a === '--inputs') opts.inputs = v();
    else if (a === '--concurrency') opts.concurrency = Math.max(1, v());
    else if (a === '--start') opts.start = v();
    else if (a === '--quiet') quiet = true;
    else throw new Error(`unknown option ${a}; usage: request-fuzzer --seed S --inputs N [--start I] [--concurrency C] [--quiet]`);
  }
  if (quiet) opts.log = () => undefined;
  return opts;
}

async function cli(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const stop = () => process.exit(130);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const r = await runFuzz(opts);
  process.stdout.write(`${summary(r)}\n`);
  const failed = r.oursDied !== null || r.stalls > 0 || r.differences.length > 0;
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  });
}
