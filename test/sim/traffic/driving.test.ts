import { beforeAll, describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { Rng } from '../../../sim/rng.ts';
import { buildMap } from '../../../sim/road/maps/index.ts';
import { NetworkBuilder } from '../../../sim/road/NetworkBuilder.ts';
import { Path } from '../../../sim/road/Path.ts';
import { NO_LANE, type Lane } from '../../../sim/road/RoadNetwork.ts';
import { bendLimit, COMFORT_LATERAL_ACCEL, drivingAccel, sweepHits, type DrivingContext } from '../../../sim/traffic/driving.ts';
import { DEFAULT_IDM } from '../../../sim/traffic/idm.ts';
import { LaneOccupancy } from '../../../sim/traffic/LaneOccupancy.ts';
import { TrafficRules } from '../../../sim/traffic/TrafficRules.ts';
import { createActor, type Actor } from '../../../sim/world/actors.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

beforeAll(() => initPhysics());

/** A car on `lane` at arc length `s`, at rest unless a speed is given. */
function carOn(id: number, lane: Lane, s: number, speed = 0): Actor {
  const p = lane.path.pointAt(s, { x: 0, y: 0 });
  return Object.assign(createActor(id, 'vehicle', 'car'), { x: p.x, y: p.y, heading: lane.path.headingAt(s), speed, lane: lane.id, s });
}

/** The signalised one-lane intersection, its rules at time `t`, and each approach's lane, signal line and group. */
function signalled(actors: (approaches: { lane: Lane; line: number; group: number }[], connectors: Lane[]) => Actor[], t: number) {
  const s = resolveScenario('intersection', { traffic: { vehicles: 0 } });
  const { network } = buildMap(s.map, s.ego, Rng.seeded(0));
  const approaches: { lane: Lane; line: number; group: number }[] = [];
  for (const lane of network.lanes) for (const stop of lane.stops) if (stop.kind === 'signal') approaches.push({ lane, line: stop.s, group: stop.group });
  const connectors = network.lanes.filter((l) => l.kind === 'connector');
  const occupancy = new LaneOccupancy(network);
  const rules = new TrafficRules(network, occupancy);
  const list = actors(approaches, connectors);
  occupancy.rebuild(list);
  rules.update(t, list);
  const ctx: DrivingContext = { network, occupancy, rules };
  return { ctx, network, approaches, list };
}

/** A time at which `group` shows `state`. */
function timeWhen(network: ReturnType<typeof buildMap>['network'], group: number, state: 'red' | 'green'): number {
  let t = 0;
  while (network.signalPlan!.state(group, t) !== state) t += 0.1;
  return t;
}

describe('stopping at a line', () => {
  it('holds a car at a red light with its front bumper the jam gap plus 1 m short of the line', () => {
    const probe = signalled(() => [], 0);
    const { group } = probe.approaches[0];
    const red = timeWhen(probe.network, group, 'red');
    // IDM at rest: a(1 − (s0/gap)²), zero exactly when the gap is the jam distance s0.
    const held = (back: number) => {
      const { ctx, list } = signalled((aps) => [carOn(0, aps[0].lane, aps[0].line - 2.3 - DEFAULT_IDM.minGap - 1 - back)], red);
      const car = list[0];
      return drivingAccel(ctx, car, [car.lane, ...ctx.network.lanes[car.lane].next.slice(0, 1)], car.s, 14, DEFAULT_IDM);
    };
    expect(Math.abs(held(0))).toBeLessThan(1e-9);
    expect(held(1)).toBeGreaterThan(0); // further back: it creeps up
    expect(held(-0.5)).toBeLessThan(0); // nearer: it holds back
  });

  it('keeps a car at a green light while traffic of another approach is still inside the junction', () => {
    const probe = signalled(() => [], 0);
    const { group } = probe.approaches[0];
    const green = timeWhen(probe.network, group, 'green');
    const ask = (withCrossTraffic: boolean) => {
      const { ctx, list, approaches } = signalled((aps, connectors) => {
        const waiting = carOn(0, aps[0].lane, aps[0].line - 10);
        // A car on a connector that leaves from another arm than the waiting car's.
        const other = connectors.find((c) => !aps[0].lane.next.includes(c.id))!;
        return withCrossTraffic ? [waiting, carOn(1, other, other.path.length / 2, 5)] : [waiting];
      }, green);
      const car = list[0];
      return ctx.rules.stopDistance(car, [car.lane, ...ctx.network.lanes[car.lane].next.slice(0, 1)], car.s, 150) - (approaches[0].line - car.s);
    };
    expect(ask(false)).toBe(Infinity);
    expect(ask(true)).toBeCloseTo(0, 9);
  });
});

describe('braking for bends', () => {
  it('asks for a constant deceleration that gets to the bend\'s comfortable speed without braking harder than the bend needs', () => {
    // 20 m before a bend of radius 50 m, at 20 m/s; comfortable there: v_b² = 2.5 × 50 = 125 m²/s².
    const b = new NetworkBuilder();
    const straight = b.lane('straight', Path.fromPoints([{ x: 0, y: 0 }, { x: 40, y: 0 }]), 3.5, 30);
    const bend = b.lane('bend', Path.build(40, 0, 0).arc(80, 1 / 50).done(), 3.5, 30);
    b.link(straight, bend);
    const network = b.build();
    const vb2 = COMFORT_LATERAL_ACCEL * 50;
    const { accel } = bendLimit(network, [straight.id, bend.id], 20, 20);
    // Reaching v_b at the bend's start would take (v_b² − v²) / (2 × 20 m) = −6.9 m/s²; drivers
    // brake more gently and reach it a little way into the bend, but within 20 m of its start.
    expect(accel).toBeGreaterThan((vb2 - 400) / (2 * 20));
    expect(accel).toBeLessThan((vb2 - 400) / (2 * 40));
    expect(bendLimit(network, [straight.id, bend.id], 20, Math.sqrt(vb2) - 0.5).accel).toBe(Infinity);
  });
});

describe('sweeps ahead of a body', () => {
  it('grow the body by 0.15 m on each side', () => {
    const self = Object.assign(createActor(0, 'vehicle', 'car'), { x: 0, y: 0, heading: 0 });
    for (const [gap, hits] of [[0.1, true], [0.2, false]] as const) {
      // Alongside, flanks `gap` apart: only the margin can reach it.
      const other = Object.assign(createActor(1, 'vehicle', 'car'), { x: 0, y: 1.9 + gap, heading: 0 });
      expect(sweepHits(self, other, 0), `gap ${gap}`).toBe(hits);
    }
  });
});

describe('a body over the lane line', () => {
  it('is listed on the lane beside as well, although its centre is still in its own lane', () => {
    const s = resolveScenario('highway', { map: { type: 'highway', lanes: 2, laneWidth: 3.6 }, traffic: { vehicles: 1 }, ego: { lane: 0 } });
    const world = new World(s, 0, { trafficOnly: true });
    const npc = world.traffic.npcs[0];
    const lane = world.network.lanes[npc.actor.lane];
    const beside = lane.left !== NO_LANE ? lane.left : lane.right;
    const side = lane.left !== NO_LANE ? 1 : -1;
    // 1.2 m off the centre: the centre stays in the 3.6 m lane, the flank (1.2 + 0.95) is 0.35 m over the line.
    const q = lane.path.toWorld(npc.actor.s, side * 1.2, { x: 0, y: 0 });
    npc.nx = q.x;
    npc.ny = q.y;
    npc.nh = lane.path.headingAt(npc.actor.s);
    world.traffic.commit(0.1);
    expect(npc.actor.lane).toBe(lane.id);
    expect(npc.actor.lane2).toBe(beside);
    world.free();
  });
});
