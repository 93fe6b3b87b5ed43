/**
 * A straight main road with an on-ramp from the right. The ramp lane blends into the rightmost
 * lane over `mergeLength` (a zipper merge); the main road is split there into two sections so
 * lanes connect end to start.
 */
import type { MergeMap } from '../../../scenarios/schema.ts';
import type { z } from 'zod';
import { Path, type Point2 } from '../Path.ts';
import { NetworkBuilder } from '../NetworkBuilder.ts';
import type { Lane } from '../RoadNetwork.ts';
import { MapReferenceError, type MapGenerator } from './types.ts';

export const buildMerge: MapGenerator<z.infer<typeof MergeMap>> = (map, ego) => {
  if (!Number.isInteger(ego.lane) || ego.lane < -1 || ego.lane >= map.lanes) {
    throw new MapReferenceError(['ego', 'lane'], `expected -1 (the on-ramp) or a lane index from 0 to ${map.lanes - 1} on this merge map, got ${ego.lane}`);
  }
  const b = new NetworkBuilder();
  const w = map.laneWidth;
  const start = map.mergePosition;
  const end = map.mergePosition + map.mergeLength;
  const reference = Path.build(0, 0, 0).line(map.length).done();

  const before: Lane[] = [];
  const after: Lane[] = [];
  for (let i = 0; i < map.lanes; i++) {
    const centre = reference.offset((i + 0.5) * w);
    before.push(b.lane(`main/${i}/a`, centre.slice(0, end), w, map.speedLimit));
    after.push(b.lane(`main/${i}/b`, centre.slice(end, map.length), w, map.speedLimit));
  }
  b.neighbours(before);
  b.neighbours(after);
  for (let i = 0; i < map.lanes; i++) b.link(before[i], after[i]);

  // The ramp comes in from behind and to the right, tangent to the road where the blend begins.
  const rampEnd = { x: start, y: -w / 2 };
  const rampStart = { x: start - map.rampLength * 0.95, y: rampEnd.y - map.rampLength * 0.3 };
  const ramp = b.lane('ramp', Path.hermite(rampStart.x, rampStart.y, 0.32, rampEnd.x, rampEnd.y, 0, 0.8), w, map.rampSpeedLimit);
  const blendPoints: Point2[] = [];
  for (let i = 0; i <= 40; i++) {
    const t = i / 40;
    blendPoints.push({ x: start + map.mergeLength * t, y: -w / 2 + w * (3 * t * t - 2 * t * t * t) });
  }
  const blend = b.lane('merge', Path.fromPoints(blendPoints), w, map.speedLimit);
  blend.mergesInto = { lane: before[0].id, fromS: 0 };
  b.link(ramp, blend);
  b.link(blend, after[0]);

  b.marking(reference.slice(0, start), 'solid');
  b.marking(reference.slice(start, end), 'dashed');
  b.marking(reference.slice(end, map.length), 'solid');
  for (let i = 1; i < map.lanes; i++) b.marking(reference.offset(i * w), 'dashed');
  b.marking(reference.offset(map.lanes * w), 'solid');
  b.marking(ramp.path.offset(-w / 2), 'solid');
  b.marking(ramp.path.offset(w / 2), 'solid');
  b.marking(blend.path.offset(-w / 2), 'solid');

  const route = ego.lane < 0 ? [ramp.id, blend.id, after[0].id] : [before[ego.lane].id, after[ego.lane].id];
  return {
    network: b.build(),
    egoRoute: route,
    spawnLanes: [...before, ...after, ramp].map((l) => l.id),
    roadLanes: map.lanes,
    roadLane: (index, position) => (position < end ? { lane: before[index].id, s: position } : { lane: after[index].id, s: position - end }),
  };
};
