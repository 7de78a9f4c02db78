import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/server/glob.js';

describe('globMatch (Redis stringmatch)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', '', true],
    ['*', '+switch-master', true],
    ['+s*', '+sdown', true],
    ['+s*', '-sdown', false],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hbllo', true],
    ['h[a-b]llo', 'hcllo', false],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hxllo', false],
    ['h[\\]]llo', 'h]llo', true],
    ['a\\', 'a\\', true],
    ['h[ae', 'ha', true],
    ['h[ae', 'hx', false],
    ['*a*b*c*', 'xxaxxbxxcxx', true],
    ['*a*b*c*', 'xxaxxcxxbxx', false],
    ['a**b', 'ab', true],
    ['ab*', 'a', false],
  ];
  for (const [pattern, text, expected] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      expect(globMatch(pattern, text)).toBe(expected);
    });
  }

  it('ignores case only when asked, and never inside an escape in a set', () => {
    expect(globMatch('CLIENT|*', 'client|list')).toBe(false);
    expect(globMatch('CLIENT|*', 'client|list', true)).toBe(true);
    expect(globMatch('[A-C]x', 'bx', true)).toBe(true);
    expect(globMatch('[\\A]x', 'ax', true)).toBe(false);
  });

  it('stays fast on patterns that would explode with naive backtracking', () => {
    const started = Date.now();
    expect(globMatch('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
