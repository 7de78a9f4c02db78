import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/core/glob.js';

// Every expectation below was checked against redis-server 7.0.15 (KEYS for
// case-sensitive matching, CONFIG GET and SENTINEL CONFIG GET for nocase).
const CASE_SENSITIVE: Array<[pattern: string, text: string, matches: boolean]> = [
  // A star needs a byte to start on: only Redis's KEYS shortcut lets `*` match "".
  ['**', '', false],
  ['*?', '', false],
  ['', '', true],
  ['', 'a', false],
  ['a*', 'a', true],
  ['a**', 'a', true],
  ['*a', 'a', true],
  ['*', 'abc', true],
  ['*a*b*c', 'aXbYc', true],
  ['*a*b*c', 'aXbYd', false],
  ['a*a*a*b', 'a'.repeat(20), false],
  // Bytes, not characters: `é` is two bytes in UTF-8.
  ['?', 'é', false],
  ['??', 'é', true],
  ['caf?', 'café', false],
  ['caf??', 'café', true],
  // `x-]` is a range that ends at `]` (0x5d..0x61 here), and the class goes on.
  ['[a-]', 'a', true],
  ['[a-]', ']', true],
  ['[a-]', '_', true],
  ['[a-]', 'b', false],
  ['[a-]x', 'x', true],
  ['[a-]x', 'ax', false],
  // An unterminated class closes at the end of the pattern.
  ['[a', 'a', true],
  ['[a', 'ab', false],
  ['[\\', '\\', true],
  ['[^a]', 'b', true],
  ['[^a]', 'a', false],
  // `!` is not a negation.
  ['[!a]', '!', true],
  ['[!a]', 'b', false],
  // An empty class matches nothing.
  ['[]]', ']', false],
  ['[]]', ']]', false],
  ['[\\]]', ']', true],
  ['[z-a]', 'b', true],
  ['[a-c-e]', '-', true],
  ['[a-c-e]', 'd', false],
  ['a\\*', 'a*', true],
  ['a\\*', 'ab', false],
  ['\\?', '?', true],
  ['\\?', 'a', false],
  // A trailing backslash is itself.
  ['x\\', 'x\\', true],
  ['\\', '\\', true],
  // Range bounds are signed chars: 0xc3 (first byte of é) sorts below `a`.
  ['[a-é]', 'A', true],
  ['[a-é]', 'b', false],
  ['[é-a]', 'A', true],
  ['[^a-é]', 'b', true],
  // SENTINEL RESET patterns are case-sensitive.
  ['my*', 'mymaster', true],
  ['MY*', 'mymaster', false],
  ['m?master', 'mymaster', true],
  ['[mn]y*', 'nymaster', true],
];

const NOCASE: Array<[pattern: string, text: string, matches: boolean]> = [
  ['ANNOUNCE-IP', 'announce-ip', true],
  ['ANNOUNCE-*', 'announce-hostnames', true],
  ['M?xmemory', 'maxmemory', true],
  ['[M]axmemory', 'maxmemory', true],
  ['[^M]axmemory', 'maxmemory', false],
  ['[L-N]axmemory', 'maxmemory', true],
  // An escaped byte inside a class still compares with case.
  ['[\\M]axmemory', 'maxmemory', false],
  ['[\\m]axmemory', 'maxmemory', true],
  // Bounds are ordered before they are lower-cased: `Z`..`a` becomes `z`..`a`, empty.
  ['[Z-a]axmemory', 'maxmemory', false],
];

describe('globMatch, as Redis stringmatchlen', () => {
  it.each(CASE_SENSITIVE)('%j against %j is %s', (pattern, text, matches) => {
    expect(globMatch(pattern, text)).toBe(matches);
  });

  it.each(NOCASE)('%j against %j without case is %s', (pattern, text, matches) => {
    expect(globMatch(pattern, text, true)).toBe(matches);
  });

  it('is case-sensitive unless asked', () => {
    expect(globMatch('ANNOUNCE-IP', 'announce-ip')).toBe(false);
  });

  it('folds ASCII letters only, as C tolower does', () => {
    expect(globMatch('É', 'é', true)).toBe(false);
    expect(globMatch('\u212a', 'k', true)).toBe(false);
  });

  it('takes bytes as they are', () => {
    expect(globMatch(Buffer.from([0x61, 0x3f]), Buffer.from([0x61, 0xff]))).toBe(true);
    expect(globMatch(Buffer.from('[\x00-\x7f]', 'latin1'), Buffer.from([0x80]))).toBe(false);
  });

  it('gives up on patterns nested more than 1000 stars deep', () => {
    const text = 'a'.repeat(1010);
    expect(globMatch('*a'.repeat(1000), text)).toBe(true);
    expect(globMatch('*a'.repeat(1001), text)).toBe(false);
  });

  it('stays fast on patterns that would backtrack exponentially', () => {
    const started = performance.now();
    expect(globMatch(`${'a*'.repeat(40)}b`, 'a'.repeat(200))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
