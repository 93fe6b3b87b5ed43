import { describe, expect, it } from 'vitest';
import { builtinScenario } from '../../../scenarios/library.ts';
import { make } from '../../../sim/env/registry.ts';
import { Rng } from '../../../sim/rng.ts';
import { buildMap, buildMapCached, type BuiltMap } from '../../../sim/road/maps/index.ts';

/** Every lane's centre line, sampled every 10 m: the geometry of a map. */
function geometry(built: BuiltMap): number[] {
  const out: number[] = [];
  const p = { x: 0, y: 0 };
  for (const lane of built.network.lanes) {
    for (let s = 0; s <= lane.path.length; s += 10) {
      lane.path.pointAt(s, p);
      out.push(p.x, p.y);
    }
  }
  return out;
}

/** The map stream a world of this seed hands to the map builder. */
const mapRng = (seed: number) => Rng.seeded(seed).split();

describe('the map cache', () => {
  it('keeps a seeded map (road, as in lane-keep-curvy) apart per seed and returns the same object for the same seed', () => {
    const { map, ego } = builtinScenario('lane-keep-curvy')!;
    // Built here by a seed no other test uses for this map, so the first call cannot be a cache hit.
    const a = buildMapCached(map, ego, 900001, mapRng(900001));
    const b = buildMapCached(map, ego, 900002, mapRng(900002));
    expect(geometry(b)).not.toEqual(geometry(a));
    expect(geometry(a)).toEqual(geometry(buildMap(map, ego, mapRng(900001))));
    expect(geometry(b)).toEqual(geometry(buildMap(map, ego, mapRng(900002))));
    expect(buildMapCached(map, ego, 900001, mapRng(900001))).toBe(a);
    expect(buildMapCached(map, ego, 900002, mapRng(900002))).toBe(b);
  });

  it('shares a map that does not depend on its seed among all seeds', () => {
    const { map, ego } = builtinScenario('intersection')!;
    const a = buildMapCached(map, ego, 900001, mapRng(900001));
    expect(buildMapCached(map, ego, 900002, mapRng(900002))).toBe(a);
    expect(geometry(a)).toEqual(geometry(buildMap(map, ego, mapRng(900003))));
  });

  it('gives each episode of lane-keep-curvy the bends of its own seed, whatever ran before', async () => {
    const env = await make('lane-keep-curvy');
    env.reset({ seed: 900011 });
    const first = env.unwrapped.world.network;
    env.reset({ seed: 900012 });
    const second = env.unwrapped.world.network;
    env.reset({ seed: 900011 });
    expect(second).not.toBe(first);
    expect(env.unwrapped.world.network).toBe(first);
    const other = await make('lane-keep-curvy');
    other.reset({ seed: 900012 });
    expect(other.unwrapped.world.network).toBe(second);
    env.close();
    other.close();
  });
});
