import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { Rng } from '../../../sim/rng.ts';
import { buildMap } from '../../../sim/road/maps/index.ts';
import type { Lane } from '../../../sim/road/RoadNetwork.ts';
import { LaneOccupancy } from '../../../sim/traffic/LaneOccupancy.ts';
import { TrafficRules } from '../../../sim/traffic/TrafficRules.ts';
import { createActor, type Actor } from '../../../sim/world/actors.ts';

/** An all-way-stop intersection and a car standing `before` metres (centre) short of each of two approaches' lines. */
function junction(before: number) {
  const s = resolveScenario('intersection', { map: { type: 'intersection', signals: false } });
  const { network } = buildMap(s.map, s.ego, Rng.seeded(0));
  const approaches: { lane: Lane; line: number; group: number }[] = [];
  for (const lane of network.lanes) {
    for (const stop of lane.stops) if (stop.kind === 'allway' && !approaches.some((a) => a.group === stop.group)) approaches.push({ lane, line: stop.s, group: stop.group });
  }
  const place = (id: number, k: number, dist: number): Actor => {
    const { lane, line } = approaches[k];
    const a = createActor(id, 'vehicle', 'car');
    const p = lane.path.pointAt(line - dist, { x: 0, y: 0 });
    return Object.assign(a, { x: p.x, y: p.y, heading: lane.path.headingAt(line - dist), speed: 0, lane: lane.id, s: line - dist });
  };
  const a = place(1, 0, before);
  const b = place(2, 1, before);
  const occupancy = new LaneOccupancy(network);
  const rules = new TrafficRules(network, occupancy);
  occupancy.rebuild([a, b]);
  const mayGo = (car: Actor) => rules.stopDistance(car, [car.lane, ...network.lanes[car.lane].next.slice(0, 1)], car.s, 150) === Infinity;
  return { rules, a, b, mayGo, actors: [a, b] };
}

describe('all-way stop', () => {
  it('lets the first car to stop go first, however far short of the line the car-following gap left it', () => {
    // Drivers stop a jam gap plus half a body short of the line: about 5.8 m for a car.
    const { rules, a, b, mayGo, actors } = junction(5.8);
    rules.update(0, actors);
    expect(mayGo(a)).toBe(true); // alone at the junction
    rules.update(0.1, actors);
    expect(mayGo(b)).toBe(false); // arrived second
    expect(mayGo(a)).toBe(true);
  });

  it('forgets a car that stopped and then went away without crossing, so the others are not held forever', () => {
    const { rules, a, b, mayGo, actors } = junction(5.8);
    rules.update(0, actors);
    mayGo(a);
    let t = 0.1;
    // While the first car is still there and asking, the second waits.
    for (; t < 3; t += 0.1) {
      rules.update(t, actors);
      mayGo(a);
      expect(mayGo(b)).toBe(false);
    }
    // The first car leaves the road (taken out of a jam): it asks no more.
    a.active = false;
    let wentAt = Infinity;
    for (; t < 20 && wentAt === Infinity; t += 0.1) {
      rules.update(t, actors);
      if (mayGo(b)) wentAt = t;
    }
    expect(wentAt).toBeLessThan(4);
  });
});
