/** C's atoi: optional leading spaces and sign, then digits up to the first non-digit; 0 when none. */
export function atoi(text: string): number {
  const m = /^[\s]*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number.parseInt(m[1], 10);
  return Number.isFinite(n) ? n : 0;
}

/** Redis's strict integer parse (string2ll): the whole string must be a canonical 64-bit integer. */
export function parseStrictInt(text: string): number | null {
  if (!/^(0|-?[1-9]\d*)$/.test(text)) return null;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    const big = BigInt(text);
    if (big > 9223372036854775807n || big < -9223372036854775808n) return null;
    return Number(big);
  }
  return n;
}

const ULLONG_MAX = (1n << 64n) - 1n;

/** C `isspace` in the "C" locale. */
export function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * glibc strtoull, base 10: blanks, a sign, then the digits up to the first non-digit
 * (0 when none); a minus sign negates modulo 2^64 and overflow gives 2^64-1.
 */
export function strtoull(s: string): bigint {
  let i = 0;
  while (isCSpace(s[i])) i++;
  const negative = s[i] === '-';
  if (negative || s[i] === '+') i++;
  while (s[i] === '0') i++;
  const start = i;
  // Up to 15 digits the value is exact as a double: no substring for the usual epoch.
  let small = 0;
  for (let c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i)) small = small * 10 + (c - 48);
  if (i - start <= 15) return negative ? BigInt.asUintN(64, -BigInt(small)) : BigInt(small);
  // Past 20 significant digits it is over 2^64-1; don't build a huge bigint to find out.
  if (i - start > 20) return ULLONG_MAX;
  const magnitude = BigInt(s.slice(start, i));
  if (magnitude > ULLONG_MAX) return ULLONG_MAX;
  return negative ? BigInt.asUintN(64, -magnitude) : magnitude;
}
