/** Builds the road network for any scenario map, dispatching on its `type`. */
import type { MapSpec, MapType, Scenario } from '../../../scenarios/schema.ts';
import type { Rng } from '../../rng.ts';
import { buildHighway } from './highway.ts';
import { buildIntersection } from './intersection.ts';
import { buildMerge } from './merge.ts';
import { buildRoad } from './road.ts';
import { buildRoundabout } from './roundabout.ts';
import type { BuiltMap, MapGenerator } from './types.ts';

export { MapReferenceError, type BuiltMap, type MapGenerator } from './types.ts';

/** One generator per map type; a missing type is a compile error. */
const generators: { readonly [T in MapType]: MapGenerator<Extract<MapSpec, { type: T }>> } = {
  highway: buildHighway,
  road: buildRoad,
  merge: buildMerge,
  intersection: buildIntersection,
  roundabout: buildRoundabout,
};

export function buildMap(map: Scenario['map'], ego: Scenario['ego'], rng: Rng): BuiltMap {
  // The lookup pairs each type with its own generator, which TypeScript cannot follow through a union.
  const generate = generators[map.type] as MapGenerator<Scenario['map']>;
  return generate(map, ego, rng);
}

/** Built maps by their inputs; networks are immutable once built, so worlds can share them. */
const cache = new Map<string, BuiltMap>();
const CACHE_SIZE = 16;

/**
 * `buildMap`, remembered: rebuilding a network is most of the cost of a reset. A map whose
 * generator drew from its seeded stream (`road`) is remembered for that seed only; one whose
 * generator did not is the same for every seed, and shared by all. Telling them apart by the
 * stream itself means a generator that starts to use its seed can never be served another seed's map.
 */
export function buildMapCached(map: Scenario['map'], ego: Scenario['ego'], seed: number, rng: Rng): BuiltMap {
  const anySeed = JSON.stringify([map, ego]);
  const thisSeed = `${anySeed}#${seed}`;
  let key = cache.has(anySeed) ? anySeed : cache.has(thisSeed) ? thisSeed : null;
  let built: BuiltMap;
  if (key !== null) {
    built = cache.get(key) as BuiltMap;
    cache.delete(key);
  } else {
    const before = rng.state().join();
    built = buildMap(map, ego, rng);
    key = rng.state().join() === before ? anySeed : thisSeed;
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, built);
  return built;
}
