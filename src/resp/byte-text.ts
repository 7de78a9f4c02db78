/**
 * Redis values are bytes; ours are strings. Valid UTF-8 decodes as usual. A byte
 * that is not part of valid UTF-8 (always 0x80-0xFF) becomes the lone surrogate
 * U+DC80-U+DCFF, which no valid UTF-8 decodes to, and encodes back to that byte
 * (Python's "surrogateescape"). A Latin-1 fallback was the other choice, but it is
 * ambiguous: it would turn byte 0xE9 into "é", which encodes back as C3 A9.
 */

const ESCAPE_BASE = 0xdc00;
const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes to text, exactly reversible by encodeBytes. */
export function decodeBytes(bytes: Uint8Array): string {
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    return decodeWithEscapes(bytes);
  }
}

function decodeWithEscapes(bytes: Uint8Array): string {
  escapesSeen = true;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = validSequenceLength(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(ESCAPE_BASE + bytes[i]!);
      i++;
    } else {
      out += fatalDecoder.decode(bytes.subarray(i, i + length));
      i += length;
    }
  }
  return out;
}

/** The length of the well-formed UTF-8 sequence starting at `i` (Unicode table 3-7), or 0. */
function validSequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const inRange = (k: number, lo: number, hi: number) => i + k < bytes.length && bytes[i + k]! >= lo && bytes[i + k]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return inRange(1, 0x80, 0xbf) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return inRange(1, lo, hi) && inRange(2, 0x80, 0xbf) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return inRange(1, lo, hi) && inRange(2, 0x80, 0xbf) && inRange(3, 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

const MAY_HOLD_ESCAPES = /[\udc80-\udcff]/;

/**
 * Whether decodeBytes has ever had to escape a byte. Until then (in practice, unless a client,
 * a peer or the config brings bytes that are not UTF-8) no text can hold an escape, and the hot
 * paths that turn text into bytes need not look for them.
 */
export let escapesSeen = false;

/** True when `text` holds an escape made by decodeBytes (cheap while none was ever made). */
export function holdsEscapes(text: string): boolean {
  return escapesSeen && MAY_HOLD_ESCAPES.test(text);
}

/** The bytes `text` takes once encoded by encodeBytes. */
export function encodedLength(text: string): number {
  return holdsEscapes(text) ? encodeBytes(text).length : Buffer.byteLength(text, 'utf8');
}

/** Bytes of an argument as text: the common all-ASCII case without a decoder. */
export function argumentText(bytes: Buffer): string {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return decodeBytes(bytes);
  return bytes.toString('latin1');
}

/** Text to bytes: UTF-8, except that the escapes made by decodeBytes become their original bytes. */
export function encodeBytes(text: string): Buffer {
  if (!MAY_HOLD_ESCAPES.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc80 || unit > 0xdcff) continue;
    const previous = i > 0 ? text.charCodeAt(i - 1) : 0;
    // The low half of a surrogate pair is a character, not an escape.
    if (previous >= 0xd800 && previous <= 0xdbff) continue;
    parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.from([unit - ESCAPE_BASE]));
    start = i + 1;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}
