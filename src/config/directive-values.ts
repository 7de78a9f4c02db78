/**
 * Parsing a directive's arguments into its value, with Redis's exact error
 * texts. directive-format.ts prints values back.
 */
import type { CType, DirectiveSpec, EnumSpec, NumericSpec, StringSpec } from './directives.js';
import { SHUTDOWN_NOSAVE, SHUTDOWN_SAVE } from './directives.js';
import { memtoull, string2d, string2ll, strtoll } from './c-numbers.js';

export interface ObufLimit {
  hard: bigint;
  soft: bigint;
  seconds: number;
}

export const OBUF_CLASSES = ['normal', 'replica', 'pubsub'] as const;
export type ObufClass = (typeof OBUF_CLASSES)[number];
export type ObufLimits = Record<ObufClass, ObufLimit>;

export interface SaveParam {
  seconds: bigint;
  changes: number;
}

export interface ReplicaOf {
  host: string;
  port: number;
}

/**
 * bool -> boolean; string -> string | null; enum -> its numeric value (OR-ed for
 * multi-arg); numeric -> bigint as Redis reads it back (a long long);
 * specials -> their own shapes (see SPECIAL_DEFAULTS).
 */
export type DirectiveValue =
  | boolean
  | string
  | null
  | number
  | bigint
  | string[]
  | number[]
  | SaveParam[]
  | ObufLimits
  | ReplicaOf;

export type SetResult = { ok: true; value: DirectiveValue } | { ok: false; error: string };

/** What setting a directive may need from the rest of the configuration being loaded. */
export interface SetContext {
  /** The value currently in effect (directives that merge: save, client-output-buffer-limit). */
  current(name: string): DirectiveValue;
  /** Applies `dir` at once, as Redis does; returns the strerror text on failure. */
  chdir(dir: string): string | null;
  /** Redis resets the built-in save points at the first `save` line only. */
  saveSeen: boolean;
}

export const OOM_DEFAULTS = [0, 200, 800];
export const DEFAULT_BIND = ['*', '-::*'];
export const OBUF_DEFAULTS: ObufLimits = {
  normal: { hard: 0n, soft: 0n, seconds: 0 },
  replica: { hard: 256n << 20n, soft: 64n << 20n, seconds: 60 },
  pubsub: { hard: 32n << 20n, soft: 8n << 20n, seconds: 60 },
};

/** Built-in values of the special directives (`dir` has none: a rewrite always writes the working directory). */
export function specialDefault(name: string): DirectiveValue {
  switch (name) {
    case 'save':
      return [
        { seconds: 3600n, changes: 1 },
        { seconds: 300n, changes: 100 },
        { seconds: 60n, changes: 10000 },
      ];
    case 'client-output-buffer-limit':
      return structuredClone(OBUF_DEFAULTS);
    case 'oom-score-adj-values':
      return [...OOM_DEFAULTS];
    case 'notify-keyspace-events':
      return 0;
    case 'bind':
      return [...DEFAULT_BIND];
    case 'replicaof':
      return null;
    case 'latency-tracking-info-percentiles':
      return [50, 99, 99.9];
    default:
      return null;
  }
}

export function defaultValue(spec: DirectiveSpec): DirectiveValue {
  return spec.kind === 'special' ? specialDefault(spec.name) : spec.default;
}

const fail = (error: string): SetResult => ({ ok: false, error });
const ok = (value: DirectiveValue): SetResult => ({ ok: true, value });

/** Redis's yesnotoi. */
export function yesNo(s: string): boolean | null {
  const lower = s.toLowerCase();
  return lower === 'yes' ? true : lower === 'no' ? false : null;
}

/** Parses the arguments of one directive line (already split for multi-arg directives). */
export function setDirective(spec: DirectiveSpec, args: string[], ctx: SetContext): SetResult {
  switch (spec.kind) {
    case 'bool': {
      const v = yesNo(args[0] ?? '');
      if (v === null) return fail("argument must be 'yes' or 'no'");
      if (spec.check === 'activedefrag' && v) {
        return fail(
          'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution',
        );
      }
      return ok(v);
    }
    case 'string':
      return setString(spec, args[0] ?? '', ctx);
    case 'enum':
      return setEnum(spec, args);
    case 'numeric':
      return setNumeric(spec, args[0] ?? '');
    case 'special':
      return setSpecial(spec.name, args, ctx);
  }
}

function setString(spec: StringSpec, value: string, ctx: SetContext): SetResult {
  const error = checkString(spec, value, ctx);
  if (error !== null) return fail(error);
  return ok(spec.emptyIsNull && value === '' ? null : value);
}

function checkString(spec: StringSpec, value: string, ctx: SetContext): string | null {
  const isBaseName = !value.includes('/') && !value.includes('\\');
  switch (spec.check) {
    case 'dbfilename':
      return isBaseName ? null : "dbfilename can't be a path, just a filename";
    case 'appendfilename':
      if (value === '') return "appendfilename can't be empty";
      return isBaseName ? null : "appendfilename can't be a path, just a filename";
    case 'appenddirname':
      if (value === '') return "appenddirname can't be empty";
      return isBaseName ? null : "appenddirname can't be a path, just a dirname";
    case 'hostname':
      if (Buffer.byteLength(value) >= 256) return 'Hostnames must be less than 256 characters';
      return /^[A-Za-z0-9.-]*$/.test(value) ? null : 'Hostnames may only contain alphanumeric characters, hyphens or dots';
    case 'proc-title-template': {
      const unixsocket = ctx.current('unixsocket');
      return validProcTitleTemplate(value, typeof unixsocket === 'string' ? unixsocket : '')
        ? null
        : 'template format is invalid or contains unknown variables';
    }
    default:
      return null;
  }
}

/**
 * Expands the template as Redis does at load time (title "") and requires a
 * non-blank result. Every variable but {title} and {unixsocket} expands to
 * something non-empty in a sentinel.
 */
function validProcTitleTemplate(template: string, unixsocket: string): boolean {
  const known = new Map<string, string>([
    ['title', ''],
    ['listen-addr', 'x'],
    ['server-mode', '[sentinel]'],
    ['config-file', 'x'],
    ['port', '0'],
    ['tls-port', '0'],
    ['unixsocket', unixsocket],
  ]);
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open === -1) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    if (open + 1 >= template.length) return false;
    if (template[open + 1] === '{') {
      out += '{';
      i = open + 2;
      continue;
    }
    const close = template.indexOf('}', open + 1);
    if (close === -1) return false;
    const value = known.get(template.slice(open + 1, close));
    if (value === undefined) return false;
    out += value;
    i = close + 1;
  }
  return out.replace(/^ +| +$/g, '') !== '';
}

function setEnum(spec: EnumSpec, args: string[]): SetResult {
  const value = enumValue(spec, args);
  if (value === null) {
    const message = `argument(s) must be one of the following: ${spec.values.map((c) => c.name).join(', ')}`;
    return fail(message.slice(0, 255));
  }
  if (spec.check === 'shutdown-flags' && value & SHUTDOWN_SAVE && value & SHUTDOWN_NOSAVE) {
    return fail("shutdown options SAVE and NOSAVE can't be used simultaneously");
  }
  return ok(value);
}

function enumValue(spec: EnumSpec, args: string[]): number | null {
  if (args.length === 0 || (!spec.multiArg && args.length !== 1)) return null;
  let value = 0;
  for (const arg of args) {
    const matches = spec.values.filter((c) => c.name.toLowerCase() === arg.toLowerCase());
    if (matches.length === 0) return null;
    for (const m of matches) value |= m.value;
  }
  return value;
}

/** The names Redis prints for an enum value (`unknown` when it cannot). */
export function enumName(spec: EnumSpec, value: number): string {
  const exact = spec.values.find((c) => c.value === value);
  if (exact) return exact.name;
  if (!spec.multiArg) return 'unknown';
  const names: string[] = [];
  let unmatched = value;
  for (const c of spec.values) {
    if (c.value !== 0 && (unmatched & c.value) === c.value) {
      names.push(c.name);
      unmatched &= ~c.value;
    }
  }
  return names.length === 0 || unmatched !== 0 ? 'unknown' : names.join(' ');
}

const UNSIGNED: ReadonlySet<CType> = new Set(['ulonglong', 'uint', 'size_t']);

function setNumeric(spec: NumericSpec, text: string): SetResult {
  const parsed = parseNumeric(spec, text);
  if (typeof parsed === 'string') return fail(parsed);
  if (UNSIGNED.has(spec.ctype)) {
    const u = BigInt.asUintN(64, parsed);
    if (u > BigInt.asUintN(64, spec.max) || u < BigInt.asUintN(64, spec.min)) {
      const [lo, hi] = spec.format === 'octal' ? [spec.min.toString(8), spec.max.toString(8)] : [spec.min, spec.max];
      return fail(`argument must be between ${lo} and ${hi} inclusive`);
    }
  } else if (spec.format === 'memory-percent' && parsed < 0n) {
    if (parsed < spec.min) return fail(`percentage argument must be less or equal to ${-spec.min}`);
  } else if (parsed > spec.max || parsed < spec.min) {
    return fail(`argument must be between ${spec.min} and ${spec.max} inclusive`);
  }
  return ok(storeAs(spec.ctype, parsed));
}

/** The value after a round trip through the C field (truncation), read back as a long long. */
function storeAs(ctype: CType, value: bigint): bigint {
  switch (ctype) {
    case 'int':
      return BigInt.asIntN(32, value);
    case 'uint':
      return BigInt.asUintN(32, value);
    default:
      return BigInt.asIntN(64, value);
  }
}

/** A long long, or the error text. */
function parseNumeric(spec: NumericSpec, text: string): bigint | string {
  if (spec.format === 'memory' || spec.format === 'memory-percent') {
    const bytes = memtoull(text);
    if (bytes !== null) return BigInt.asIntN(64, bytes);
  }
  if (spec.format === 'memory-percent' && text.length > 1 && text.endsWith('%')) {
    const pct = string2ll(text.slice(0, -1));
    // Percentages are stored as negative numbers.
    if (pct !== null && pct >= 0n) return -pct;
  }
  if (spec.format === 'octal') {
    const r = strtoll(text, 8);
    const endsAtEnd = r.end === text.length || (r.end === 0 && text.length === 0);
    if (!r.overflow && endsAtEnd) return r.value;
  }
  if (spec.format === 'integer') {
    const n = string2ll(text);
    if (n !== null) return n;
  }
  switch (spec.format) {
    case 'memory-percent':
      return 'argument must be a memory or percent value';
    case 'memory':
      return 'argument must be a memory value';
    case 'octal':
      return "argument couldn't be parsed as an octal number";
    default:
      return "argument couldn't be parsed into an integer";
  }
}

/** strtoll(s, &end, 10) with nothing left over. */
function strictStrtoll(s: string): bigint | null {
  const r = strtoll(s);
  return r.end === s.length || (r.end === 0 && s.length === 0) ? r.value : null;
}

function setSpecial(name: string, args: string[], ctx: SetContext): SetResult {
  switch (name) {
    case 'dir': {
      if (args.length !== 1) return fail('wrong number of arguments');
      const error = ctx.chdir(args[0]!);
      return error === null ? ok(args[0]!) : fail(error);
    }
    case 'save':
      return setSave(args, ctx);
    case 'client-output-buffer-limit':
      return setObufLimits(args, ctx.current(name) as ObufLimits);
    case 'oom-score-adj-values': {
      if (args.length !== 3) return fail('wrong number of arguments');
      const values: number[] = [];
      for (const a of args) {
        const v = strictStrtoll(a);
        if (v === null || v < -2000n || v > 2000n) {
          return fail('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
        }
        values.push(Number(v));
      }
      return ok(values);
    }
    case 'notify-keyspace-events': {
      if (args.length !== 1) return fail('wrong number of arguments');
      const flags = keyspaceEventsFlags(args[0]!);
      return flags === null ? fail("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.") : ok(flags);
    }
    case 'bind': {
      if (args.length > 16) return fail('Too many bind addresses specified.');
      return ok(args.length === 1 && args[0] === '' ? [] : [...args]);
    }
    case 'replicaof': {
      if (args.length !== 2) return fail('wrong number of arguments');
      if (args[0]!.toLowerCase() === 'no' && args[1]!.toLowerCase() === 'one') return ok(null);
      const r = strtoll(args[1]!);
      const complete = r.end === args[1]!.length || (r.end === 0 && args[1] === '');
      const port = BigInt.asIntN(32, r.value);
      if (!complete || port < 0n || port > 65535n) return fail('Invalid master port');
      return ok({ host: args[0]!, port: Number(port) });
    }
    case 'latency-tracking-info-percentiles': {
      if (args.length === 1 && args[0] === '') return ok([]);
      const values: number[] = [];
      for (const a of args) {
        const v = string2d(a);
        if (v === null) return fail('Invalid latency-tracking-info-percentiles parameters');
        if (v > 100 || v < 0) return fail('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
        values.push(v);
      }
      return ok(values);
    }
    default:
      return fail('Bad directive or wrong number of arguments');
  }
}

function setSave(args: string[], ctx: SetContext): SetResult {
  const pairs = args.length === 1 && args[0] === '' ? [] : args;
  if (pairs.length % 2 === 1) return fail('Invalid save parameters');
  const parsed: bigint[] = [];
  for (let j = 0; j < pairs.length; j++) {
    const v = strictStrtoll(pairs[j]!);
    if (v === null || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) return fail('Invalid save parameters');
    parsed.push(v);
  }
  const base = ctx.saveSeen ? (ctx.current('save') as SaveParam[]) : [];
  ctx.saveSeen = true;
  const added: SaveParam[] = [];
  for (let j = 0; j < parsed.length; j += 2) {
    added.push({ seconds: parsed[j]!, changes: Number(BigInt.asIntN(32, parsed[j + 1]!)) });
  }
  return ok([...base, ...added]);
}

function setObufLimits(args: string[], current: ObufLimits): SetResult {
  if (args.length % 4 !== 0) return fail('Wrong number of arguments in buffer limit configuration.');
  const next = structuredClone(current);
  for (let j = 0; j < args.length; j += 4) {
    const cls = obufClass(args[j]!);
    if (cls === null) return fail('Invalid client class specified in buffer limit configuration.');
    const hard = memtoull(args[j + 1]!);
    const soft = memtoull(args[j + 2]!);
    const seconds = strtoll(args[j + 3]!);
    const secondsText = args[j + 3]!;
    const secondsComplete = seconds.end === secondsText.length || (seconds.end === 0 && secondsText === '');
    const secondsInt = Number(BigInt.asIntN(32, seconds.value));
    if (hard === null || soft === null || secondsInt < 0 || !secondsComplete) {
      return fail('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    next[cls] = { hard, soft, seconds: secondsInt };
  }
  return ok(next);
}

function obufClass(name: string): ObufClass | null {
  switch (name.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'replica';
    case 'pubsub':
      return 'pubsub';
    default:
      return null;
  }
}

export const KEYSPACE_FLAGS = new Map<string, number>([
  ['g', 1 << 2],
  ['$', 1 << 3],
  ['l', 1 << 4],
  ['s', 1 << 5],
  ['h', 1 << 6],
  ['z', 1 << 7],
  ['x', 1 << 8],
  ['e', 1 << 9],
  ['t', 1 << 10],
  ['d', 1 << 13],
  ['n', 1 << 14],
  ['K', 1 << 0],
  ['E', 1 << 1],
  ['m', 1 << 11],
]);
export const NOTIFY_ALL = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 13);

function keyspaceEventsFlags(classes: string): number | null {
  let flags = 0;
  for (const c of classes) {
    const flag = c === 'A' ? NOTIFY_ALL : KEYSPACE_FLAGS.get(c);
    if (flag === undefined) return null;
    flags |= flag;
  }
  return flags;
}
