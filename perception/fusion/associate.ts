/**
 * Data association: which detection updates which track. The assignment that minimises the total
 * cost (the Hungarian method, from the `munkres` package), with gating: a pair whose cost is above
 * `gate` (e.g. a χ² bound on the squared Mahalanobis distance) is never made, so a far detection
 * starts a track rather than stealing one.
 */
import { munkres } from 'munkres';

export interface Association {
  /** [row, column] pairs, by row */
  matches: [number, number][];
  unmatchedRows: number[];
  unmatchedColumns: number[];
}

/**
 * The minimum-cost assignment of rows (tracks) to columns (detections) in `cost`, pairs above
 * `gate` left out. `columns` is needed when there are no rows to tell it.
 */
export function associate(cost: readonly (readonly number[])[], gate: number, columns = cost.length > 0 ? cost[0].length : 0): Association {
  const rows = cost.length;
  const matches: [number, number][] = [];
  if (rows > 0 && columns > 0) {
    // A forbidden pair costs more than every allowed assignment together, so it is taken only when nothing else is left.
    let allowed = 0;
    for (const row of cost) for (const c of row) if (c <= gate) allowed += Math.abs(c);
    const forbidden = 2 * allowed + 1;
    const gated = cost.map((row) => row.map((c) => (c <= gate ? c : forbidden)));
    for (const [r, c] of munkres(gated)) if (cost[r][c] <= gate) matches.push([r, c]);
    matches.sort((a, b) => a[0] - b[0]);
  }
  const rowTaken = new Set(matches.map(([r]) => r)), columnTaken = new Set(matches.map(([, c]) => c));
  return {
    matches,
    unmatchedRows: Array.from({ length: rows }, (_, r) => r).filter((r) => !rowTaken.has(r)),
    unmatchedColumns: Array.from({ length: columns }, (_, c) => c).filter((c) => !columnTaken.has(c)),
  };
}
