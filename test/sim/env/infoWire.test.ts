import { describe, expect, it } from 'vitest';
import { decodeInfos, encodeInfos } from '../../../sim/env/vector/infoWire.ts';

describe('infos between threads', () => {
  it('come back equal, typed arrays and non-finite numbers included', () => {
    const infos = [
      { seed: 3, route: { length: 800, goal: Infinity }, rewards: { progress: 0.5, collision: -0 }, collision: null, outcome: 'goal' },
      { finalObservation: Float32Array.of(0.25, -1, 3.5), finalInfo: { ttc: -Infinity, gap: NaN }, tags: ['a', { $note: 1 }] },
    ];
    const back = decodeInfos(encodeInfos(infos));
    expect(back).toEqual(infos);
    expect(back[1].finalObservation).toBeInstanceOf(Float32Array);
    expect((back[0].route as { goal: number }).goal).toBe(Infinity);
    expect(Number.isNaN((back[1].finalInfo as { gap: number }).gap)).toBe(true);
  });
});
