/**
 * Fuzzer of what monitored instances and peer sentinels send to a sentinel.
 *
 * Our daemon monitors masters that are all played by this process: fake masters, the fake
 * replicas their INFO lists and the fake sentinels their hellos announce. Every command the
 * daemon sends to one of them (PING, INFO, SUBSCRIBE, PUBLISH, SENTINEL is-master-down-by-addr,
 * the MULTI ... EXEC of a failover) is answered from a seeded PRNG: mostly plausible replies
 * (INFO text with mutated fields, votes, confirmations), often hostile ones (wrong types, RESP3,
 * errors, truncated then closed or stalled, oversized bulks, deep nesting, huge lengths, random
 * bytes, unsolicited extra replies, slow replies). Subscribed connections also get a stream of
 * hello messages, valid and mutated. Fake peers connect to the daemon's port as peers do and
 * send hellos and vote requests. Meanwhile a checker asks the daemon PING and SENTINEL MASTERS
 * every 200 ms.
 *
 * There is no reference to compare with (redis-sentinel could not be fed the same timing);
 * what must hold: the daemon never exits, never logs a stack trace or writes to stderr,
 * answers the checker within STALL_MS every time, keeps every master it was given, and its
 * RSS stays under --max-rss-mb.
 *
 *   node dist/test/fuzz/instance-fuzzer.js --seed 1 --seconds 60 [--masters 12] [--push-rate 400] [--quiet]
 *
 * Each fake connection draws its replies from its own PRNG, seeded from (seed, node, connection
 * number), so what a connection sends is a function of the seed; which connection gets which
 * command when is up to the daemon's timers. On failure the seed and the last inputs sent are
 * printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RequestParser } from '../../src/resp/request-parser.js';
import { ReplyParser, type RespValue } from '../../src/resp/reply-parser.js';
import { Rng } from '../sim/rng.js';
import { escapeBytes, freeLowPort, ourDaemonCommand, rssKb } from './processes.js';

const STALL_MS = 2000;
const CHECK_EVERY_MS = 200;
const HELLO_CHANNEL = '__sentinel__:hello';

type Role = 'master' | 'replica' | 'peer';

interface FakeNode {
  index: number;
  role: Role;
  port: number;
  runId: string;
  server: Server;
  connections: number;
}

interface World {
  seed: number;
  masters: FakeNode[];
  replicas: FakeNode[];
  peers: FakeNode[];
  /** Ports where nothing listens. */
  deadPorts: number[];
  masterNames: string[];
  daemonRunId: string;
}

// ---------------------------------------------------------------------------------------------
// What the fakes say

const enc = {
  simple: (s: string) => `+${s}\r\n`,
  error: (s: string) => `-${s}\r\n`,
  int: (n: number | bigint | string) => `:${n}\r\n`,
  bulk: (s: string | Buffer) => {
    const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
    return Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
  },
  array: (items: Array<string | Buffer>) => Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items.map(asBuffer)]),
};

function asBuffer(x: string | Buffer): Buffer {
  return typeof x === 'string' ? Buffer.from(x, 'latin1') : x;
}

function randomRunId(r: Rng): string {
  return r.hex(40);
}

function pickPort(r: Rng, w: World): string {
  if (r.chance(0.05)) return r.pick(['0', '65536', '-1', 'abc', '', '6379x', '99999999999999999999', ' 1']);
  const pool = r.pick([w.replicas, w.replicas, w.masters, w.peers]);
  if (r.chance(0.1)) return String(r.pick(w.deadPorts));
  return String(r.pick(pool).port);
}

function pickIp(r: Rng): string {
  if (r.chance(0.9)) return '127.0.0.1';
  return r.pick(['::1', '127.0.0.2', '', '1.2.3', '999.1.1.1', 'localhost', 'x'.repeat(300), '127.0.0.1\x00', '\xff\xfe', '[::1]']);
}

function pickEpoch(r: Rng): string {
  if (r.chance(0.85)) return String(r.int(0, 30));
  return r.pick(['18446744073709551615', '9223372036854775807', '18446744073709551616', '-1', '1e3', '', 'abc', '0x10', ' 5', '99999999999999999999999']);
}

function pickRunId(r: Rng, w: World): string {
  const roll = r.next();
  if (roll < 0.7) return r.pick(w.peers).runId;
  if (roll < 0.8) return w.daemonRunId;
  if (roll < 0.9) return randomRunId(r);
  return r.pick(['', '*', 'x'.repeat(40), r.hex(39), r.hex(41), r.hex(40).toUpperCase()]);
}

function randomText(r: Rng, max: number): string {
  let s = '';
  const n = r.int(0, max);
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.chance(0.8) ? r.int(0x20, 0x7e) : r.int(0, 255));
  return s;
}

/** A line of text with any bytes but CR and LF. */
function lineText(r: Rng, max: number): string {
  return randomText(r, max).replace(/[\r\n]/g, ' ');
}

/** Applies 0..3 mutations to a list of fields or lines. */
function mutateList(r: Rng, items: string[], garbage: () => string): string[] {
  const out = [...items];
  const n = r.chance(0.5) ? 0 : r.int(1, 3);
  for (let i = 0; i < n; i++) {
    const at = r.int(0, Math.max(0, out.length - 1));
    switch (r.int(0, 6)) {
      case 0:
        out.splice(at, 1);
        break;
      case 1:
        out.splice(at, 0, out[at] ?? '');
        break;
      case 2:
        out[at] = garbage();
        break;
      case 3:
        out.splice(at, 0, garbage());
        break;
      case 4:
        out[at] = (out[at] ?? '').slice(0, r.int(0, (out[at] ?? '').length));
        break;
      case 5:
        out[at] = `${out[at] ?? ''}${r.pick(['\x00', '\xff', ',', ':', '=', ' ', 'x'.repeat(r.int(1, 20000))])}`;
        break;
      default:
        out.push(garbage());
    }
  }
  return out;
}

function helloPayload(r: Rng, w: World): string {
  const peer = r.pick(w.peers);
  const m = r.int(0, w.masterNames.length - 1);
  const masterPort = r.chance(0.8) ? String(w.masters[m].port) : pickPort(r, w);
  const fields = [
    r.chance(0.95) ? '127.0.0.1' : pickIp(r),
    r.chance(0.9) ? String(peer.port) : pickPort(r, w),
    r.chance(0.9) ? peer.runId : pickRunId(r, w),
    pickEpoch(r),
    r.chance(0.9) ? w.masterNames[m] : r.pick(['', 'nosuch', 'm', w.masterNames[m].toUpperCase(), lineText(r, 40)]),
    r.chance(0.95) ? '127.0.0.1' : pickIp(r),
    masterPort,
    pickEpoch(r),
  ];
  const mutated = mutateList(r, fields, () => r.pick([pickEpoch(r), pickPort(r, w), pickIp(r), lineText(r, 30)]));
  return mutated.join(r.chance(0.97) ? ',' : r.pick([';', ', ', '']));
}

function infoText(r: Rng, w: World, node: FakeNode): string {
  const role = r.chance(0.92) ? node.role : r.pick(['master', 'replica', 'peer'] as Role[]);
  const lines = ['# Server', 'redis_version:7.0.15', `run_id:${r.chance(0.95) ? node.runId : pickRunId(r, w)}`, `tcp_port:${node.port}`, '', '# Replication'];
  if (role === 'master' || role === 'peer') {
    const count = r.chance(0.97) ? r.int(0, 4) : r.int(0, 3000);
    lines.push('role:master', `connected_slaves:${count}`);
    for (let i = 0; i < count; i++) {
      const fields = [`ip=${pickIp(r)}`, `port=${pickPort(r, w)}`, `state=${r.pick(['online', 'wait_bgsave', 'send_bulk', 'x'])}`, `offset=${r.int(0, 1e6)}`, `lag=${r.int(0, 3)}`];
      lines.push(`slave${r.chance(0.97) ? i : r.pick([-1, 99999, 'x'])}:${mutateList(r, fields, () => lineText(r, 20)).join(',')}`);
    }
    lines.push(`master_failover_state:${r.pick(['no-failover', 'waiting-for-sync', 'failover-in-progress'])}`, `master_repl_offset:${r.int(0, 1e9)}`);
  } else {
    const master = r.pick(w.masters);
    lines.push(
      `role:${r.pick(['slave', 'slave', 'replica', 'SLAVE'])}`,
      `master_host:${r.chance(0.9) ? '127.0.0.1' : pickIp(r)}`,
      `master_port:${r.chance(0.8) ? master.port : pickPort(r, w)}`,
      `master_link_status:${r.pick(['up', 'up', 'down', 'x'])}`,
      `master_last_io_seconds_ago:${r.pick(['0', '1', '-1', '100000', 'x'])}`,
      `master_sync_in_progress:${r.pick(['0', '1'])}`,
      `slave_repl_offset:${r.pick([String(r.int(0, 1e9)), '-5', '99999999999999999999', 'x'])}`,
      `slave_priority:${r.pick(['100', '0', '1', '-3', 'abc', '2147483648'])}`,
      `slave_read_only:1`,
      `replica_announced:${r.pick(['1', '0', 'x'])}`,
    );
    if (r.chance(0.3)) lines.push(`master_link_down_since_seconds:${r.pick(['0', '5', '-1', '99999999999', 'x'])}`);
  }
  const mutated = mutateList(r, lines, () => `${lineText(r, 12)}:${lineText(r, 30)}`);
  if (r.chance(0.02)) mutated.push(`x:${'y'.repeat(r.int(1, 1 << 20))}`);
  return mutated.join(r.chance(0.95) ? '\r\n' : r.pick(['\n', '\r', '\r\n\r\n']));
}

/** A random RESP2 or RESP3 value, nested up to `depth`. */
function randomValue(r: Rng, depth: number): Buffer<ArrayBufferLike> {
  const scalar = (): string => {
    switch (r.int(0, 11)) {
      case 0:
        return enc.simple(lineText(r, 30));
      case 1:
        return enc.error(lineText(r, 30));
      case 2:
        return enc.int(r.pick(['0', '-1', '9223372036854775807', '-9223372036854775808', '99999999999999999999', 'x', '']));
      case 3:
        return r.pick(['$-1\r\n', '*-1\r\n', '_\r\n']);
      case 4:
        return `,${r.pick(['1.5', 'inf', '-inf', 'nan', 'x', ''])}\r\n`;
      case 5:
        return `#${r.pick(['t', 'f', 'x'])}\r\n`;
      case 6:
        return `(${r.pick(['123456789012345678901234567890', '-1', 'x'])}\r\n`;
      case 7: {
        const t = randomText(r, 20);
        return `=${t.length + 4}\r\ntxt:${t}\r\n`;
      }
      case 8: {
        const t = randomText(r, 20);
        return `!${t.length}\r\n${t}\r\n`;
      }
      default:
        return enc.bulk(randomText(r, 50)).toString('latin1');
    }
  };
  if (depth <= 0 || r.chance(0.6)) return Buffer.from(scalar(), 'latin1');
  const n = r.int(0, 5);
  const marker = r.pick(['*', '*', '%', '~', '>', '|']);
  const count = marker === '%' || marker === '|' ? n * 2 : n;
  const parts: Buffer[] = [Buffer.from(`${marker}${n}\r\n`)];
  for (let i = 0; i < count; i++) parts.push(randomValue(r, depth - 1));
  if (marker === '|') parts.push(randomValue(r, depth - 1));
  return Buffer.concat(parts);
}

/** A plausible reply to one command from the daemon. */
function plausibleReply(r: Rng, w: World, node: FakeNode, args: string[], state: ConnState): Buffer {
  const name = (args[0] ?? '').toUpperCase();
  if (state.inMulti && name !== 'EXEC' && name !== 'DISCARD') {
    state.queued++;
    return asBuffer(enc.simple('QUEUED'));
  }
  switch (name) {
    case 'PING':
      return asBuffer(
        r.chance(0.9)
          ? enc.simple('PONG')
          : r.pick([
              enc.error('LOADING Redis is loading the dataset in memory'),
              enc.error('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no'),
              enc.error('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'),
              enc.simple('OK'),
              enc.error('NOAUTH Authentication required.'),
            ]),
      );
    case 'INFO':
      return enc.bulk(infoText(r, w, node));
    case 'SUBSCRIBE':
      state.subscribed = true;
      return enc.array([enc.bulk('subscribe'), enc.bulk(args[1] ?? HELLO_CHANNEL), enc.int(1)]);
    case 'PUBLISH':
      return asBuffer(enc.int(r.int(0, 3)));
    case 'MULTI':
      state.inMulti = true;
      state.queued = 0;
      return asBuffer(enc.simple('OK'));
    case 'EXEC': {
      state.inMulti = false;
      const items = Array.from({ length: state.queued }, () => (r.chance(0.9) ? enc.simple('OK') : enc.error('ERR fuzz')));
      return r.chance(0.9) ? enc.array(items) : asBuffer(r.pick(['*-1\r\n', enc.error('EXECABORT Transaction discarded because of previous errors.')]));
    }
    case 'SENTINEL': {
      if ((args[1] ?? '').toLowerCase() !== 'is-master-down-by-addr') return asBuffer(enc.simple('OK'));
      const askedEpoch = args[4] ?? '0';
      const askedRunId = args[5] ?? '*';
      const leader = askedRunId === '*' ? '*' : r.chance(0.6) ? askedRunId : pickRunId(r, w);
      return enc.array([enc.int(r.chance(0.7) ? 1 : 0), enc.bulk(leader), enc.int(r.chance(0.8) ? askedEpoch : pickEpoch(r))]);
    }
    default:
      return asBuffer(enc.simple('OK'));
  }
}

interface ConnState {
  inMulti: boolean;
  queued: number;
  subscribed: boolean;
  /** A hostile reply left the connection mid-reply: nothing more is said on it. */
  mute: boolean;
}

type Hostile = { kind: string; bytes: Buffer; then?: 'close' | 'mute'; chunked?: boolean; delayMs?: number };

/** Something an instance should not say, in place of (or around) the plausible reply. */
function hostileReply(r: Rng, w: World, plausible: Buffer): Hostile {
  switch (r.int(0, 16)) {
    case 0:
      return { kind: 'random-value', bytes: randomValue(r, 3) };
    case 1:
      return { kind: 'error', bytes: asBuffer(enc.error(lineText(r, 200))) };
    case 2:
      return { kind: 'truncated-close', bytes: plausible.subarray(0, r.int(0, Math.max(0, plausible.length - 1))), then: 'close' };
    case 3:
      return { kind: 'truncated-stall', bytes: plausible.subarray(0, r.int(1, Math.max(1, plausible.length - 1))), then: 'mute' };
    case 4:
      return { kind: 'close', bytes: Buffer.alloc(0), then: 'close' };
    case 5:
      return { kind: 'no-reply', bytes: Buffer.alloc(0), then: 'mute' };
    case 6: {
      const n = r.int(1, 12) << 20;
      return { kind: 'oversized-bulk', bytes: enc.bulk(Buffer.alloc(n, r.pick(['x', 'role:master\r\n', '\x00']))) };
    }
    case 7:
      return {
        kind: 'huge-length',
        bytes: Buffer.from(`${r.pick(['$', '*', '%', '~', '='])}${r.pick(['2147483648', '4294967296', '9223372036854775807', '99999999999999999999', '1000000000'])}\r\nabc`),
        then: r.chance(0.5) ? 'mute' : 'close',
      };
    case 8: {
      const depth = r.pick([8, 9, 100, 10000, 200000]);
      return { kind: 'deep-nesting', bytes: Buffer.from(`${'*1\r\n'.repeat(depth)}:1\r\n`) };
    }
    case 9: {
      const n = r.pick([1000, 100000, 500000]);
      return { kind: 'wide-array', bytes: Buffer.from(`*${n}\r\n${':1\r\n'.repeat(n)}`) };
    }
    case 10:
      return {
        kind: 'bad-length',
        bytes: Buffer.from(r.pick(['$-5\r\n', '*-2\r\n', '$abc\r\n', '*1.5\r\n', '$\r\n', ':x\r\n', '$3\r\nabcd\r\n', '*2\r\n$1\r\na\r\n$-7\r\n', ':\r\n', ',\r\n'])),
        then: r.chance(0.5) ? 'close' : undefined,
      };
    case 11:
      return { kind: 'unknown-type', bytes: Buffer.from(`${String.fromCharCode(r.pick([0x40, 0x00, 0xff, 0x20, 0x0d, 0x61, 0x3f]))}${lineText(r, 20)}\r\n`) };
    case 12: {
      const extra = Array.from({ length: r.int(1, 5) }, () => randomValue(r, 2));
      return { kind: 'extra-replies', bytes: Buffer.concat(r.chance(0.5) ? [plausible, ...extra] : [...extra, plausible]) };
    }
    case 13:
      return { kind: 'split', bytes: plausible, chunked: true };
    case 14:
      return {
        kind: 'push-instead',
        bytes: enc.array([enc.bulk(r.pick(['message', 'pmessage', 'subscribe'])), enc.bulk(r.pick([HELLO_CHANNEL, 'other'])), enc.bulk(helloPayload(r, w))]),
      };
    case 15:
      return { kind: 'random-bytes', bytes: Buffer.from(randomText(r, 4096), 'latin1') };
    default:
      return { kind: 'slow', bytes: plausible, delayMs: r.int(0, 3000) };
  }
}

/** A message on a subscribed connection: mostly a hello, sometimes a frame that is not one. */
function pushFrame(r: Rng, w: World): Buffer {
  if (r.chance(0.85)) return enc.array([enc.bulk('message'), enc.bulk(HELLO_CHANNEL), enc.bulk(helloPayload(r, w))]);
  return r.pick([
    () => enc.array([enc.bulk('pmessage'), enc.bulk('*'), enc.bulk(HELLO_CHANNEL), enc.bulk(helloPayload(r, w))]),
    () => enc.array([enc.bulk('message'), enc.bulk('other'), enc.bulk(helloPayload(r, w))]),
    () => enc.array([enc.bulk('message'), enc.bulk(HELLO_CHANNEL)]),
    () => enc.array([enc.bulk('message'), enc.bulk(HELLO_CHANNEL), enc.int(5)]),
    () => enc.array([enc.bulk('message'), enc.bulk(HELLO_CHANNEL), enc.bulk(helloPayload(r, w)), enc.bulk('x')]),
    () => Buffer.concat([Buffer.from('>3\r\n'), enc.bulk('message'), enc.bulk(HELLO_CHANNEL), enc.bulk(helloPayload(r, w))]),
    () => enc.array([enc.bulk('message'), enc.bulk(HELLO_CHANNEL), enc.bulk(randomText(r, 300))]),
    () => randomValue(r, 3),
  ])();
}

// ---------------------------------------------------------------------------------------------
// Running

interface Sent {
  at: number;
  where: string;
  command: string;
  kind: string;
  bytes: Buffer;
}

export interface InstanceFuzzOptions {
  seed: number;
  seconds: number;
  masters?: number;
  /** Hello messages pushed per second over all subscribed connections. */
  pushRate?: number;
  /** Share of replies replaced by a hostile one. */
  hostileShare?: number;
  maxRssMb?: number;
  log?: (line: string) => void;
}

export interface InstanceFuzzResult {
  seed: number;
  elapsedMs: number;
  inputs: number;
  replies: number;
  hostile: Map<string, number>;
  pushes: number;
  peerRequests: number;
  connectionsAccepted: number;
  checks: number;
  slowestCheckMs: number;
  stalls: number;
  peakRssKb: number;
  rssByFifth: number[];
  peakFds: number;
  /** The most replicas and peer sentinels known at once, over all masters. */
  peakReplicas: number;
  peakSentinels: number;
  /** Why the run failed, if it did. */
  failures: string[];
  lastInputs: Sent[];
}

export async function runInstanceFuzz(options: InstanceFuzzOptions): Promise<InstanceFuzzResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const masterCount = options.masters ?? 12;
  const pushRate = options.pushRate ?? 400;
  const hostileShare = options.hostileShare ?? 0.25;
  const maxRssKb = (options.maxRssMb ?? 400) * 1024;
  const seedRng = new Rng(options.seed);
  const portRng = () => seedRng.next();
  const taken = new Set<number>();
  const result: InstanceFuzzResult = {
    seed: options.seed,
    elapsedMs: 0,
    inputs: 0,
    replies: 0,
    hostile: new Map(),
    pushes: 0,
    peerRequests: 0,
    connectionsAccepted: 0,
    checks: 0,
    slowestCheckMs: 0,
    stalls: 0,
    peakRssKb: 0,
    rssByFifth: [0, 0, 0, 0, 0],
    peakFds: 0,
    peakReplicas: 0,
    peakSentinels: 0,
    failures: [],
    lastInputs: [],
  };
  const recent: Sent[] = [];
  const record = (s: Sent) => {
    recent.push(s);
    if (recent.length > 60) recent.shift();
    result.inputs++;
  };

  const sockets = new Set<Socket>();
  const subscribed = new Set<Socket>();
  const world: World = { seed: options.seed, masters: [], replicas: [], peers: [], deadPorts: [], masterNames: [], daemonRunId: '' };
  const timers: NodeJS.Timeout[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'instance-fuzz-'));
  let child: ChildProcess | null = null;
  let exited: string | null = null;
  let stderr = '';
  const logTail: string[] = [];

  const makeNode = async (role: Role, index: number): Promise<FakeNode> => {
    const server = createServer();
    const node: FakeNode = { index, role, port: 0, runId: randomRunId(seedRng), server, connections: 0 };
    server.on('connection', (socket) => serve(node, socket));
    for (;;) {
      const port = await freeLowPort(portRng, taken);
      const ok = await new Promise<boolean>((res) => {
        server.once('error', () => res(false));
        server.listen({ port, host: '127.0.0.1', exclusive: true }, () => res(true));
      });
      if (ok) {
        node.port = port;
        return node;
      }
    }
  };

  const serve = (node: FakeNode, socket: Socket) => {
    result.connectionsAccepted++;
    sockets.add(socket);
    const r = new Rng((Math.imul(options.seed, 0x9e3779b1) ^ Math.imul(node.index + 1, 0x85ebca6b) ^ Math.imul(++node.connections, 0xc2b2ae35)) >>> 0);
    const parser = new RequestParser();
    const state: ConnState = { inMulti: false, queued: 0, subscribed: false, mute: false };
    const where = `${node.role}#${node.index}:${node.port} conn ${node.connections}`;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      subscribed.delete(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      let args: Buffer[] | null;
      try {
        while ((args = parser.next()) !== null) {
          if (state.mute || socket.destroyed) continue;
          const command = args.map((a) => a.toString('latin1'));
          const plausible = plausibleReply(r, world, node, command, state);
          if (state.subscribed) subscribed.add(socket);
          result.replies++;
          if (!r.chance(hostileShare)) {
            record({ at: Date.now(), where, command: command.slice(0, 2).join(' '), kind: 'plausible', bytes: plausible });
            socket.write(plausible);
            continue;
          }
          const h = hostileReply(r, world, plausible);
          result.hostile.set(h.kind, (result.hostile.get(h.kind) ?? 0) + 1);
          record({ at: Date.now(), where, command: command.slice(0, 2).join(' '), kind: h.kind, bytes: h.bytes });
          deliver(socket, h, state);
        }
      } catch {
        socket.destroy();
      }
    });
  };

  const deliver = (socket: Socket, h: Hostile, state: ConnState) => {
    if (h.then === 'mute') state.mute = true;
    if (h.delayMs !== undefined) {
      // Later replies must not overtake this one: the connection waits for it.
      state.mute = true;
      const t = setTimeout(() => {
        if (socket.destroyed) return;
        socket.write(h.bytes);
        state.mute = false;
      }, h.delayMs);
      timers.push(t);
      return;
    }
    if (h.chunked) {
      for (let i = 0; i < h.bytes.length; i += 7) socket.write(h.bytes.subarray(i, i + 7));
      return;
    }
    if (h.bytes.length > 0) socket.write(h.bytes);
    if (h.then === 'close') socket.end(() => socket.destroy());
  };

  const cleanup = () => {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    for (const n of [...world.masters, ...world.replicas, ...world.peers]) n.server.close();
    if (child && child.pid !== undefined && exited === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', cleanup);
  const began = Date.now();

  try {
    for (let i = 0; i < masterCount; i++) {
      world.masters.push(await makeNode('master', i));
      world.masterNames.push(`m${i}`);
    }
    for (let i = 0; i < 6; i++) world.replicas.push(await makeNode('replica', masterCount + i));
    for (let i = 0; i < 3; i++) world.peers.push(await makeNode('peer', masterCount + 6 + i));
    for (let i = 0; i < 2; i++) world.deadPorts.push(await freeLowPort(portRng, taken));
    const port = await freeLowPort(portRng, taken);

    const conf = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`];
    world.masters.forEach((m, i) => {
      conf.push(`sentinel monitor ${world.masterNames[i]} 127.0.0.1 ${m.port} ${1 + (i % 2)}`);
      conf.push(`sentinel down-after-milliseconds ${world.masterNames[i]} ${400 + seedRng.int(0, 1200)}`);
      conf.push(`sentinel failover-timeout ${world.masterNames[i]} ${2000 + seedRng.int(0, 4000)}`);
    });
    writeFileSync(join(dir, 'sentinel.conf'), `${conf.join('\n')}\n`);
    const [cmd, ...cmdArgs] = ourDaemonCommand(join(dir, 'sentinel.conf'));
    // For profiling the daemon under fuzzing, e.g. FUZZ_DAEMON_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = process.env.FUZZ_DAEMON_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
    child = spawn(cmd, [...nodeArgs, ...cmdArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    child.on('exit', (code, signal) => {
      exited = `code ${code} signal ${signal}`;
    });
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 20000) stderr += c.toString('utf8');
    });
    let partial = '';
    child.stdout?.on('data', (c: Buffer) => {
      const lines = (partial + c.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        logTail.push(l);
        if (logTail.length > 40) logTail.shift();
        if (/^\s+at .+:\d+:\d+\)?$/.test(l) || /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/.test(l)) {
          if (result.failures.length < 20) result.failures.push(`the daemon logged an internal error: ${l}`);
        }
      }
    });

    const checker = new Checker(port);
    await checker.waitReady(10_000, () => exited);
    world.daemonRunId = await checker.myId();
    log(`instance fuzzer: seed ${options.seed}, ${masterCount} masters, our daemon on ${port} (pid ${pid}), ${options.seconds} s`);

    // Fake peers talk to the daemon's port as peer sentinels do.
    const peerRng = new Rng((options.seed ^ 0x5bd1e995) >>> 0);
    const peerClient = new PeerClient(port);
    timers.push(
      setInterval(() => {
        for (let i = 0; i < 5; i++) {
          const req = peerRng.chance(0.7)
            ? ['PUBLISH', HELLO_CHANNEL, helloPayload(peerRng, world)]
            : ['SENTINEL', 'is-master-down-by-addr', pickIp(peerRng), pickPort(peerRng, world), pickEpoch(peerRng), pickRunId(peerRng, world)];
          const bytes = enc.array(req.map((a) => enc.bulk(a)));
          if (peerClient.send(bytes)) {
            result.peerRequests++;
            record({ at: Date.now(), where: 'peer client', command: req.slice(0, 2).join(' '), kind: 'request', bytes });
          }
        }
      }, 20),
    );

    // Hello messages on every subscribed connection the daemon holds.
    const pushRng = new Rng((options.seed ^ 0x27d4eb2f) >>> 0);
    timers.push(
      setInterval(() => {
        const targets = [...subscribed];
        if (targets.length === 0) return;
        for (let i = 0; i < pushRate / 100; i++) {
          const s = pushRng.pick(targets);
          if (s.destroyed || s.writableLength > 1 << 20) continue;
          const bytes = pushFrame(pushRng, world);
          s.write(bytes);
          result.pushes++;
          record({ at: Date.now(), where: 'push', command: '', kind: 'push', bytes });
        }
      }, 10),
    );

    const durationMs = options.seconds * 1000;
    const sampleRss = () => {
      const kb = rssKb(pid, 'VmRSS');
      result.peakRssKb = Math.max(result.peakRssKb, kb);
      const fifth = Math.min(4, Math.floor(((Date.now() - began) / durationMs) * 5));
      result.rssByFifth[fifth] = Math.max(result.rssByFifth[fifth], kb);
      result.peakFds = Math.max(result.peakFds, fdCount(pid));
      if (kb > maxRssKb && !result.failures.some((f) => f.startsWith('RSS'))) result.failures.push(`RSS ${(kb / 1024).toFixed(1)} MB over the ${maxRssKb / 1024} MB bound`);
    };
    let lastProgress = Date.now();
    while (Date.now() - began < durationMs && exited === null) {
      const t0 = Date.now();
      const ok = await checker.check(STALL_MS);
      const took = Date.now() - t0;
      result.checks++;
      result.slowestCheckMs = Math.max(result.slowestCheckMs, took);
      if (!ok.answered) {
        result.stalls++;
        result.failures.push(`no answer to PING + SENTINEL MASTERS within ${STALL_MS} ms at ${((Date.now() - began) / 1000).toFixed(1)} s`);
      } else if (ok.masters !== masterCount) {
        result.failures.push(`SENTINEL MASTERS listed ${ok.masters} masters, not ${masterCount}`);
      }
      result.peakReplicas = Math.max(result.peakReplicas, ok.replicas);
      result.peakSentinels = Math.max(result.peakSentinels, ok.sentinels);
      sampleRss();
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        log(`  ${((Date.now() - began) / 1000).toFixed(0)} s: ${result.inputs} inputs, RSS ${(rssKb(pid, 'VmRSS') / 1024).toFixed(1)} MB, slowest check ${result.slowestCheckMs} ms, ${ok.replicas} replicas, ${ok.sentinels} sentinels, ${fdCount(pid)} fds`);
      }
      if (result.failures.length > 0) break;
      await sleep(Math.max(0, CHECK_EVERY_MS - took));
    }
    for (const t of timers) clearInterval(t);
    peerClient.close();
    result.peakRssKb = Math.max(result.peakRssKb, rssKb(pid, 'VmHWM'));
    if (exited === null) {
      const final = await checker.check(STALL_MS);
      if (!final.answered) result.failures.push('no answer after the run');
    }
    checker.close();
    if (exited !== null) result.failures.push(`the daemon exited: ${exited}`);
    else await stopGracefully(child, () => exited !== null);
    if (stderr !== '') result.failures.push(`the daemon wrote to stderr: ${stderr.slice(0, 2000)}`);
    if (result.failures.length > 0) {
      result.lastInputs = [...recent];
      log(`daemon log, last lines:\n${logTail.join('\n')}`);
    }
  } finally {
    cleanup();
    process.removeListener('exit', cleanup);
  }
  result.elapsedMs = Date.now() - began;
  return result;
}

/** SIGTERM, as an operator would stop it (a profile, if asked for, is written then); SIGKILL after 5 s. */
async function stopGracefully(child: ChildProcess, gone: () => boolean): Promise<void> {
  child.kill('SIGTERM');
  const deadline = Date.now() + 5000;
  while (!gone() && Date.now() < deadline) await sleep(50);
  if (!gone()) child.kill('SIGKILL');
}

function fdCount(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

/** One connection to the daemon, as an operator's redis-cli would hold. */
class Checker {
  private socket: Socket | null = null;
  private parser = new ReplyParser();
  private waiting: Array<(v: RespValue | null) => void> = [];

  constructor(private readonly port: number) {}

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.parser = new ReplyParser();
    const s = connect({ host: '127.0.0.1', port: this.port });
    s.on('data', (c: Buffer) => {
      this.parser.feed(c);
      let v: RespValue | undefined;
      while ((v = this.parser.next()) !== undefined) this.waiting.shift()?.(v);
    });
    const fail = () => {
      for (const w of this.waiting.splice(0)) w(null);
    };
    s.on('error', fail);
    s.on('close', fail);
    this.socket = s;
    return s;
  }

  private ask(args: string[], timeoutMs: number): Promise<RespValue | null> {
    const s = this.open();
    return new Promise((res) => {
      const t = setTimeout(() => {
        // The reply may still come: a stalled connection is abandoned, not reused.
        this.socket?.destroy();
        res(null);
      }, timeoutMs);
      this.waiting.push((v) => {
        clearTimeout(t);
        res(v);
      });
      s.write(enc.array(args.map((a) => enc.bulk(a))));
    });
  }

  async waitReady(timeoutMs: number, exited: () => string | null): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const why = exited();
      if (why !== null) throw new Error(`our daemon exited at start: ${why}`);
      const v = await this.ask(['PING'], 300);
      if (v?.type === 'simple' && v.value === 'PONG') return;
      this.socket?.destroy();
      await sleep(100);
    }
    throw new Error(`our daemon did not answer PING within ${timeoutMs} ms`);
  }

  async myId(): Promise<string> {
    const v = await this.ask(['SENTINEL', 'MYID'], 2000);
    return v?.type === 'bulk' ? v.value.toString() : '';
  }

  async check(timeoutMs: number): Promise<{ answered: boolean; masters: number; replicas: number; sentinels: number }> {
    const [pong, masters] = await Promise.all([this.ask(['PING'], timeoutMs), this.ask(['SENTINEL', 'MASTERS'], timeoutMs)]);
    const answered = pong?.type === 'simple' && pong.value === 'PONG' && masters?.type === 'array';
    const list = masters?.type === 'array' ? masters.items : [];
    const total = (field: string) =>
      list.reduce((sum, m) => {
        if (m.type !== 'array') return sum;
        const at = m.items.findIndex((x) => x.type === 'bulk' && x.value.toString() === field);
        const v = m.items[at + 1];
        return at >= 0 && v?.type === 'bulk' ? sum + Number(v.value.toString()) : sum;
      }, 0);
    return { answered, masters: masters?.type === 'array' ? list.length : -1, replicas: total('num-slaves'), sentinels: total('num-other-sentinels') };
  }

  close(): void {
    this.socket?.destroy();
  }
}

/** A fake peer sentinel's connection to the daemon's port; its replies are read and dropped. */
class PeerClient {
  private socket: Socket | null = null;

  constructor(private readonly port: number) {}

  send(bytes: Buffer): boolean {
    if (this.socket === null || this.socket.destroyed) {
      this.socket = connect({ host: '127.0.0.1', port: this.port });
      this.socket.on('error', () => undefined);
      this.socket.on('data', () => undefined);
    }
    if (this.socket.writableLength > 1 << 20) return false;
    this.socket.write(bytes);
    return true;
  }

  close(): void {
    this.socket?.destroy();
  }
}

export function instanceSummary(r: InstanceFuzzResult): string {
  const hostile = [...r.hostile.values()].reduce((a, b) => a + b, 0);
  return [
    `seed ${r.seed}: ${r.inputs} inputs in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `  replies to the daemon's commands: ${r.replies} (${hostile} hostile: ${[...r.hostile.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
    `  messages pushed on subscribed connections: ${r.pushes}; requests from fake peers: ${r.peerRequests}; connections from the daemon: ${r.connectionsAccepted}`,
    `  checks: ${r.checks}, slowest ${r.slowestCheckMs} ms, stalls ${r.stalls}`,
    `  peak RSS ${(r.peakRssKb / 1024).toFixed(1)} MB (by fifth of the run: ${r.rssByFifth.map((k) => (k / 1024).toFixed(0)).join(' / ')} MB), peak open fds ${r.peakFds}`,
    `  most known at once, over all masters: ${r.peakReplicas} replicas, ${r.peakSentinels} sentinels`,
    `  failures: ${r.failures.length === 0 ? 'none' : ''}`,
    ...r.failures.map((f) => `    ${f}`),
  ].join('\n');
}

export function describeInputs(inputs: Sent[]): string {
  return inputs.map((s) => `  +${s.at - (inputs[0]?.at ?? s.at)} ms ${s.where} ${s.command} -> ${s.kind} ${escapeBytes(s.bytes, 300)}`).join('\n');
}

function parseArgs(argv: string[]): InstanceFuzzOptions {
  const opts: InstanceFuzzOptions = { seed: 1, seconds: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined || !/^\d+(\.\d+)?$/.test(x)) throw new Error(`${a} wants a non-negative number`);
      return Number(x);
    };
    if (a === '--seed') opts.seed = v();
    else if (a === '--seconds') opts.seconds = v();
    else if (a === '--masters') opts.masters = v();
    else if (a === '--push-rate') opts.pushRate = v();
    else if (a === '--hostile-share') opts.hostileShare = v();
    else if (a === '--max-rss-mb') opts.maxRssMb = v();
    else if (a === '--quiet') opts.log = () => undefined;
    else throw new Error(`unknown option ${a}; usage: instance-fuzzer --seed S --seconds T [--masters M] [--push-rate R] [--hostile-share F] [--max-rss-mb N] [--quiet]`);
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  process.once('SIGINT', () => process.exit(130));
  runInstanceFuzz(opts)
    .then((r) => {
      process.stdout.write(`${instanceSummary(r)}\n`);
      if (r.failures.length > 0) process.stdout.write(`reproduce with --seed ${r.seed}; the last inputs sent:\n${describeInputs(r.lastInputs)}\n`);
      process.exitCode = r.failures.length > 0 ? 1 : 0;
    })
    .catch((err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 2;
    });
}
