/**
 * Bytes received and not yet consumed, kept in one contiguous buffer that grows by
 * doubling. Appending chunk by chunk and consuming from the front are both amortised
 * O(n), so a 512 MB argument arriving in 64 KB reads, or a reply fed one byte at a
 * time, costs a linear number of copies rather than a quadratic one.
 */
const MINUS = 0x2d;
const ZERO = 0x30;
/** Up to 15 characters every strict integer is below 2^53, so a number holds it exactly. */
const SAFE_DIGITS = 15;
const IN_PLACE_SEARCH_BYTES = 16 * 1024;
const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  private data: Buffer = EMPTY;
  private start = 0;
  private end = 0;

  /**
   * @param retainBytes the most memory kept once everything is consumed; a connection that is
   * idle almost all the time (a link to a monitored instance) keeps none.
   */
  constructor(private readonly retainBytes = 1 << 20) {}

  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const needed = this.length + chunk.length;
    if (this.end + chunk.length > this.data.length) {
      if (needed <= this.data.length && this.start >= this.data.length / 2) {
        this.data.copyWithin(0, this.start, this.end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(needed, this.data.length * 2, Math.min(4096, this.retainBytes)));
        this.data.copy(grown, 0, this.start, this.end);
        this.data = grown;
      }
      this.end = this.length;
      this.start = 0;
    }
    chunk.copy(this.data, this.end);
    this.end += chunk.length;
  }

  byteAt(offset: number): number {
    return this.data[this.start + offset];
  }

  /** Offset of the first `byte` in [from, to), or -1. */
  indexOf(byte: number, from: number, to = this.length): number {
    if (from >= to) return -1;
    // A short buffer is searched in place (past `to` costs little there); a long one through a bounded view.
    if (this.data.length - (this.start + from) > IN_PLACE_SEARCH_BYTES) {
      return this.data.subarray(this.start, this.start + to).indexOf(byte, from);
    }
    const at = this.data.indexOf(byte, this.start + from);
    return at === -1 || at >= this.start + to ? -1 : at - this.start;
  }

  /** Offset of the first occurrence of `needle` at or after `from`, or -1. */
  indexOfSequence(needle: Buffer, from: number): number {
    return this.data.subarray(this.start, this.end).indexOf(needle, from);
  }

  /** A copy, so that consumers never keep the whole receive buffer alive. */
  copy(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    this.data.copy(out, 0, this.start + from, this.start + to);
    return out;
  }

  text(from: number, to: number, encoding: BufferEncoding): string {
    return this.data.toString(encoding, this.start + from, this.start + to);
  }

  /**
   * The bytes in [from, to) as parseStrictInteger reads them, as a number (exact up
   * to 2^53); null when they are not a strict integer. Short values are read from the
   * bytes directly, without a string or a BigInt.
   */
  strictInteger(from: number, to: number): number | null {
    const length = to - from;
    if (length === 0 || length > SAFE_DIGITS) {
      const value = parseStrictInteger(this.text(from, to, 'latin1'));
      return value === null ? null : Number(value);
    }
    const data = this.data;
    let at = this.start + from;
    const end = this.start + to;
    const negative = data[at] === MINUS;
    if (negative) at++;
    // No leading zero, and no "-0": only a lone "0" may start with it.
    if (at === end || (data[at] === ZERO && (negative || end - at > 1))) return null;
    let value = 0;
    for (; at < end; at++) {
      const digit = data[at] - ZERO;
      if (digit < 0 || digit > 9) return null;
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }

  consume(count: number): void {
    this.start += Math.min(count, this.length);
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      // Do not hold on to the memory of one huge argument for the life of the connection.
      if (this.data.length > this.retainBytes) this.data = EMPTY;
    }
  }

  clear(): void {
    this.data = EMPTY;
    this.start = 0;
    this.end = 0;
  }
}

/**
 * Redis's string2ll: an optional '-', then digits with no leading zero (a lone "0"
 * is fine), at most 20 characters, within the 64-bit signed range. Returns null for
 * anything else, including "+1", " 1", "" and "-0".
 */
export function parseStrictInteger(text: string): bigint | null {
  if (text.length === 0 || text.length > 20) return null;
  if (text === '0') return 0n;
  if (!/^-?[1-9][0-9]*$/.test(text)) return null;
  const value = BigInt(text);
  if (value > 9223372036854775807n || value < -9223372036854775808n) return null;
  return value;
}
