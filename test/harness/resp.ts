import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A decoded RESP2/RESP3 reply as the tests see it. The three nulls are kept
 * apart because a client can tell `$-1`, `*-1` and `_` from each other.
 */
export type RespValue =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: bigint }
  | { type: 'bulk'; value: string }
  | { type: 'verbatim'; format: string; value: string }
  | { type: 'double'; value: string }
  | { type: 'big-number'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null-bulk' }
  | { type: 'null-array' }
  | { type: 'null' }
  | { type: 'array'; items: RespValue[] }
  | { type: 'set'; items: RespValue[] }
  | { type: 'push'; items: RespValue[] }
  | { type: 'map'; entries: Array<[RespValue, RespValue]> }
  /** A RESP3 `|` attribute and the reply it annotates. */
  | { type: 'attribute'; attributes: Array<[RespValue, RespValue]>; value: RespValue };

export class RespProtocolError extends Error {}

interface Decoded {
  value: RespValue;
  end: number;
}

/**
 * Decodes one complete frame starting at `offset`, or returns undefined when
 * the buffer does not hold a whole frame yet. Independent of the daemon's own
 * parser so that framing (which bytes belong to which reply) is never in doubt.
 */
export function decodeFrame(buf: Buffer, offset = 0): Decoded | undefined {
  if (offset >= buf.length) return undefined;
  const lineEnd = buf.indexOf('\r\n', offset + 1, 'latin1');
  if (lineEnd < 0) return undefined;
  const marker = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (marker) {
    case '+':
      return { value: { type: 'simple', value: line }, end: next };
    case '-':
      return { value: { type: 'error', value: line }, end: next };
    case ':':
      return { value: { type: 'integer', value: parseInteger(line) }, end: next };
    case ',':
      return { value: { type: 'double', value: line }, end: next };
    case '(':
      return { value: { type: 'big-number', value: line }, end: next };
    case '#':
      if (line !== 't' && line !== 'f') throw new RespProtocolError(`bad boolean '${line}'`);
      return { value: { type: 'boolean', value: line === 't' }, end: next };
    case '_':
      return { value: { type: 'null' }, end: next };
    case '$':
    case '=':
    case '!': {
      const length = Number(parseInteger(line));
      if (length === -1 && marker === '$') return { value: { type: 'null-bulk' }, end: next };
      if (length < 0) throw new RespProtocolError(`bad length '${line}'`);
      if (buf.length < next + length + 2) return undefined;
      const body = buf.toString('utf8', next, next + length);
      const end = next + length + 2;
      if (marker === '!') return { value: { type: 'error', value: body }, end };
      if (marker === '=') {
        return { value: { type: 'verbatim', format: body.slice(0, 3), value: body.slice(4) }, end };
      }
      return { value: { type: 'bulk', value: body }, end };
    }
    case '*':
    case '~':
    case '>': {
      const count = Number(parseInteger(line));
      if (count === -1 && marker === '*') return { value: { type: 'null-array' }, end: next };
      const items = decodeSequence(buf, next, count);
      if (!items) return undefined;
      const type = marker === '*' ? 'array' : marker === '~' ? 'set' : 'push';
      return { value: { type, items: items.values }, end: items.end };
    }
    case '%':
    case '|': {
      const count = Number(parseInteger(line));
      const items = decodeSequence(buf, next, count * 2);
      if (!items) return undefined;
      const entries: Array<[RespValue, RespValue]> = [];
      for (let i = 0; i < items.values.length; i += 2) entries.push([items.values[i], items.values[i + 1]]);
      if (marker === '%') return { value: { type: 'map', entries }, end: items.end };
      const annotated = decodeFrame(buf, items.end);
      if (!annotated) return undefined;
      return { value: { type: 'attribute', attributes: entries, value: annotated.value }, end: annotated.end };
    }
    default:
      throw new RespProtocolError(`unknown RESP type byte 0x${buf[offset].toString(16)}`);
  }
}

function decodeSequence(buf: Buffer, start: number, count: number): { values: RespValue[]; end: number } | undefined {
  if (!Number.isInteger(count) || count < 0) throw new RespProtocolError(`bad aggregate length ${count}`);
  const values: RespValue[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    const item = decodeFrame(buf, at);
    if (!item) return undefined;
    values.push(item.value);
    at = item.end;
  }
  return { values, end: at };
}

function parseInteger(text: string): bigint {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`bad integer '${text}'`);
  return BigInt(text);
}

/** Encodes a command as a RESP multibulk, the way every client sends it. */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** The interface src/resp/reply-parser.ts is specified to export. */
interface ProjectReplyParser {
  feed(bytes: Buffer): void;
  next(): unknown;
}
type ProjectReplyParserClass = new () => ProjectReplyParser;

// Next to this file's own kind: the .ts source under vitest, the compiled .js under dist/.
const projectParserPath = fileURLToPath(
  new URL(`../../src/resp/reply-parser${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);
let projectParserClass: Promise<ProjectReplyParserClass | undefined> | undefined;

/**
 * The project's ReplyParser when src/resp/reply-parser.ts exists (and
 * HARNESS_RESP_PARSER is not `harness`); otherwise undefined and the harness
 * decoder gives the values. A parser that exists but fails to load is an error,
 * not a silent fallback.
 */
export function loadProjectReplyParser(): Promise<ProjectReplyParserClass | undefined> {
  projectParserClass ??= (async () => {
    if (process.env.HARNESS_RESP_PARSER === 'harness' || !existsSync(projectParserPath)) return undefined;
    const mod = (await import(pathToFileURL(projectParserPath).href)) as { ReplyParser?: ProjectReplyParserClass };
    if (typeof mod.ReplyParser !== 'function') {
      throw new Error(`${projectParserPath} does not export class ReplyParser`);
    }
    return mod.ReplyParser;
  })();
  return projectParserClass;
}

/**
 * Splits a byte stream into replies: the harness decoder finds each frame's
 * exact bytes, and the project's parser (when present) is fed exactly those
 * bytes and must produce exactly one value for them.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly project: ProjectReplyParser | undefined;

  constructor(projectClass: ProjectReplyParserClass | undefined) {
    this.project = projectClass ? new projectClass() : undefined;
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): { bytes: Buffer; value: RespValue } | undefined {
    const decoded = decodeFrame(this.pending, 0);
    if (!decoded) return undefined;
    const bytes = this.pending.subarray(0, decoded.end);
    this.pending = this.pending.subarray(decoded.end);
    if (!this.project) return { bytes, value: decoded.value };
    this.project.feed(Buffer.from(bytes));
    const produced = this.project.next();
    if (produced === undefined) {
      throw new RespProtocolError(`src/resp ReplyParser produced nothing for a complete frame: ${JSON.stringify(bytes.toString('latin1'))}`);
    }
    return { bytes, value: fromProjectValue(produced) };
  }
}

/**
 * Converts a value of the project's parser (src/resp/reply-parser.ts: bulk
 * payloads as Buffers, one `null` type with a `wire` field) into RespValue.
 */
export function fromProjectValue(value: unknown): RespValue {
  const v = value as {
    type?: unknown;
    value?: unknown;
    items?: unknown;
    entries?: unknown;
    format?: unknown;
    wire?: unknown;
    attributes?: unknown;
  };
  const text = (x: unknown): string => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x));
  const pairs = (x: unknown): Array<[RespValue, RespValue]> =>
    (x as Array<[unknown, unknown]>).map(([k, y]) => [fromProjectValue(k), fromProjectValue(y)]);
  switch (v?.type) {
    case 'simple':
    case 'error':
    case 'bulk':
      return { type: v.type, value: text(v.value) };
    case 'integer':
      return { type: 'integer', value: BigInt(v.value as number | bigint | string) };
    case 'double':
      return { type: 'double', value: text(v.value) };
    case 'bignum':
    case 'big-number':
      return { type: 'big-number', value: text(v.value) };
    case 'boolean':
      return { type: 'boolean', value: Boolean(v.value) };
    case 'verbatim':
      return { type: 'verbatim', format: text(v.format), value: text(v.value) };
    case 'null':
      if (v.wire === 'bulk') return { type: 'null-bulk' };
      if (v.wire === 'array') return { type: 'null-array' };
      return { type: 'null' };
    case 'array':
    case 'set':
    case 'push':
      return { type: v.type, items: (v.items as unknown[]).map(fromProjectValue) };
    case 'map':
      return { type: 'map', entries: pairs(v.entries) };
    case 'attribute':
      return { type: 'attribute', attributes: pairs(v.attributes), value: fromProjectValue(v.value) };
    default:
      throw new RespProtocolError(
        `unexpected value from src/resp ReplyParser: ${JSON.stringify(value, (_, x) => (typeof x === 'bigint' ? String(x) : x))}`,
      );
  }
}

/** A short human-readable rendering, one line, for assertion messages. */
export function showResp(value: RespValue): string {
  switch (value.type) {
    case 'simple':
      return `+${value.value}`;
    case 'error':
      return `-${value.value}`;
    case 'integer':
      return `:${value.value}`;
    case 'bulk':
      return JSON.stringify(value.value);
    case 'verbatim':
      return `=${value.format}:${JSON.stringify(value.value)}`;
    case 'double':
      return `,${value.value}`;
    case 'big-number':
      return `(${value.value}`;
    case 'boolean':
      return value.value ? '#t' : '#f';
    case 'null-bulk':
      return '$-1';
    case 'null-array':
      return '*-1';
    case 'null':
      return '_';
    case 'array':
    case 'set':
    case 'push': {
      const open = { array: '[', set: '~[', push: '>[' }[value.type];
      return `${open}${value.items.map(showResp).join(', ')}]`;
    }
    case 'map':
      return `{${value.entries.map(([k, v]) => `${showResp(k)}: ${showResp(v)}`).join(', ')}}`;
    case 'attribute':
      return `|{${value.attributes.map(([k, v]) => `${showResp(k)}: ${showResp(v)}`).join(', ')}} ${showResp(value.value)}`;
  }
}
