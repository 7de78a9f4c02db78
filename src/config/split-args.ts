/**
 * Redis's argument splitting (sdssplitargs) and quoting (sdscatrepr), shared by
 * config lines and inline commands. Both work on bytes, as Redis does; the string
 * forms go through decodeBytes/encodeBytes, which are exact inverses, so any byte
 * sequence survives split -> quote -> split unchanged.
 */

import { decodeBytes, encodeBytes } from '../resp/byte-text.js';

const NUL = 0x00;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;
const LOWER_X = 0x78;

/** isspace() in the C locale: the blanks skipped between arguments and accepted after a closing quote. */
function isCSpace(b: number | undefined): boolean {
  return b === SPACE || (b !== undefined && b >= TAB && b <= CR);
}

/**
 * The bytes that end an unquoted argument. Narrower than isspace(): a vertical
 * tab or form feed inside a word is part of it (redis-sentinel 7.0.15 answers
 * `PING\vx` with "unknown command 'PING\vx'").
 */
function endsBareWord(b: number): boolean {
  return b === SPACE || b === LF || b === CR || b === TAB || b === NUL;
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  return -1;
}

const ESCAPED: Record<number, number> = { 0x6e: LF, 0x72: CR, 0x74: TAB, 0x62: 0x08, 0x61: 0x07 };

/**
 * sdssplitargs on bytes. Returns null for unbalanced quotes, or a closing quote
 * that is not followed by a blank or the end of the line. The line ends at the
 * first NUL byte, as it does for Redis's C string.
 */
export function splitArgsBytes(line: Uint8Array): Buffer[] | null {
  const nul = line.indexOf(NUL);
  const n = nul === -1 ? line.length : nul;
  const at = (i: number): number | undefined => (i < n ? line[i] : undefined);
  const args: Buffer[] = [];
  let i = 0;

  for (;;) {
    while (i < n && isCSpace(line[i])) i++;
    if (i >= n) return args;

    const current: number[] = [];
    let inDouble = false;
    let inSingle = false;
    for (let done = false; !done; ) {
      const c = at(i);
      if (inDouble) {
        if (c === undefined) return null;
        const high = hexValue(at(i + 2));
        const low = hexValue(at(i + 3));
        if (c === BACKSLASH && at(i + 1) === LOWER_X && high >= 0 && low >= 0) {
          current.push(high * 16 + low);
          i += 3;
        } else if (c === BACKSLASH && at(i + 1) !== undefined) {
          i++;
          const next = line[i]!;
          current.push(ESCAPED[next] ?? next);
        } else if (c === DOUBLE_QUOTE) {
          if (i + 1 < n && !isCSpace(line[i + 1])) return null;
          done = true;
        } else {
          current.push(c);
        }
      } else if (inSingle) {
        if (c === undefined) return null;
        if (c === BACKSLASH && at(i + 1) === SINGLE_QUOTE) {
          i++;
          current.push(SINGLE_QUOTE);
        } else if (c === SINGLE_QUOTE) {
          if (i + 1 < n && !isCSpace(line[i + 1])) return null;
          done = true;
        } else {
          current.push(c);
        }
      } else if (c === undefined || endsBareWord(c)) {
        done = true;
      } else if (c === DOUBLE_QUOTE) {
        inDouble = true;
      } else if (c === SINGLE_QUOTE) {
        inSingle = true;
      } else {
        current.push(c);
      }
      if (i < n) i++;
    }
    args.push(Buffer.from(current));
  }
}

/** sdssplitargs on text: the line's bytes are split, and each argument decoded (see decodeBytes). */
export function splitArgs(line: string): string[] | null {
  if (line.includes('\\')) return splitArgsBytes(encodeBytes(line))?.map(decodeBytes) ?? null;
  return splitWithoutEscapes(line);
}

/**
 * The common case, kept fast because a config rewrite splits every line of the
 * old file: without a backslash no argument is ever rewritten, and since every
 * separator and quote is ASCII (never part of a multi-byte character), the
 * arguments are plain slices of the text, the same as the bytes would give.
 */
function splitWithoutEscapes(line: string): string[] | null {
  const nul = line.indexOf('\0');
  const n = nul === -1 ? line.length : nul;
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (i < n && isCSpace(line.charCodeAt(i))) i++;
    if (i >= n) return args;
    let current = '';
    const start = i;
    for (;;) {
      const c = i < n ? line.charCodeAt(i) : NUL;
      if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
        current += line.slice(start, i);
        const close = line.indexOf(c === DOUBLE_QUOTE ? '"' : "'", i + 1);
        if (close === -1 || close >= n) return null;
        if (close + 1 < n && !isCSpace(line.charCodeAt(close + 1))) return null;
        current += line.slice(i + 1, close);
        i = close + 1;
        break;
      }
      if (endsBareWord(c)) {
        current += line.slice(start, i);
        break;
      }
      i++;
    }
    // A closing quote ends the argument; the blank after it is skipped by the outer loop.
    args.push(current);
  }
}

const NAMED_ESCAPES: Record<number, string> = {
  0x5c: '\\\\',
  0x22: '\\"',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x07: '\\a',
  0x08: '\\b',
};

/** sdscatrepr on bytes: double-quoted, printable ASCII as it is, everything else escaped. */
export function quoteReprBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const byte of bytes) {
    const named = NAMED_ESCAPES[byte];
    if (named !== undefined) out += named;
    else if (byte < 0x20 || byte > 0x7e) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

/** sdscatrepr of a value's bytes (see encodeBytes). */
export function quoteRepr(value: string): string {
  return quoteReprBytes(encodeBytes(value));
}

export { decodeBytes, encodeBytes };
