/**
 * The C number conversions sentinel.conf values go through in Redis 7.0.15
 * (glibc semantics). Config errors and the values written back by a rewrite
 * depend on their quirks (saturation, wrap-around, int truncation), so they are
 * reproduced exactly with bigint arithmetic.
 */

import { isCSpace, strtoull } from '../core/numbers.js';

const LLONG_MAX = (1n << 63n) - 1n;
const LLONG_MIN = -(1n << 63n);
const ULLONG_MAX = (1n << 64n) - 1n;

// In the core, which reads hello epochs with strtoull too.
export { isCSpace, strtoull };

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

interface Scanned {
  negative: boolean;
  magnitude: bigint;
  digits: number;
  /** Index just after the last digit, or 0 when no digit was read (C's endptr). */
  end: number;
}

/** The shared front end of strtol/strtoll: blanks, a sign, then digits in `base`. */
function scanInteger(s: string, base: 8 | 10): Scanned {
  let i = 0;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  let magnitude = 0n;
  let digits = 0;
  const big = BigInt(base);
  for (;;) {
    const c = s[i];
    if (c === undefined || c < '0' || c > (base === 8 ? '7' : '9')) break;
    // Beyond 2^64 the result saturates anyway; stop growing the bigint.
    if (magnitude <= ULLONG_MAX) magnitude = magnitude * big + BigInt(c.charCodeAt(0) - 48);
    digits++;
    i++;
  }
  return { negative, magnitude, digits, end: digits > 0 ? i : 0 };
}

/** glibc strtoll: saturates at LLONG_MIN/LLONG_MAX. `end` is C's endptr offset. */
export function strtoll(s: string, base: 8 | 10 = 10): { value: bigint; end: number; overflow: boolean } {
  const r = scanInteger(s, base);
  const signed = r.negative ? -r.magnitude : r.magnitude;
  if (signed > LLONG_MAX) return { value: LLONG_MAX, end: r.end, overflow: true };
  if (signed < LLONG_MIN) return { value: LLONG_MIN, end: r.end, overflow: true };
  return { value: signed, end: r.end, overflow: false };
}

/** glibc atoi: `(int) strtol(s, NULL, 10)`, i.e. a saturated 64-bit long truncated to 32 bits. */
export function atoi(s: string): number {
  return Number(BigInt.asIntN(32, strtoll(s).value));
}

/** Redis string2ll: the whole string must be a canonical-ish decimal long long. */
export function string2ll(s: string): bigint | null {
  if (s.length === 0 || s.length >= 21) return null;
  if (s === '0') return 0n;
  let i = 0;
  let negative = false;
  if (s[0] === '-') {
    negative = true;
    i = 1;
    if (s.length === 1) return null;
  }
  if (!(s[i]! >= '1' && s[i]! <= '9')) return null;
  let v = 0n;
  for (; i < s.length; i++) {
    if (!isDigit(s[i])) return null;
    v = v * 10n + BigInt(s.charCodeAt(i) - 48);
    if (v > ULLONG_MAX) return null;
  }
  if (negative) return v > -LLONG_MIN ? null : -v;
  return v > LLONG_MAX ? null : v;
}

const MEMORY_UNITS = new Map<string, bigint>([
  ['', 1n],
  ['b', 1n],
  ['k', 1000n],
  ['kb', 1024n],
  ['m', 1000n * 1000n],
  ['mb', 1024n * 1024n],
  ['g', 1000n * 1000n * 1000n],
  ['gb', 1024n * 1024n * 1024n],
]);

/** Redis memtoull: digits then an optional unit; the product wraps modulo 2^64. */
export function memtoull(s: string): bigint | null {
  if (s[0] === '-') return null;
  let i = 0;
  while (isDigit(s[i])) i++;
  const mul = MEMORY_UNITS.get(s.slice(i).toLowerCase());
  if (mul === undefined) return null;
  if (i >= 128) return null;
  // An empty digit run converts to 0 without error, as glibc strtoull does.
  const digits = s.slice(0, i);
  const value = digits === '' ? 0n : strtoull(digits);
  return BigInt.asUintN(64, value * mul);
}

/**
 * Redis string2d: strtod over the whole string, no leading blank, no NaN,
 * no overflow to infinity and no underflow to zero.
 */
export function string2d(s: string): number | null {
  if (s.length === 0 || isCSpace(s[0])) return null;
  const m = /^([+-]?)(?:(inf(?:inity)?)|(nan(?:\([0-9A-Za-z_]*\))?)|(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))$/i.exec(s);
  if (!m) return null;
  const sign = m[1] === '-' ? -1 : 1;
  if (m[3] !== undefined) return null;
  if (m[2] !== undefined) return sign * Infinity;
  const hex = m[4];
  const value = hex !== undefined ? parseHexFloat(hex) : Number(m[5]);
  if (!Number.isFinite(value)) return null;
  const mantissa = hex !== undefined ? hex.slice(2).split(/[pP]/)[0]! : m[5]!.split(/[eE]/)[0]!;
  const underflowed = value === 0 && /[1-9a-fA-F]/.test(mantissa);
  return underflowed ? null : sign * value;
}

function parseHexFloat(text: string): number {
  const body = text.slice(2);
  const [mantissa = '', exponent] = body.split(/[pP]/);
  const [intPart = '', fracPart = ''] = mantissa.split('.');
  let value = 0;
  for (const c of intPart) value = value * 16 + parseInt(c, 16);
  let scale = 1 / 16;
  for (const c of fracPart) {
    value += parseInt(c, 16) * scale;
    scale /= 16;
  }
  return value * Math.pow(2, exponent === undefined ? 0 : Number(exponent));
}

/**
 * printf("%f") of a double (6 decimals, exact binary value, ties to even)
 * followed by Redis's trimDoubleString (drop trailing zeros and a bare dot).
 */
export function formatTrimmedDouble(x: number): string {
  const negative = x < 0 || Object.is(x, -0);
  const { numerator, denominator } = exactFraction(Math.abs(x));
  const scaled = numerator * 1_000_000n;
  let q = scaled / denominator;
  const r = scaled % denominator;
  if (r * 2n > denominator || (r * 2n === denominator && q % 2n === 1n)) q += 1n;
  const intPart = (q / 1_000_000n).toString();
  const frac = (q % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${intPart}${frac === '' ? '' : `.${frac}`}`;
}

function exactFraction(x: number): { numerator: bigint; denominator: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const power = (exponent === 0 ? 1 : exponent) - 1075;
  return power >= 0
    ? { numerator: mantissa << BigInt(power), denominator: 1n }
    : { numerator: mantissa, denominator: 1n << BigInt(-power) };
}
