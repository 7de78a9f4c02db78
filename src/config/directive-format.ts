/**
 * Printing a directive's value back the way CONFIG REWRITE does: yes/no,
 * sdscatrepr-quoted strings, gb/mb/kb sizes, percentages, octal, enum names.
 */
import type { DirectiveSpec, NumericSpec } from './directives.js';
import type { DirectiveValue, ObufLimits, ReplicaOf, SaveParam } from './directive-values.js';
import { DEFAULT_BIND, enumName, KEYSPACE_FLAGS, NOTIFY_ALL, OBUF_CLASSES, OBUF_DEFAULTS, OOM_DEFAULTS } from './directive-values.js';
import { formatTrimmedDouble } from './c-numbers.js';
import { quoteRepr } from './split-args.js';

function keyspaceEventsString(flags: number): string {
  let out = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out += 'A';
  else for (const c of 'g$lshzxetdn') if (flags & KEYSPACE_FLAGS.get(c)!) out += c;
  for (const c of 'KEm') if (flags & KEYSPACE_FLAGS.get(c)!) out += c;
  return out;
}

/** Redis's rewriteConfigFormatMemory: gb/mb/kb when the (signed) value divides exactly. */
export function formatMemory(bytes: bigint): string {
  const signed = BigInt.asIntN(64, bytes);
  const units: Array<[bigint, string]> = [
    [1n << 30n, 'gb'],
    [1n << 20n, 'mb'],
    [1n << 10n, 'kb'],
  ];
  if (signed !== 0n) {
    for (const [size, suffix] of units) if (signed % size === 0n) return `${signed / size}${suffix}`;
  }
  return signed.toString();
}

/** One line a rewrite offers for a directive, and whether it must be appended when the file has none. */
export interface RewriteLine {
  text: string;
  force: boolean;
}

/**
 * The lines CONFIG REWRITE produces for a directive's value, or null when the
 * directive is only "marked processed" (which blanks any line it had).
 * `cwd` is what `dir` writes.
 */
export function rewriteLines(spec: DirectiveSpec, value: DirectiveValue, cwd: string): RewriteLine[] | null {
  const name = spec.name;
  switch (spec.kind) {
    case 'bool':
      return [{ text: `${name} ${value ? 'yes' : 'no'}`, force: value !== spec.default }];
    case 'string':
      if (value === null) return null;
      return [{ text: `${name} ${quoteRepr(value as string)}`, force: !(spec.default !== null && value === spec.default) }];
    case 'enum':
      return [{ text: `${name} ${enumName(spec, value as number)}`, force: value !== spec.default }];
    case 'numeric':
      return [numericLine(spec, value as bigint)];
    case 'special':
      return specialLines(name, value, cwd);
  }
}

function numericLine(spec: NumericSpec, value: bigint): RewriteLine {
  const name = spec.name;
  if (spec.format === 'memory-percent' && value < 0n) return { text: `${name} ${-value}%`, force: -value !== spec.default };
  if (spec.format === 'memory' || spec.format === 'memory-percent') {
    return { text: `${name} ${formatMemory(value)}`, force: value !== spec.default };
  }
  if (spec.format === 'octal') return { text: `${name} ${BigInt.asUintN(64, value).toString(8)}`, force: value !== spec.default };
  return { text: `${name} ${value}`, force: value !== spec.default };
}

function specialLines(name: string, value: DirectiveValue, cwd: string): RewriteLine[] | null {
  switch (name) {
    case 'dir':
      return [{ text: `dir ${quoteRepr(cwd)}`, force: true }];
    case 'save':
      // A sentinel never writes save points; old `save` lines are blanked.
      return null;
    case 'client-output-buffer-limit': {
      const limits = value as ObufLimits;
      return OBUF_CLASSES.map((cls) => {
        const l = limits[cls];
        const d = OBUF_DEFAULTS[cls];
        return {
          text: `${name} ${cls} ${formatMemory(l.hard)} ${formatMemory(l.soft)} ${l.seconds}`,
          force: l.hard !== d.hard || l.soft !== d.soft || l.seconds !== d.seconds,
        };
      });
    }
    case 'oom-score-adj-values': {
      const values = value as number[];
      return [{ text: `${name} ${values.join(' ')}`, force: values.some((v, i) => v !== OOM_DEFAULTS[i]) }];
    }
    case 'notify-keyspace-events':
      return [{ text: `${name} ${quoteRepr(keyspaceEventsString(value as number))}`, force: value !== 0 }];
    case 'bind': {
      const addrs = value as string[];
      const isDefault = addrs.length === DEFAULT_BIND.length && addrs.every((a, i) => a === DEFAULT_BIND[i]);
      if (isDefault) return null;
      return [{ text: `${name} ${addrs.length > 0 ? addrs.join(' ') : '""'}`, force: true }];
    }
    case 'replicaof': {
      const r = value as ReplicaOf | null;
      return r === null ? null : [{ text: `${name} ${r.host} ${r.port}`, force: true }];
    }
    case 'latency-tracking-info-percentiles': {
      const values = value as number[];
      const text = values.length === 0 ? `${name} ""` : `${name} ${values.map(formatTrimmedDouble).join(' ')}`;
      return [{ text, force: true }];
    }
    default:
      return null;
  }
}

/** Arguments that set a merged special value from scratch (how `other` keeps save and output buffer limits). */
export function mergedArgs(name: string, value: DirectiveValue): string[] | null {
  if (name === 'client-output-buffer-limit') {
    const limits = value as ObufLimits;
    return OBUF_CLASSES.flatMap((cls) => [cls, `${limits[cls].hard}`, `${limits[cls].soft}`, `${limits[cls].seconds}`]);
  }
  if (name === 'save') {
    const params = value as SaveParam[];
    return params.length === 0 ? [''] : params.flatMap((p) => [`${p.seconds}`, `${p.changes}`]);
  }
  return null;
}
