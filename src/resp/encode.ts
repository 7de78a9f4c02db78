import { encodeBytes, encodedLength, escapesSeen } from './byte-text.js';
import { nullArray, nullBulk, ok, StringPairsMap, type Reply } from './reply.js';

const CRLF = '\r\n';

/**
 * Turns a Reply into the bytes redis-server 7.0 would send to a client speaking
 * `protocol`. RESP2 has no map, set, push, null, double or boolean type, so those
 * fall back to what Redis sends instead (flat array, array, `$-1`/`*-1`, bulk, integer).
 */
export function encodeReply(reply: Reply, protocol: 2 | 3): Buffer {
  if (reply.type === 'raw') return reply.bytes;
  const cache = protocol === 2 ? ENCODED_RESP2 : ENCODED_RESP3;
  const cached = cache.get(reply);
  if (cached !== undefined) return cached;
  const text = textOf(reply, protocol);
  const bytes = text !== null ? encodeBytes(text) : encodeMixed(reply, protocol);
  if (PREENCODED.has(reply)) cache.set(reply, bytes);
  return bytes;
}

/**
 * The reply's bytes for a socket write: the encoded bytes of a constant or raw reply, else the
 * text of a text-only reply (the socket encodes it as UTF-8 without a Buffer of our own), else
 * the bytes.
 */
export function encodeForWrite(reply: Reply, protocol: 2 | 3, size: WriteSize): string | Buffer {
  if (reply.type !== 'raw' && !PREENCODED.has(reply)) {
    extraBytes = 0;
    const text = textOf(reply, protocol);
    if (text !== null) {
      size.bytes = text.length + extraBytes;
      // Text that came as bytes other than UTF-8 goes back as those bytes.
      return escapesSeen ? encodeBytes(text) : text;
    }
  }
  const bytes = encodeReply(reply, protocol);
  size.bytes = bytes.length;
  return bytes;
}

/** Where encodeForWrite tells how many bytes its result is on the wire. */
export interface WriteSize {
  bytes: number;
}

const SCAN_MAX = 64;

/** While textOf runs: the bytes its text takes on the wire beyond one per character (non-ASCII text). */
let extraBytes = 0;

/** The UTF-8 length of a text; non-ASCII text adds its excess to extraBytes. */
function utf8Length(text: string): number {
  // A long text (INFO) is measured natively; the scan only pays on the short values of most replies.
  if (text.length > SCAN_MAX) {
    const bytes = encodedLength(text);
    extraBytes += bytes - text.length;
    return bytes;
  }
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      const bytes = encodedLength(text);
      extraBytes += bytes - text.length;
      return bytes;
    }
  }
  return text.length;
}

/** A line of text as it is, its non-ASCII excess counted. */
function counted(text: string): string {
  utf8Length(text);
  return text;
}

/**
 * Marks a reply that never changes (a constant, or one kept while the state it shows holds):
 * its bytes are encoded once per protocol and reused. The reply is frozen, deeply, so that
 * nothing can change it behind the cached bytes.
 */
export function preencoded<R extends Reply>(reply: R): R {
  deepFreeze(reply);
  PREENCODED.add(reply);
  return reply;
}

const PREENCODED = new WeakSet<Reply>();
const ENCODED_RESP2 = new WeakMap<Reply, Buffer>();
const ENCODED_RESP3 = new WeakMap<Reply, Buffer>();
for (const constant of [ok, nullBulk, nullArray]) preencoded(constant);

function deepFreeze(value: object): void {
  if (Buffer.isBuffer(value) || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) deepFreeze(v);
}

function encodeMixed(reply: Reply, protocol: 2 | 3): Buffer {
  const out = new Output();
  write(reply, protocol, out);
  return out.bytes();
}

/**
 * The reply as one string (UTF-8 on the wire), for the replies made of text only (nearly all):
 * null as soon as it holds bytes (a Buffer bulk, raw bytes, a verbatim string), which the
 * general writer handles.
 */
function textOf(reply: Reply, protocol: 2 | 3): string | null {
  switch (reply.type) {
    case 'simple':
      return `+${counted(singleLine(reply.value))}${CRLF}`;
    case 'error':
      return reply.bytes ? null : `-${counted(errorText(reply.value))}${CRLF}`;
    case 'integer':
      return `:${integerText(reply.value)}${CRLF}`;
    case 'bulk':
      return typeof reply.value === 'string' ? bulkText(reply.value) : null;
    case 'null-bulk':
      return protocol === 3 ? `_${CRLF}` : `$-1${CRLF}`;
    case 'null-array':
      return protocol === 3 ? `_${CRLF}` : `*-1${CRLF}`;
    case 'array':
      return aggregateText('*', reply.items, protocol);
    case 'set':
      return aggregateText(protocol === 3 ? '~' : '*', reply.items, protocol);
    case 'push':
      return aggregateText(protocol === 3 ? '>' : '*', reply.items, protocol);
    case 'map': {
      if (reply instanceof StringPairsMap) return pairsText(reply.pairs, protocol);
      const entries = reply.entries;
      let text = protocol === 3 ? `%${entries.length}${CRLF}` : `*${entries.length * 2}${CRLF}`;
      for (let i = 0; i < entries.length; i++) {
        const [key, value] = entries[i];
        const k = key.type === 'bulk' && typeof key.value === 'string' ? bulkText(key.value) : textOf(key, protocol);
        if (k === null) return null;
        const v = value.type === 'bulk' && typeof value.value === 'string' ? bulkText(value.value) : textOf(value, protocol);
        if (v === null) return null;
        text += k + v;
      }
      return text;
    }
    case 'double': {
      const value = doubleText(reply.value);
      return protocol === 3 ? `,${value}${CRLF}` : `$${value.length}${CRLF}${value}${CRLF}`;
    }
    case 'boolean':
      return protocol === 3 ? `#${reply.value ? 't' : 'f'}${CRLF}` : `:${reply.value ? 1 : 0}${CRLF}`;
    case 'none':
      return '';
    default:
      return null;
  }
}

function pairsText(pairs: ReadonlyArray<readonly [string, string]>, protocol: 2 | 3): string {
  let text = protocol === 3 ? `%${pairs.length}${CRLF}` : `*${pairs.length * 2}${CRLF}`;
  for (let i = 0; i < pairs.length; i++) {
    const [key, value] = pairs[i];
    text += `$${utf8Length(key)}${CRLF}${key}${CRLF}$${utf8Length(value)}${CRLF}${value}${CRLF}`;
  }
  return text;
}

function bulkText(value: string): string {
  return `$${utf8Length(value)}${CRLF}${value}${CRLF}`;
}

function aggregateText(marker: string, items: Reply[], protocol: 2 | 3): string | null {
  let text = `${marker}${items.length}${CRLF}`;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const part = item.type === 'bulk' && typeof item.value === 'string' ? bulkText(item.value) : textOf(item, protocol);
    if (part === null) return null;
    text += part;
  }
  return text;
}

/**
 * The encoded reply: text (UTF-8 on the wire) is gathered into one string, so a
 * reply made only of text (nearly all of them) becomes one buffer in one step.
 */
class Output {
  private text = '';
  private readonly chunks: Buffer[] = [];

  push(part: string | Buffer): void {
    if (typeof part === 'string') {
      this.text += part;
    } else {
      this.settle();
      this.chunks.push(part);
    }
  }

  bytes(): Buffer {
    this.settle();
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  private settle(): void {
    if (this.text === '') return;
    this.chunks.push(encodeBytes(this.text));
    this.text = '';
  }
}

function write(reply: Reply, protocol: 2 | 3, out: Output): void {
  switch (reply.type) {
    case 'simple':
      out.push(`+${singleLine(reply.value)}${CRLF}`);
      return;
    case 'error':
      out.push(reply.bytes ? Buffer.from(`-${errorText(reply.value)}${CRLF}`, 'latin1') : `-${errorText(reply.value)}${CRLF}`);
      return;
    case 'integer':
      out.push(`:${integerText(reply.value)}${CRLF}`);
      return;
    case 'bulk':
      if (typeof reply.value === 'string') out.push(`$${encodedLength(reply.value)}${CRLF}${reply.value}${CRLF}`);
      else writeBulk(reply.value, out);
      return;
    case 'null-bulk':
      out.push(protocol === 3 ? `_${CRLF}` : `$-1${CRLF}`);
      return;
    case 'null-array':
      out.push(protocol === 3 ? `_${CRLF}` : `*-1${CRLF}`);
      return;
    case 'array':
      writeAggregate('*', reply.items, protocol, out);
      return;
    case 'set':
      writeAggregate(protocol === 3 ? '~' : '*', reply.items, protocol, out);
      return;
    case 'push':
      writeAggregate(protocol === 3 ? '>' : '*', reply.items, protocol, out);
      return;
    case 'map':
      out.push(protocol === 3 ? `%${reply.entries.length}${CRLF}` : `*${reply.entries.length * 2}${CRLF}`);
      for (const [key, value] of reply.entries) {
        write(key, protocol, out);
        write(value, protocol, out);
      }
      return;
    case 'double': {
      const text = doubleText(reply.value);
      if (protocol === 3) out.push(`,${text}${CRLF}`);
      else writeBulk(Buffer.from(text, 'latin1'), out);
      return;
    }
    case 'boolean':
      out.push(protocol === 3 ? `#${reply.value ? 't' : 'f'}${CRLF}` : `:${reply.value ? 1 : 0}${CRLF}`);
      return;
    case 'verbatim': {
      const body = encodeBytes(reply.value);
      if (protocol === 2) {
        writeBulk(body, out);
        return;
      }
      // The format is always exactly three characters on the wire.
      const format = Buffer.from(`${reply.format}   `.slice(0, 3), 'latin1');
      out.push(`=${body.length + 4}${CRLF}`);
      out.push(format);
      out.push(':');
      out.push(body);
      out.push(CRLF);
      return;
    }
    case 'raw':
      out.push(reply.bytes);
      return;
    case 'none':
      return;
  }
}

function writeBulk(bytes: Buffer, out: Output): void {
  out.push(`$${bytes.length}${CRLF}`);
  out.push(bytes);
  out.push(CRLF);
}

function writeAggregate(marker: string, items: Reply[], protocol: 2 | 3, out: Output): void {
  out.push(`${marker}${items.length}${CRLF}`);
  for (const item of items) write(item, protocol, out);
}

/** A line-based reply cannot carry CR or LF: Redis replaces them with spaces in errors. */
function singleLine(text: string): string {
  if (text.indexOf('\r') === -1 && text.indexOf('\n') === -1) return text;
  return text.replace(/[\r\n]/g, ' ');
}

function errorText(value: string): string {
  const text = singleLine(value.startsWith('-') ? value.slice(1) : value);
  return text === '' ? 'ERR' : text;
}

function integerText(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isSafeInteger(value)) return String(value);
  return Number.isFinite(value) ? BigInt(Math.trunc(value)).toString() : '0';
}

/** printf("%.17g") as Redis 7.0 formats doubles, with inf/-inf/nan spelled as Redis does. */
export function doubleText(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential(16).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 17) {
    const digits = stripTrailingZeros(mantissa);
    const sign = exponent < 0 ? '-' : '+';
    return `${digits}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return stripTrailingZeros(value.toFixed(Math.max(0, 16 - exponent)));
}

function stripTrailingZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
