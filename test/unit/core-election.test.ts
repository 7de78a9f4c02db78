import { describe, expect, it } from 'vitest';
import { electionWinner, tally } from '../../src/core/election.js';

const [A, B, C] = ['a', 'b', 'c'].map((c) => c.repeat(40));

describe('counting votes', () => {
  it('tally: votes per run id, and the first run id to reach the most', () => {
    const t = tally([B, A, A, B, C]);
    expect([...t.counts]).toEqual([[B, 2], [A, 2], [C, 1]]);
    expect(t).toMatchObject({ winner: B, most: 2 });
    expect(tally([])).toMatchObject({ winner: null, most: 0 });
  });

  it('our own vote decides only when it gives its run id strictly more votes', () => {
    // Peers: B twice, A once; our vote for A ties B, so B (counted first) keeps it.
    expect(electionWinner([B, A, B], A, 3, 2)).toBe(B);
    // Our vote for A breaks a tie in A's favour.
    expect(electionWinner([B, A], A, 3, 2)).toBe(A);
  });

  it('a winner needs a majority of the voters and the quorum', () => {
    expect(electionWinner([A], A, 3, 2)).toBe(A);
    expect(electionWinner([A], A, 5, 2)).toBeNull();
    expect(electionWinner([A, A], A, 5, 4)).toBeNull();
    expect(electionWinner([A, A], A, 5, 3)).toBe(A);
    expect(electionWinner([], null, 1, 1)).toBeNull();
    expect(electionWinner([], A, 1, 1)).toBe(A);
  });
});
