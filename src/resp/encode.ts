import type { Reply } from './reply.js';

const CRLF = '\r\n';

/**
 * Turns a Reply into the bytes redis-server 7.0 would send to a client speaking
 * `protocol`. RESP2 has no map, set, push, null, double or boolean type, so those
 * fall back to what Redis sends instead (flat array, array, `$-1`/`*-1`, bulk, integer).
 */
export function encodeReply(reply: Reply, protocol: 2 | 3): Buffer {
  const out = new Output();
  write(reply, protocol, out);
  return out.bytes();
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
    this.chunks.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
}

function write(reply: Reply, protocol: 2 | 3, out: Output): void {
  switch (reply.type) {
    case 'simple':
      out.push(`+${singleLine(reply.value)}${CRLF}`);
      return;
    case 'error':
      out.push(`-${errorText(reply.value)}${CRLF}`);
      return;
    case 'integer':
      out.push(`:${integerText(reply.value)}${CRLF}`);
      return;
    case 'bulk':
      if (typeof reply.value === 'string') out.push(`$${Buffer.byteLength(reply.value, 'utf8')}${CRLF}${reply.value}${CRLF}`);
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
      const body = Buffer.from(reply.value, 'utf8');
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
  return text.replace(/[\r\n]/g, ' ');
}

function errorText(value: string): string {
  const text = singleLine(value.startsWith('-') ? value.slice(1) : value);
  return text === '' ? 'ERR' : text;
}

function integerText(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
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
