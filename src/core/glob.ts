/** Redis's glob matching (stringmatchlen): `*`, `?`, `[...]` with `^` and ranges, `\` escapes. */
export function globMatch(pattern: string, text: string, nocase = false): boolean {
  const p = nocase ? pattern.toLowerCase() : pattern;
  const s = nocase ? text.toLowerCase() : text;
  return matchFrom(p, 0, s, 0, 0);
}

const MAX_NESTING = 1000;

function matchFrom(p: string, pi: number, s: string, si: number, depth: number): boolean {
  if (depth > MAX_NESTING) return false;
  while (pi < p.length) {
    const c = p[pi];
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchFrom(p, pi + 1, s, k, depth + 1)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      si++;
    } else if (c === '[') {
      const r = matchClass(p, pi + 1, s[si]);
      pi = r.end;
      if (!r.matched) return false;
      si++;
    } else {
      let lit = c;
      if (c === '\\' && pi + 1 < p.length) lit = p[++pi];
      if (lit !== s[si]) return false;
      si++;
    }
    pi++;
  }
  return si === s.length;
}

/** Matches one character against the class starting after `[`; `end` is the index of the closing `]`. */
function matchClass(p: string, start: number, ch: string): { matched: boolean; end: number } {
  let i = start;
  const negate = p[i] === '^';
  if (negate) i++;
  let matched = false;
  for (; i < p.length && p[i] !== ']'; i++) {
    if (p[i] === '\\' && i + 1 < p.length) {
      i++;
      if (p[i] === ch) matched = true;
    } else if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      let lo = p[i];
      let hi = p[i + 2];
      if (lo > hi) [lo, hi] = [hi, lo];
      if (ch >= lo && ch <= hi) matched = true;
      i += 2;
    } else if (p[i] === ch) {
      matched = true;
    }
  }
  // An unterminated class ends at the pattern's end, as in Redis.
  const end = i < p.length ? i : p.length - 1;
  return { matched: negate ? !matched : matched, end };
}
