/**
 * Differential fuzzer of sentinel.conf lines and command-line arguments.
 *
 * Every input is a small config built from valid lines, then mutated (arity,
 * numbers, quoting, order, duplicates, long lines, non-UTF-8 bytes, CRLF,
 * comments...), with optional `--name value` arguments. Each input is started
 * with our daemon and with the real redis-sentinel, each on its own copy of the
 * file in its own temp dir and its own port; both must refuse with the same
 * stderr text and exit status, or both start and answer PING.
 *
 * Inputs depend only on (seed, index): a mulberry32 stream per input.
 *
 *   node dist/test/fuzz/config-fuzzer.js --seed 1 --inputs 200 [--concurrency 3] [--from 0] [--verbose]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realSentinelBinary } from '../harness/real-sentinel.js';
import { mulberry32 } from '../sim/rng.js';

/** The real binary compared with (see test/harness/real-sentinel.ts); the Debian path when none is found. */
export const REDIS_SENTINEL = realSentinelBinary() ?? '/usr/bin/redis-sentinel';
const HERE = fileURLToPath(new URL('.', import.meta.url));
/** bin/sentinel.js from dist/test/fuzz (compiled) or test/fuzz (vitest). */
export const OUR_BIN = resolve(HERE, HERE.includes('/dist/') ? '../../../bin/sentinel.js' : '../../bin/sentinel.js');

/** Placeholders replaced per process. */
const PORT = '@PORT@';
const DIR = '@DIR@';

// ---------------------------------------------------------------- PRNG


class Rng {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(0, 15)];
    return s;
  }
}

/** A stream per input, so that input i is the same whatever ran before it. */
function rngFor(seed: number, index: number): Rng {
  const mix = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  return new Rng(mulberry32(mix));
}

// ---------------------------------------------------------------- generation

/**
 * A generated input. `config` is a binary string (one char per byte, latin1),
 * so that bytes that are not UTF-8 survive; `argv` is plain text.
 */
export interface FuzzInput {
  index: number;
  config: string;
  argv: string[];
  mutations: string[];
}

type Line = string[]; // tokens, joined by one space (a token may carry its own quotes)

const NAMES = ['mymaster', 'cache', 'm1'];
const YESNO = ['yes', 'no'];

function validLine(r: Rng, names: string[]): Line {
  const name = names.length > 0 ? r.pick(names) : 'mymaster';
  const kinds: Array<() => Line> = [
    () => ['bind', ...r.pick([['127.0.0.1'], ['127.0.0.1', '-::1'], ['*', '-::*']])],
    () => ['loglevel', r.pick(['notice', 'verbose', 'warning', 'debug', 'nothing'])],
    () => ['sentinel', 'down-after-milliseconds', name, String(r.int(1, 60000))],
    () => ['sentinel', 'failover-timeout', name, String(r.int(1, 200000))],
    () => ['sentinel', 'parallel-syncs', name, String(r.int(0, 5))],
    () => ['sentinel', 'auth-pass', name, r.pick(['s3cret', '"pa ss"', "'x'"])],
    () => ['sentinel', 'auth-user', name, r.pick(['alice', 'default'])],
    () => ['sentinel', 'announce-ip', r.pick(['10.0.0.1', '"192.168.1.5"', 'host.example'])],
    () => ['sentinel', 'announce-port', String(r.int(0, 65535))],
    () => ['sentinel', 'resolve-hostnames', r.pick(YESNO)],
    () => ['sentinel', 'announce-hostnames', r.pick(YESNO)],
    () => ['sentinel', 'deny-scripts-reconfig', r.pick(YESNO)],
    () => ['sentinel', 'known-replica', name, '127.0.0.1', String(r.int(1, 65535))],
    () => ['sentinel', 'known-sentinel', name, '127.0.0.1', String(r.int(1, 65535)), r.hex(40)],
    () => ['sentinel', 'current-epoch', String(r.int(0, 100))],
    () => ['sentinel', 'myid', r.hex(40)],
    () => ['sentinel', 'config-epoch', name, String(r.int(0, 100))],
    () => ['sentinel', 'leader-epoch', name, String(r.int(0, 100))],
    () => ['sentinel', 'rename-command', name, r.pick(['CONFIG', 'SLAVEOF', 'ping']), r.pick(['XCONFIG', 'NOSLAVE', '""'])],
    () => ['sentinel', 'master-reboot-down-after-period', name, String(r.int(0, 60000))],
    () => ['sentinel', 'sentinel-user', r.pick(['sentuser', 'default'])],
    () => ['sentinel', 'sentinel-pass', r.pick(['pw', '""'])],
    () => ['sentinel', r.pick(['notification-script', 'client-reconfig-script']), name, '/bin/true'],
    () => ['requirepass', r.pick(['foo', '""', '"a b"'])],
    () => ['protected-mode', r.pick(YESNO)],
    () => ['maxclients', String(r.int(1, 1000))],
    () => ['tls-auth-clients', r.pick(['yes', 'no', 'optional'])],
    () => ['tls-replication', 'no'],
    () => ['tls-protocols', r.pick(['"TLSv1.2 TLSv1.3"', 'TLSv1.2'])],
    () => ['tls-ciphers', 'DEFAULT'],
    () => ['tls-ciphersuites', 'TLS_AES_128_GCM_SHA256'],
    () => ['tls-prefer-server-ciphers', r.pick(YESNO)],
    () => ['tls-session-caching', r.pick(YESNO)],
    () => ['tls-session-cache-size', String(r.int(0, 100000))],
    () => ['tls-session-cache-timeout', String(r.int(0, 1000))],
    () => ['tls-cert-file', r.pick(['/nonexistent.crt', 'cert.pem'])], // only read when TLS is on
    () => ['tls-port', '0'],
    () => ['user', r.pick(['alice', 'bob', 'default']), ...r.pick([['on', '>pw', '~*', '+@all'], ['on', 'nopass', '+@all'], ['off'], ['on', '&*', 'resetchannels', '-@all', '+ping']])],
    () => ['timeout', String(r.int(0, 300))],
    () => ['tcp-keepalive', String(r.int(0, 300))],
    () => ['logfile', '""'],
    () => ['save', '""'],
    () => ['hz', String(r.int(1, 500))],
    () => ['daemonize', 'no'],
    () => ['databases', String(r.int(1, 16))],
    () => ['rename-command', r.pick(['CONFIG', 'FLUSHALL']), r.pick(['""', 'XYZ'])],
  ];
  // Lines that Redis refuses whatever follows: rare, so that most unmutated inputs start.
  const refused: Array<() => Line> = [
    () => [r.pick(['no-such-directive', 'frobnicate']), 'yes'],
    () => ['sentinel', r.pick(['no-such-option', 'frobnicate']), name],
    () => ['sentinel', r.pick(['notification-script', 'client-reconfig-script']), name, '/nonexistent/x.sh'],
  ];
  if (r.chance(0.04)) return r.pick(refused)();
  let line = r.pick(kinds)();
  // Without a monitor, master lines name no master: pick again once.
  if (names.length === 0 && line[0] === 'sentinel' && line.includes('mymaster')) line = r.pick(kinds)();
  return line;
}

function monitorLine(r: Rng, name: string): Line {
  return ['sentinel', 'monitor', name, r.pick(['127.0.0.1', '127.0.0.1', '127.0.0.1', '::1', 'localhost']), String(r.int(1, 65535)), String(r.int(1, 3))];
}

const BAD_NUMBERS = [
  '-1', '0', '+5', '0x10', '1e3', '" 12"', '"12 "', '99999999999999999999', 'abc', '""', '-0', '007',
  '4294967296', '2147483648', '2147483647', '-2147483649', '9223372036854775807', '9223372036854775808',
  '65536', '65535', '1.5', '12abc', "' 3'",
];
const ODD_BYTES = ['\xff', '\xc3\x28', '\xe2\x82', '\xc3\xa9', '\x00', '\x01', '\x7f', '\t', '\x0b'];

/** Tokens that look numeric. */
function numericIndexes(line: Line): number[] {
  return line.map((t, i) => (i > 0 && /^[0-9]+$/.test(t) ? i : -1)).filter((i) => i >= 0);
}

interface Draft {
  lines: Line[];
  raw: Map<number, string>; // lines replaced by raw text
  eol: string;
  argv: string[];
}

function render(d: Draft): string {
  return d.lines.map((l, i) => d.raw.get(i) ?? l.join(' ')).join(d.eol) + d.eol;
}

const MUTATIONS: Record<string, (r: Rng, d: Draft) => void> = {
  'arity-drop': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    if (d.lines[i]!.length > 1) d.lines[i] = d.lines[i]!.slice(0, r.int(1, d.lines[i]!.length - 1));
  },
  'arity-extra': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    d.lines[i] = [...d.lines[i]!, r.pick(['extra', '1', '""', '#', 'yes'])];
  },
  'bad-number': (r, d) => {
    const candidates = d.lines.map((l, i) => [i, numericIndexes(l)] as const).filter(([, n]) => n.length > 0);
    if (candidates.length === 0) return;
    const [i, idx] = r.pick(candidates);
    const copy = [...d.lines[i]!];
    copy[r.pick(idx)] = r.pick(BAD_NUMBERS);
    d.lines[i] = copy;
  },
  'quote-token': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    const copy = [...d.lines[i]!];
    const t = r.int(0, copy.length - 1);
    const bare = copy[t]!.replace(/^["']|["']$/g, '');
    copy[t] = r.pick([
      `"${bare}"`,
      `'${bare}'`,
      `"${bare.replace(/./, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`,
      `"${bare}\\n"`,
      `"${bare}`,
      `'${bare}`,
      `"${bare}"x`,
      `'${bare}'x`,
      `'it\\'s'`,
      `"\\x4"`,
      `"\\xZZ${bare}"`,
      `${bare}"q"`,
      `"a\\"b"`,
    ]);
    d.lines[i] = copy;
  },
  'move-first': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    const [l] = d.lines.splice(i, 1);
    d.lines.unshift(l!);
    d.raw.clear();
  },
  shuffle: (r, d) => {
    for (let i = d.lines.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [d.lines[i], d.lines[j]] = [d.lines[j]!, d.lines[i]!];
    }
    d.raw.clear();
  },
  duplicate: (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    d.lines.splice(r.int(0, d.lines.length), 0, [...d.lines[i]!]);
    d.raw.clear();
  },
  'long-line': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    const copy = [...d.lines[i]!];
    copy[copy.length - 1] = 'x'.repeat(r.pick([200, 1023, 1024, 1025, 5000, 70000]));
    d.lines[i] = copy;
  },
  'odd-bytes': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    const copy = [...d.lines[i]!];
    const t = r.int(0, copy.length - 1);
    const at = r.int(0, copy[t]!.length);
    copy[t] = copy[t]!.slice(0, at) + r.pick(ODD_BYTES) + copy[t]!.slice(at);
    d.lines[i] = copy;
  },
  crlf: (_r, d) => {
    d.eol = '\r\n';
  },
  comment: (r, d) => {
    d.lines.splice(r.int(0, d.lines.length), 0, [r.pick(['# a comment', '   # indented', '#', '#sentinel monitor x 1 2 3'])]);
    d.raw.clear();
  },
  'trailing-comment': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    d.lines[i] = [...d.lines[i]!, '#', 'note'];
  },
  'empty-lines': (r, d) => {
    d.lines.splice(r.int(0, d.lines.length), 0, [r.pick(['', '   ', '\t', ' \t '])]);
    d.raw.clear();
  },
  whitespace: (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    d.raw.clear();
    d.raw.set(i, r.pick(['  ', '\t', '']) + d.lines[i]!.join(r.pick(['\t', '  ', ' \t'])) + r.pick(['', ' ', '\t', '\r']));
  },
  'case-change': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    const copy = [...d.lines[i]!];
    const t = r.int(0, Math.min(1, copy.length - 1));
    copy[t] = copy[t]!.toUpperCase();
    d.lines[i] = copy;
  },
  'unknown-master': (r, d) => {
    const i = r.int(0, d.lines.length - 1);
    const l = d.lines[i]!;
    if (l[0] === 'sentinel' && l.length > 2 && NAMES.includes(l[2]!)) d.lines[i] = [l[0], l[1]!, 'nosuch', ...l.slice(3)];
  },
  'bad-host': (r, d) => {
    const i = d.lines.findIndex((l) => l[1] === 'monitor' || l[1] === 'known-replica' || l[1] === 'known-sentinel');
    if (i < 0) return;
    const copy = [...d.lines[i]!];
    copy[copy[1] === 'monitor' ? 3 : 3] = r.pick(['999.1.1.1', 'not-an-ip', '""', '1.2.3', '::g', '[::1]', '127.0.0.01']);
    d.lines[i] = copy;
  },
  'bad-dir': (r, d) => {
    d.lines.push(['dir', r.pick(['/nonexistent/dir', '""', '/etc/passwd', '.'])]);
  },
  'bad-port': (r, d) => {
    d.lines.push(['port', r.pick(BAD_NUMBERS)]);
  },
  'bad-bind': (r, d) => {
    d.lines.push(['bind', r.pick(['999.1.1.1', '10.255.255.1', '127.0.0.1 127.0.0.1', 'localhost', '""'])]);
  },
};

const MUTATION_NAMES = Object.keys(MUTATIONS);

function argvFromLine(r: Rng, l: Line): string[] {
  const unquote = (t: string) => t.replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1');
  if (r.chance(0.2)) return [`--${l.map(unquote).join(' ')}`];
  if (l[0] === 'sentinel' && r.chance(0.3)) return ['--sentinel', ...l.slice(1).map(unquote)];
  return [`--${l[0]}`, ...l.slice(1).map(unquote)];
}

const ARGV_ODDITIES: Array<(r: Rng) => string[]> = [
  () => ['--port', '0'],
  (r) => ['--port', r.pick(BAD_NUMBERS.map((n) => n.replace(/^["']|["']$/g, '')))],
  () => ['--save'],
  () => ['--sentinel'],
  () => ['--loglevel'],
  () => ['--loglevel', '--port', PORT],
  () => ['--no-such-option', 'x'],
  () => ['--hz', '10', '20'],
  () => ['extra-value'],
  () => ['--port', `${PORT}`, '--port'],
  () => ['-'],
];

export function generate(seed: number, index: number): FuzzInput {
  const r = rngFor(seed, index);
  const names = NAMES.slice(0, r.int(0, 2));
  const lines: Line[] = [['port', PORT], ['dir', DIR]];
  for (const n of names) lines.push(monitorLine(r, n));
  const extra = r.int(0, 6);
  for (let i = 0; i < extra; i++) lines.push(validLine(r, names));
  if (r.chance(0.3)) lines.push(['sentinel', 'myid', r.hex(40)]);
  const d: Draft = { lines, raw: new Map(), eol: '\n', argv: [] };

  const mutations: string[] = [];
  const count = r.chance(0.45) ? 0 : r.int(1, 3);
  for (let i = 0; i < count; i++) {
    const m = r.pick(MUTATION_NAMES);
    mutations.push(m);
    MUTATIONS[m]!(r, d);
  }
  // The process's own port ends the file (the mutations may have spoilt the earlier ones), so
  // no valid config ever falls back to the default port 26379.
  let config = render(d) + `port ${PORT}${d.eol}`;
  if (d.eol === '\n' && r.chance(0.1)) config = config.slice(0, -1); // no final newline

  const argv: string[] = [];
  if (r.chance(0.3)) {
    const n = r.int(1, 2);
    for (let i = 0; i < n; i++) argv.push(...argvFromLine(r, validLine(r, names)));
    if (r.chance(0.4)) {
      argv.push(...r.pick(ARGV_ODDITIES)(r));
      mutations.push('argv-oddity');
    }
    mutations.push('argv');
  }
  // redis-sentinel only reads config from a file, first argument.
  return { index, config, argv, mutations };
}

// ---------------------------------------------------------------- running

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function cleanupAll(): void {
  for (const c of live) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  live.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

let cleanupInstalled = false;
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      cleanupAll();
      process.exit(130);
    });
  }
}

/** Ports handed out and not yet released. */
const portsInUse = new Set<number>();
let portCursor = 10000 + ((process.pid * 7919) % 20000);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolveP) => {
    const s = createServer();
    s.once('error', () => resolveP(false));
    s.listen({ port, host: '0.0.0.0', exclusive: true }, () => s.close(() => resolveP(true)));
  });
}

/** A free port below 32768, outside the ranges reserved on CI hosts, differing per process. */
async function takePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    portCursor = portCursor >= 32000 ? 10000 : portCursor + 1;
    const p = portCursor;
    if ((p >= 20000 && p <= 20010) || (p >= 30000 && p <= 30010) || portsInUse.has(p) || p === 26379) continue;
    if (!(await bindable(p))) continue;
    portsInUse.add(p);
    return p;
  }
  throw new Error('no free port below 32768');
}

export type Outcome =
  | { kind: 'listening' }
  | { kind: 'silent' }
  | { kind: 'exited'; code: number | null; signal: string | null; stderr: string; lastLog: string };

function ping(port: number): Promise<boolean> {
  return new Promise((resolveP) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      s.destroy();
      resolveP(ok);
    };
    s.setTimeout(300, () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', () => done(true));
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/** Escapes what is not printable ASCII, to show bytes in a report. */
export function visible(s: string): string {
  return s.replace(/[^\x20-\x7e\n]/g, (c) => {
    const code = c.charCodeAt(0);
    return code === 9 ? '\\t' : code === 13 ? '\\r' : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

function normalise(text: string, dir: string, port: number): string {
  let t = text;
  // Each process has its own temp dir (holding its config file and used as `dir`).
  t = t.split(dir).join(DIR);
  // Each process listens on its own port; shown as the placeholder the input was written with.
  // Not between digits, but glued to letters too (a NUL joins `port N` to the next line).
  t = t.replace(new RegExp(`(?<![0-9])${port}(?![0-9])`, 'g'), PORT);
  // Log lines start with the pid, role and a timestamp.
  t = t.replace(/^\d+:[XCSM] \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} /gm, '');
  return t;
}

/**
 * How long a process may take to answer PING or exit. Node starts in well
 * under a second on an idle machine, but other work shares these 2 cores.
 */
const START_TIMEOUT_MS = 3000;

async function runOne(bin: string, preArgs: string[], input: FuzzInput, timeoutMs: number): Promise<Outcome> {
  const port = await takePort();
  const dir = mkdtempSync(join(tmpdir(), 'cfgfuzz-'));
  tempDirs.add(dir);
  let child: ChildProcess | undefined;
  try {
    const fill = (s: string) => s.split(PORT).join(String(port)).split(DIR).join(dir);
    const file = join(dir, 'sentinel.conf');
    writeFileSync(file, Buffer.from(fill(input.config), 'latin1'));
    child = spawn(bin, [...preArgs, file, ...input.argv.map(fill)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const c = child;
    const exited = new Promise<void>((res) => c.once('close', () => res()));
    let exitedFlag = false;
    void exited.then(() => (exitedFlag = true));
    const deadline = Date.now() + timeoutMs;
    let answered = false;
    while (!exitedFlag && Date.now() < deadline) {
      if (await ping(port)) {
        answered = true;
        break;
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 40))]);
    }
    if (!exitedFlag) {
      // Started (or hanging): either way it is killed now.
      if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
      await exited;
      return answered ? { kind: 'listening' } : { kind: 'silent' };
    }
    const stdout = normalise(Buffer.concat(out).toString('latin1'), dir, port);
    const logLines = stdout.split('\n').filter((l) => l.trim() !== '');
    return {
      kind: 'exited',
      code: c.exitCode,
      signal: c.signalCode,
      stderr: normalise(Buffer.concat(err).toString('latin1'), dir, port),
      lastLog: logLines[logLines.length - 1] ?? '',
    };
  } finally {
    if (child) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      live.delete(child);
    }
    portsInUse.delete(port);
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

/** Whether two outcomes are the same; why not otherwise. */
export function sameOutcome(a: Outcome, b: Outcome): string | null {
  if (a.kind !== b.kind) return `kind ${a.kind} vs ${b.kind}`;
  if (a.kind !== 'exited' || b.kind !== 'exited') return null;
  if (a.code !== b.code || a.signal !== b.signal) return `exit ${a.code}/${a.signal} vs ${b.code}/${b.signal}`;
  if (a.stderr !== b.stderr) return 'stderr';
  // Without a FATAL block the reason is the last log line (e.g. "not writable", bind errors).
  if (!a.stderr.includes('FATAL CONFIG FILE ERROR') && a.lastLog !== b.lastLog) return 'last log line';
  return null;
}

export function describeOutcome(o: Outcome): string {
  if (o.kind !== 'exited') return o.kind;
  return `exited code=${o.code} signal=${o.signal}\n  stderr: ${JSON.stringify(visible(o.stderr))}\n  last log: ${JSON.stringify(visible(o.lastLog))}`;
}

export interface CaseResult {
  input: FuzzInput;
  ours: Outcome;
  redis: Outcome;
  difference: string | null;
}

export async function runCase(input: FuzzInput, timeoutMs = START_TIMEOUT_MS, oneAfterTheOther = false): Promise<CaseResult> {
  installCleanup();
  const runOurs = () => runOne(process.execPath, [OUR_BIN], input, timeoutMs);
  const runRedis = () => runOne(REDIS_SENTINEL, [], input, timeoutMs);
  const [ours, redis] = oneAfterTheOther ? [await runOurs(), await runRedis()] : await Promise.all([runOurs(), runRedis()]);
  return { input, ours, redis, difference: sameOutcome(ours, redis) };
}

/**
 * A case, run again when it differed, with a five times longer wait and one side after the
 * other: a process that neither answered nor exited in time on a loaded machine ("silent") is
 * not a difference unless it stays so, nor is a port both sides took from the same input
 * (`--port 65535`). `retried` tells whether the first run differed.
 */
export async function runCaseConfirmed(input: FuzzInput): Promise<CaseResult & { retried: boolean }> {
  const first = await runCase(input);
  if (!first.difference) return { ...first, retried: false };
  return { ...(await runCase(input, 5 * START_TIMEOUT_MS, true)), retried: true };
}

export function report(seed: number, c: CaseResult): string {
  return [
    `DIFFERENCE seed=${seed} input=${c.input.index} (${c.difference}) mutations=[${c.input.mutations.join(',')}]`,
    `--- config ---`,
    visible(c.input.config),
    `--- argv --- ${JSON.stringify(c.input.argv.map(visible))}`,
    `--- ours: ${describeOutcome(c.ours)}`,
    `--- redis: ${describeOutcome(c.redis)}`,
    '',
  ].join('\n');
}

export interface RunSummary {
  seed: number;
  compared: number;
  differences: CaseResult[];
  counts: Record<string, number>;
}

/** Runs inputs from..from+count-1 of a seed, `concurrency` at a time. */
export async function runFuzz(opts: {
  seed: number;
  inputs: number;
  from?: number;
  concurrency?: number;
  onResult?: (c: CaseResult) => void;
}): Promise<RunSummary> {
  const from = opts.from ?? 0;
  const concurrency = opts.concurrency ?? 3;
  const summary: RunSummary = { seed: opts.seed, compared: 0, differences: [], counts: {} };
  let next = from;
  const worker = async () => {
    while (next < from + opts.inputs) {
      const i = next++;
      const c = await runCaseConfirmed(generate(opts.seed, i));
      summary.compared++;
      // redis-sentinel can take minutes to start (maxclients 2147483648: a setrlimit per 16
      // descriptors down to the limit): with no answer from it there is nothing to compare.
      const undecided = c.difference !== null && c.redis.kind === 'silent';
      const key = undecided
        ? 'not compared: redis-sentinel neither listening nor exited after 15 s'
        : c.difference
          ? 'different'
          : `same ${c.redis.kind === 'exited' ? `exited(${c.redis.code})` : c.redis.kind}`;
      summary.counts[key] = (summary.counts[key] ?? 0) + 1;
      if (c.retried && !c.difference) summary.counts['same on a second, slower run'] = (summary.counts['same on a second, slower run'] ?? 0) + 1;
      if (c.difference && !undecided) summary.differences.push(c);
      opts.onResult?.(c);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    cleanupAll();
  }
  return summary;
}

// ---------------------------------------------------------------- CLI

async function cli(argv: string[]): Promise<void> {
  const get = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const seed = get('seed', 1);
  const inputs = get('inputs', 100);
  const from = get('from', 0);
  const concurrency = get('concurrency', 3);
  const verbose = argv.includes('--verbose');
  const print = argv.includes('--print');
  if (print) {
    for (let i = from; i < from + inputs; i++) {
      const inp = generate(seed, i);
      process.stdout.write(`# input ${i} [${inp.mutations.join(',')}] argv=${JSON.stringify(inp.argv)}\n${visible(inp.config)}\n`);
    }
    return;
  }
  const started = Date.now();
  const summary = await runFuzz({
    seed,
    inputs,
    from,
    concurrency,
    onResult: (c) => {
      if (c.difference && c.redis.kind === 'silent') process.stdout.write(`not compared (redis-sentinel silent): seed=${seed} input=${c.input.index}\n`);
      else if (c.difference) process.stdout.write(report(seed, c));
      else if (verbose) {
        const o = c.redis;
        const why = o.kind === 'exited' ? (o.stderr.trim().split('\n').pop() ?? o.lastLog) : '';
        process.stdout.write(`input ${c.input.index}: same ${o.kind} ${visible(why).slice(0, 120)}\n`);
      }
    },
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `seed=${seed} inputs=${from}..${from + inputs - 1} compared=${summary.compared} differences=${summary.differences.length} in ${secs}s\n` +
      Object.entries(summary.counts)
        .sort()
        .map(([k, v]) => `  ${k}: ${v}\n`)
        .join(''),
  );
  process.exitCode = summary.differences.length > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((e) => {
    cleanupAll();
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(2);
  });
}
