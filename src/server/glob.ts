/**
 * Redis's glob matching (stringmatchlen), used by PSUBSCRIBE, ACL channel
 * rules and COMMAND LIST FILTERBY PATTERN. Works on byte strings: callers pass
 * latin1-decoded text so that every character is exactly one byte.
 *
 * Supported syntax: `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` (reversed ranges are
 * accepted), and `\x` to take `x` literally. An unterminated `[` set runs to the
 * end of the pattern; a trailing `\` is a literal backslash.
 */
export function globMatch(pattern: string, text: string, nocase = false): boolean {
  const tokens = tokenize(pattern);
  let ti = 0;
  let si = 0;
  let starToken = -1;
  let starText = -1;
  // Every token but `*` consumes exactly one character, so backtracking to the
  // last star is enough (and keeps matching linear in practice).
  while (si < text.length) {
    const token = tokens[ti];
    if (token !== undefined && token.kind === 'star') {
      starToken = ti++;
      starText = si;
      continue;
    }
    if (token !== undefined && matchesOne(token, text.charCodeAt(si), nocase)) {
      ti++;
      si++;
      continue;
    }
    if (starToken === -1) return false;
    ti = starToken + 1;
    si = ++starText;
  }
  while (ti < tokens.length && tokens[ti].kind === 'star') ti++;
  return ti === tokens.length;
}

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'literal'; code: number }
  | { kind: 'set'; negated: boolean; members: SetMember[] };

type SetMember = { kind: 'char'; code: number; exact: boolean } | { kind: 'range'; from: number; to: number };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
      i++;
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
      i++;
    } else if (c === '[') {
      const parsed = parseSet(pattern, i + 1);
      tokens.push(parsed.token);
      i = parsed.next;
    } else if (c === '\\' && i + 1 < pattern.length) {
      tokens.push({ kind: 'literal', code: pattern.charCodeAt(i + 1) });
      i += 2;
    } else {
      tokens.push({ kind: 'literal', code: pattern.charCodeAt(i) });
      i++;
    }
  }
  return tokens;
}

function parseSet(pattern: string, start: number): { token: Token; next: number } {
  let i = start;
  const negated = pattern[i] === '^';
  if (negated) i++;
  const members: SetMember[] = [];
  for (;;) {
    if (i >= pattern.length) return { token: { kind: 'set', negated, members }, next: i };
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      // An escaped character inside a set is compared case-sensitively, as in Redis.
      members.push({ kind: 'char', code: pattern.charCodeAt(i + 1), exact: true });
      i += 2;
    } else if (c === ']') {
      return { token: { kind: 'set', negated, members }, next: i + 1 };
    } else if (i + 2 < pattern.length && pattern[i + 1] === '-') {
      const a = pattern.charCodeAt(i);
      const b = pattern.charCodeAt(i + 2);
      members.push({ kind: 'range', from: Math.min(a, b), to: Math.max(a, b) });
      i += 3;
    } else {
      members.push({ kind: 'char', code: pattern.charCodeAt(i), exact: false });
      i++;
    }
  }
}

function matchesOne(token: Exclude<Token, { kind: 'star' }>, code: number, nocase: boolean): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'literal':
      return nocase ? lower(token.code) === lower(code) : token.code === code;
    case 'set': {
      const hit = token.members.some((m) => {
        if (m.kind === 'range') {
          if (!nocase) return code >= m.from && code <= m.to;
          const c = lower(code);
          return c >= lower(m.from) && c <= lower(m.to);
        }
        return nocase && !m.exact ? lower(m.code) === lower(code) : m.code === code;
      });
      return token.negated ? !hit : hit;
    }
  }
}

function lower(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}
