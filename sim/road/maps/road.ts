/** A two-way, two-lane country road whose bends are drawn from the seed. */
import type { RoadMap } from '../../../scenarios/schema.ts';
import type { z } from 'zod';
import type { Rng } from '../../rng.ts';
import { Path } from '../Path.ts';
import { NetworkBuilder } from '../NetworkBuilder.ts';
import { CROSSWALK_WIDTH, MapReferenceError, SIDEWALK_WIDTH, type MapGenerator } from './types.ts';

/**
 * Piecewise-constant curvature with some straights. No bend turns more than 100°, and the heading
 * stays within ±110° of the start, so the road never loops back across itself.
 */
function laneLine(map: z.infer<typeof RoadMap>, rng: Rng): Path {
  const builder = Path.build(0, 0, 0);
  const maxBend = (100 * Math.PI) / 180;
  const maxHeading = (110 * Math.PI) / 180;
  let heading = 0;
  let curvature = 0;
  let left = map.length;
  let first = true;
  while (left > 1e-6) {
    const len = Math.min(left, map.segmentLength * rng.uniform(0.7, 1.3));
    const straight = first || map.maxCurvature === 0 || rng.next() < 0.25;
    let sign = rng.next() < 0.5 ? -1 : 1;
    if (heading > maxHeading - maxBend) sign = -1;
    if (heading < -(maxHeading - maxBend)) sign = 1;
    let k = straight ? 0 : rng.uniform(0.35, 1) * map.maxCurvature * sign;
    if (Math.abs(k) * len > maxBend) k = (Math.sign(k) * maxBend) / len;
    // A clothoid over the first third of the piece eases the curvature from the last value to this one.
    const ease = Math.abs(k - curvature) > 1e-9 ? Math.min(len / 3, 25) : 0;
    if (ease > 0) builder.clothoid(ease, curvature, k);
    builder.arc(len - ease, k);
    heading += ((curvature + k) / 2) * ease + k * (len - ease);
    curvature = k;
    left -= len;
    first = false;
  }
  return builder.done();
}

export const buildRoad: MapGenerator<z.infer<typeof RoadMap>> = (map, ego, rng) => {
  if (ego.lane !== 0) throw new MapReferenceError(['ego', 'lane'], `expected 0, the forward lane of a road map, got ${ego.lane}`);
  const b = new NetworkBuilder();
  // The seeded curve is the forward lane's centre, so the ego's lane is map.length long on every
  // seed and positions along it can be checked before any seed is drawn; the rest of the road is
  // laid out to its left.
  const reference = laneLine(map, rng);
  const w = map.laneWidth;
  const forward = b.lane('forward', reference, w, map.speedLimit);
  const backward = b.lane('backward', reference.offset(w).reversed(), w, map.speedLimit);
  b.marking(reference.offset(-w / 2), 'solid');
  b.marking(reference.offset(w / 2), map.maxCurvature > 0 ? 'double-yellow' : 'dashed');
  b.marking(reference.offset(1.5 * w), 'solid');

  if (map.crosswalks.length > 0) {
    b.sidewalk(reference.offset(-w / 2 - SIDEWALK_WIDTH / 2), SIDEWALK_WIDTH);
    b.sidewalk(reference.offset(1.5 * w + SIDEWALK_WIDTH / 2), SIDEWALK_WIDTH);
    for (const s of map.crosswalks) {
      const from = reference.toWorld(s, -w / 2 - SIDEWALK_WIDTH / 2, { x: 0, y: 0 });
      const to = reference.toWorld(s, 1.5 * w + SIDEWALK_WIDTH / 2, { x: 0, y: 0 });
      b.crosswalk(Path.fromPoints([from, to]), CROSSWALK_WIDTH, [forward, backward]);
    }
  }
  return {
    network: b.build(),
    egoRoute: [forward.id],
    spawnLanes: [forward.id, backward.id],
    roadLanes: 1,
    roadLane: (index, position) => (index === 0 ? { lane: forward.id, s: position } : { lane: backward.id, s: backward.path.length - position }),
  };
};
