/**
 * Redis 7.0's glob matching (stringmatchlen), used by SENTINEL RESET, SENTINEL
 * CONFIG GET and PSUBSCRIBE: `*`, `?`, `[...]` with `^`, ranges and `\` escapes.
 *
 * It works on bytes, as Redis does: strings are taken as UTF-8, so `?` matches one
 * byte of `é`, not the character. Its quirks are kept on purpose, since a client can
 * observe them:
 * - a `*` needs at least one byte to start on: `**` does not match the empty string
 *   (Redis answers `KEYS *` by a shortcut, not by this function);
 * - in a class, `x-]` is a range ending at `]`, and a class left open at the end of the
 *   pattern is closed there;
 * - range bounds compare as signed bytes (C `char`), so bytes >= 0x80 sort below 0x00:
 *   `[a-é]` spans 0xc3 (the first byte of `é`) ... 0xff, 0x00 ... `a`;
 * - with `nocase`, an escaped byte inside a class still compares case-sensitively, and
 *   range bounds are swapped before they are lower-cased (`[Z-a]` matches nothing).
 */
export function globMatch(pattern: string | Uint8Array, text: string | Uint8Array, nocase = false): boolean {
  const m: Matcher = { p: bytes(pattern), s: bytes(text), nocase, noLongerMatch: false };
  return matchFrom(m, 0, 0, 0);
}

interface Matcher {
  p: Uint8Array;
  s: Uint8Array;
  nocase: boolean;
  /**
   * Set once the rest of a pattern after some `*` matched nowhere in the rest of the
   * text: an earlier `*` cannot help by swallowing more, so every caller gives up.
   */
  noLongerMatch: boolean;
}

/** Beyond this many nested `*`, the pattern is taken as abusive and matches nothing. */
const MAX_NESTING = 1000;

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

function bytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/** C's tolower in the C locale: ASCII letters only. */
function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/** Redis compares range bounds as C `char`, signed on the platforms it ships for: bytes >= 0x80 sort first. */
function signed(b: number): number {
  return (b << 24) >> 24;
}

function sameByte(m: Matcher, a: number, b: number): boolean {
  return m.nocase ? lower(a) === lower(b) : a === b;
}

function matchFrom(m: Matcher, startP: number, startS: number, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  const { p, s } = m;
  let pi = startP;
  let si = startS;
  while (pi < p.length && si < s.length) {
    const c = p[pi];
    if (c === STAR) {
      while (p[pi + 1] === STAR) pi++;
      if (pi === p.length - 1) return true;
      for (; si < s.length; si++) {
        if (matchFrom(m, pi + 1, si, nesting + 1)) return true;
        if (m.noLongerMatch) return false;
      }
      m.noLongerMatch = true;
      return false;
    }
    if (c === OPEN) {
      const cls = matchClass(m, pi + 1, s[si]);
      if (!cls.matched) return false;
      pi = cls.end;
    } else if (c !== QUESTION) {
      if (c === BACKSLASH && pi + 1 < p.length) pi++;
      if (!sameByte(m, p[pi], s[si])) return false;
    }
    si++;
    pi++;
    if (si === s.length) {
      while (p[pi] === STAR) pi++;
      break;
    }
  }
  return pi >= p.length && si === s.length;
}

/**
 * Matches one byte against the class whose body starts at `start` (just after `[`).
 * `end` is the index of the closing `]`, or of the last byte when the class is left open.
 */
function matchClass(m: Matcher, start: number, ch: number): { matched: boolean; end: number } {
  const { p } = m;
  let i = start;
  const negate = p[i] === CARET;
  if (negate) i++;
  let matched = false;
  for (;;) {
    const left = p.length - i;
    if (p[i] === BACKSLASH && left >= 2) {
      i++;
      // Escaped bytes compare exactly, even when matching without case.
      if (p[i] === ch) matched = true;
    } else if (left <= 0) {
      i = p.length - 1;
      break;
    } else if (p[i] === CLOSE) {
      break;
    } else if (left >= 3 && p[i + 1] === DASH) {
      let lo = signed(p[i]);
      let hi = signed(p[i + 2]);
      if (lo > hi) [lo, hi] = [hi, lo];
      let c = signed(ch);
      if (m.nocase) {
        lo = lower(lo);
        hi = lower(hi);
        c = lower(c);
      }
      if (c >= lo && c <= hi) matched = true;
      i += 2;
    } else if (sameByte(m, p[i], ch)) {
      matched = true;
    }
    i++;
  }
  return { matched: negate ? !matched : matched, end: i };
}
