import { ByteQueue, parseStrictInteger } from './byte-queue.js';

/**
 * A decoded reply that keeps its wire type, so that a bulk "6379" and an integer 6379,
 * or a RESP2 `$-1` and `*-1`, stay distinguishable.
 */
export type RespValue =
  | { type: 'simple'; value: string }
  /** `blob` marks a RESP3 `!` blob error; absent for the usual `-` line. */
  | { type: 'error'; value: string; blob?: true }
  /** A number when it fits exactly, a bigint beyond 2^53. */
  | { type: 'integer'; value: number | bigint }
  | { type: 'bulk'; value: Buffer }
  /** `wire` says which null was sent: RESP2 `$-1` (bulk), RESP2 `*-1` (array) or RESP3 `_`. */
  | { type: 'null'; wire: 'bulk' | 'array' | 'null' }
  | { type: 'array'; items: RespValue[] }
  | { type: 'map'; entries: Array<[RespValue, RespValue]> }
  | { type: 'set'; items: RespValue[] }
  | { type: 'push'; items: RespValue[] }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'verbatim'; format: string; value: Buffer }
  | { type: 'bignum'; value: bigint }
  /** A RESP3 attribute (`|`) and the reply it annotates. */
  | { type: 'attribute'; attributes: Array<[RespValue, RespValue]>; value: RespValue };

export class ReplyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyParseError';
  }
}

type AggregateKind = 'array' | 'map' | 'set' | 'push' | 'attribute';

interface Frame {
  kind: AggregateKind | 'annotated';
  /** Elements still expected: two per map or attribute entry. */
  remaining: number;
  items: RespValue[];
  attributes?: Array<[RespValue, RespValue]>;
}

const CRLF = Buffer.from('\r\n');

export interface ReplyParserOptions {
  /** See ByteQueue. */
  retainBytes?: number;
  /** A reply whose bytes, received or announced, exceed this is malformed. */
  maxReplyBytes?: number;
  /** Aggregates nested deeper than this are malformed. */
  maxDepth?: number;
  /** An aggregate announcing more elements than this is malformed. */
  maxElements?: number;
  /** Integers as hiredis reads them (string2ll: canonical, within 64 bits); any other is malformed. */
  strictIntegers?: boolean;
}

/**
 * Client-side streaming decoder of RESP2 and RESP3 replies. Feed it bytes as they
 * arrive; next() returns each complete top-level reply in order, or undefined until
 * more bytes arrive. Aggregates are built incrementally, so a large reply fed one byte
 * at a time is decoded in linear time. Malformed input throws ReplyParseError, and
 * the parser stays failed.
 */
export class ReplyParser {
  private readonly input: ByteQueue;
  private readonly stack: Frame[] = [];
  /** Header of a length-prefixed payload whose bytes have not all arrived. */
  private pendingBlob: { marker: string; length: number } | null = null;
  private scanned = 0;
  private failure: ReplyParseError | null = null;
  /** Bytes of the current top-level reply already decoded. */
  private replyBytes = 0;
  private readonly maxReplyBytes: number;
  private readonly maxDepth: number;
  private readonly maxElements: number;
  private readonly strictIntegers: boolean;

  constructor(options: ReplyParserOptions = {}) {
    this.input = new ByteQueue(options.retainBytes);
    this.maxReplyBytes = options.maxReplyBytes ?? Infinity;
    this.maxDepth = options.maxDepth ?? Infinity;
    this.maxElements = options.maxElements ?? Infinity;
    this.strictIntegers = options.strictIntegers ?? false;
  }

  feed(chunk: Buffer): void {
    if (this.failure === null) this.input.push(chunk);
  }

  /** Bytes received and not yet decoded. */
  get bufferedBytes(): number {
    return this.input.length;
  }

  /** True while a reply has begun but is not complete (its decoded part is not counted in bufferedBytes). */
  get midReply(): boolean {
    return this.input.length > 0 || this.stack.length > 0 || this.pendingBlob !== null;
  }

  next(): RespValue | undefined {
    if (this.failure !== null) throw this.failure;
    try {
      return this.parse();
    } catch (e) {
      if (e instanceof ReplyParseError) {
        this.failure = e;
        this.input.clear();
      }
      throw e;
    }
  }

  private parse(): RespValue | undefined {
    for (;;) {
      const before = this.input.length;
      const value = this.readElement();
      this.replyBytes += before - this.input.length;
      // Undecided bytes count only while the reply they continue is still incomplete.
      if (this.replyBytes + (value === undefined ? this.input.length : 0) > this.maxReplyBytes) {
        throw new ReplyParseError(`reply longer than ${this.maxReplyBytes} bytes`);
      }
      if (value === undefined) return undefined;
      if (this.stack.length > this.maxDepth) throw new ReplyParseError(`reply nested deeper than ${this.maxDepth}`);
      const complete = this.attach(value);
      if (complete !== undefined) {
        this.replyBytes = 0;
        return complete;
      }
    }
  }

  /** Adds an element to the innermost open aggregate; returns the top-level reply once it is whole. */
  private attach(element: RespValue | 'opened'): RespValue | undefined {
    let value: RespValue | 'opened' = element;
    for (;;) {
      if (value === 'opened') {
        const top = this.stack[this.stack.length - 1];
        if (top.remaining > 0) return undefined;
        this.stack.pop();
        value = this.close(top);
        if (value === 'opened') continue;
      }
      const parent = this.stack[this.stack.length - 1];
      if (parent === undefined) return value;
      parent.items.push(value);
      parent.remaining--;
      if (parent.remaining > 0) return undefined;
      this.stack.pop();
      value = this.close(parent);
    }
  }

  /** Turns a filled frame into its value; an attribute opens a frame for the value it annotates. */
  private close(frame: Frame): RespValue | 'opened' {
    switch (frame.kind) {
      case 'array':
      case 'set':
      case 'push':
        return { type: frame.kind, items: frame.items };
      case 'map':
        return { type: 'map', entries: pairs(frame.items) };
      case 'attribute':
        this.stack.push({ kind: 'annotated', remaining: 1, items: [], attributes: pairs(frame.items) });
        return 'opened';
      case 'annotated':
        return { type: 'attribute', attributes: frame.attributes ?? [], value: frame.items[0] };
    }
  }

  /** One scalar, or 'opened' after an aggregate header; undefined when incomplete. */
  private readElement(): RespValue | 'opened' | undefined {
    if (this.pendingBlob !== null) return this.readBlob(this.pendingBlob);
    const lineEnd = this.input.indexOfSequence(CRLF, this.scanned);
    if (lineEnd === -1) {
      this.scanned = Math.max(0, this.input.length - 1);
      return undefined;
    }
    const marker = String.fromCharCode(this.input.byteAt(0));
    const line = this.input.text(1, lineEnd, 'utf8');
    this.input.consume(lineEnd + 2);
    this.scanned = 0;
    switch (marker) {
      case '+':
        return { type: 'simple', value: line };
      case '-':
        return { type: 'error', value: line };
      case ':':
        return { type: 'integer', value: narrow(this.strictIntegers ? hiredisInteger(line) : parseInteger(line, 'integer')) };
      case '(':
        return { type: 'bignum', value: parseInteger(line, 'big number') };
      case ',':
        return { type: 'double', value: parseDouble(line) };
      case '#':
        if (line === 't' || line === 'f') return { type: 'boolean', value: line === 't' };
        throw new ReplyParseError(`invalid boolean '${line}'`);
      case '_':
        if (line !== '') throw new ReplyParseError('invalid null');
        return { type: 'null', wire: 'null' };
      case '$':
      case '=':
      case '!': {
        const length = parseLength(line);
        if (length === -1 && marker === '$') return { type: 'null', wire: 'bulk' };
        if (length < 0) throw new ReplyParseError(`invalid length '${line}'`);
        if (this.replyBytes + lineEnd + 2 + length > this.maxReplyBytes) throw new ReplyParseError(`reply longer than ${this.maxReplyBytes} bytes`);
        this.pendingBlob = { marker, length };
        return this.readBlob(this.pendingBlob);
      }
      case '*':
      case '%':
      case '~':
      case '>':
      case '|': {
        const count = parseLength(line);
        if (count === -1 && marker === '*') return { type: 'null', wire: 'array' };
        if (count < 0) throw new ReplyParseError(`invalid aggregate length '${line}'`);
        if (count > this.maxElements) throw new ReplyParseError(`aggregate of ${count} elements`);
        const kind = AGGREGATES[marker];
        const perEntry = kind === 'map' || kind === 'attribute' ? 2 : 1;
        this.stack.push({ kind, remaining: count * perEntry, items: [] });
        return 'opened';
      }
      default:
        throw new ReplyParseError(`unknown reply type byte 0x${this.hex(marker)}`);
    }
  }

  private readBlob(blob: { marker: string; length: number }): RespValue | undefined {
    if (this.input.length < blob.length + 2) return undefined;
    if (this.input.byteAt(blob.length) !== 0x0d || this.input.byteAt(blob.length + 1) !== 0x0a) {
      throw new ReplyParseError('payload not followed by CRLF');
    }
    const payload = this.input.copy(0, blob.length);
    this.input.consume(blob.length + 2);
    this.pendingBlob = null;
    if (blob.marker === '$') return { type: 'bulk', value: payload };
    if (blob.marker === '!') return { type: 'error', value: payload.toString('utf8'), blob: true };
    if (payload.length < 4 || payload[3] !== 0x3a) throw new ReplyParseError('verbatim string without a format');
    return { type: 'verbatim', format: payload.toString('latin1', 0, 3), value: payload.subarray(4) };
  }

  private hex(marker: string): string {
    return marker.charCodeAt(0).toString(16).padStart(2, '0');
  }
}

const AGGREGATES: Record<string, AggregateKind> = { '*': 'array', '%': 'map', '~': 'set', '>': 'push', '|': 'attribute' };

/** Every complete reply in `bytes`; throws if anything is left over or malformed. */
export function parseReplies(bytes: Buffer): RespValue[] {
  const parser = new ReplyParser();
  parser.feed(bytes);
  const values: RespValue[] = [];
  for (let v = parser.next(); v !== undefined; v = parser.next()) values.push(v);
  if (parser.midReply) throw new ReplyParseError('bytes left after the last complete reply');
  return values;
}

function pairs(items: RespValue[]): Array<[RespValue, RespValue]> {
  const out: Array<[RespValue, RespValue]> = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i], items[i + 1]]);
  return out;
}

function parseInteger(text: string, what: string): bigint {
  if (!/^[-+]?[0-9]+$/.test(text)) throw new ReplyParseError(`invalid ${what} '${text}'`);
  return BigInt(text);
}

function hiredisInteger(text: string): bigint {
  const value = parseStrictInteger(text);
  if (value === null) throw new ReplyParseError(`Bad integer value '${text}'`);
  return value;
}

function narrow(value: bigint): number | bigint {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

function parseLength(text: string): number {
  if (!/^-?[0-9]+$/.test(text)) throw new ReplyParseError(`invalid length '${text}'`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ReplyParseError(`invalid length '${text}'`);
  return n;
}

function parseDouble(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan' || lower === '-nan') return NaN;
  if (!/^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) throw new ReplyParseError(`invalid double '${text}'`);
  return Number(text);
}
