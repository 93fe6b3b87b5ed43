import { describe, expect, it } from 'vitest';
import { associate } from '../../perception/fusion/associate.ts';

describe('association', () => {
  it('finds the minimum-cost assignment where the greedy one is worse', () => {
    // Greedy takes the 0 at (1, 1) first and ends at 0 + 3 + 3 = 6 or worse; the optimum is 1 + 2 + 2 = 5.
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    const r = associate(cost, 100);
    expect(r.matches).toEqual([[0, 1], [1, 0], [2, 2]]);
    expect(r.matches.reduce((s, [i, j]) => s + cost[i][j], 0)).toBe(5);
    expect([r.unmatchedRows, r.unmatchedColumns]).toEqual([[], []]);
  });

  it('never pairs above the gate, and handles more detections than tracks, or none', () => {
    // Track 1 is far from everything: it stays unmatched, as do the detections nobody wants.
    const r = associate([[1, 9, 50], [40, 30, 60]], 10);
    expect(r.matches).toEqual([[0, 0]]);
    expect(r.unmatchedRows).toEqual([1]);
    expect(r.unmatchedColumns).toEqual([1, 2]);
    // The total is what counts: 2 + 1.5 beats 1 + 9.
    expect(associate([[1, 2], [1.5, 9]], 10).matches).toEqual([[0, 1], [1, 0]]);
    expect(associate([], 10)).toEqual({ matches: [], unmatchedRows: [], unmatchedColumns: [] });
    // The gate is inclusive; and a forbidden pair must not undercut two allowed ones (0 + forbidden vs 9 + 9).
    expect(associate([[10]], 10).matches).toEqual([[0, 0]]);
    expect(associate([[10.001]], 10).matches).toEqual([]);
    expect(associate([[0, 9], [9, 100]], 10).matches).toEqual([[0, 1], [1, 0]]);
    expect(associate([], 10, 3)).toEqual({ matches: [], unmatchedRows: [], unmatchedColumns: [0, 1, 2] });
    expect(associate([[], []], 10)).toEqual({ matches: [], unmatchedRows: [0, 1], unmatchedColumns: [] });
  });
});
