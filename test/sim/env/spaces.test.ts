import { describe, expect, it } from 'vitest';
import { Rng } from '../../../sim/rng.ts';
import { Box, Dict, Discrete } from '../../../sim/env/spaces.ts';

describe('spaces', () => {
  it('sample without a generator draws from the space’s own, which seed() makes reproducible', () => {
    const box = new Box(-1, 1, [2]);
    const a = [box.sample(), box.sample()];
    box.seed(5);
    const b = [box.sample(), box.sample()];
    box.seed(5);
    expect([box.sample(), box.sample()]).toEqual(b);
    expect(b).not.toEqual(a);
    for (const x of [...a, ...b]) expect(box.contains(x)).toBe(true);
    const d = new Discrete(5);
    d.seed(1);
    const draws = Array.from({ length: 200 }, () => d.sample());
    expect(new Set(draws)).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('a given generator takes precedence, and a Dict seeds its parts from one seed', () => {
    const dict = new Dict({ steer: new Box(-1, 1, [1]), gear: new Discrete(3) });
    expect(dict.sample(Rng.seeded(2))).toEqual(dict.sample(Rng.seeded(2)));
    dict.seed(9);
    const first = dict.sample();
    dict.seed(9);
    expect(dict.sample()).toEqual(first);
    expect(dict.contains(first)).toBe(true);
  });
});
