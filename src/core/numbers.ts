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
