import { beforeAll, describe, expect, it } from 'vitest';
import { make, resolveScenario } from '../../../sim/env/registry.ts';
import { SPAWN_GAP } from '../../../sim/traffic/placement.ts';
import { footprintsOverlap } from '../../../sim/world/footprint.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

beforeAll(() => initPhysics());

/** Pairs of NPC bodies overlapping now, and same-lane neighbours closer than `gap` by arc length. */
function clashes(world: World, gap: number): { overlaps: number; tooClose: number } {
  const npcs = world.traffic.npcs.map((n) => n.actor).filter((a) => a.active);
  let overlaps = 0, tooClose = 0;
  for (let i = 0; i < npcs.length; i++) {
    for (let j = i + 1; j < npcs.length; j++) {
      if (footprintsOverlap(npcs[i], npcs[j])) overlaps++;
      if (npcs[i].lane === npcs[j].lane && Math.abs(npcs[i].s - npcs[j].s) < gap - 1e-9) tooClose++;
    }
  }
  return { overlaps, tooClose };
}

describe('placing NPC vehicles', () => {
  it('keeps every vehicle placed at reset clear of the others, for every map type and dense requests', () => {
    for (const [id, vehicles] of [['highway', 120], ['merge', 60], ['intersection', 40], ['roundabout', 40], ['lane-keep-curvy', 40]] as const) {
      for (const seed of [0, 1, 2]) {
        const world = new World(resolveScenario(id, { traffic: { vehicles } }), seed);
        expect(clashes(world, SPAWN_GAP), `${id} seed ${seed}`).toEqual({ overlaps: 0, tooClose: 0 });
        world.free();
      }
    }
  });

  it('places about as many vehicles as the lanes hold and says how many it could not place', async () => {
    // Three 800 m lanes hold (800 − 16) / 12 + 1 = 66 vehicles each at the 12 m spacing: 198.
    const env = await make('highway', { traffic: { vehicles: 250 } });
    const { info } = env.reset({ seed: 4 });
    const placed = env.unwrapped.world.traffic.npcs.length;
    expect(placed).toBeGreaterThanOrEqual(180);
    expect(placed).toBeLessThanOrEqual(198);
    expect(info.warnings).toEqual([`traffic.vehicles: 250 requested, ${placed} placed; the spawn lanes have no room for more`]);
    env.close();
  });

  it('places every vehicle asked for when they fit, and warns of nothing', async () => {
    const env = await make('highway', { traffic: { vehicles: 150 } });
    const { info } = env.reset({ seed: 4 });
    expect(env.unwrapped.world.traffic.npcs.length).toBe(150);
    expect(info.warnings).toBeUndefined();
    env.close();
  });

  it('never lets two re-entering vehicles share a spot, even when several re-enter in one step', () => {
    // A short two-lane road: vehicles reach its end side by side and re-enter every few seconds.
    const scenario = resolveScenario('highway', {
      map: { type: 'highway', lanes: 2, length: 150 },
      ego: { lane: 0, position: 20 },
      traffic: { vehicles: 12, speed: [25, 25] },
      goal: { type: 'survive' },
    });
    for (const seed of [0, 1, 2, 3]) {
      const world = new World(scenario, seed, { trafficOnly: true });
      let worst = { overlaps: 0, tooClose: 0 };
      for (let k = 0; k < 1200; k++) {
        world.step({ steer: 0, throttle: 0, brake: 0 });
        const c = clashes(world, 4.6);
        if (c.overlaps + c.tooClose > worst.overlaps + worst.tooClose) worst = c;
      }
      expect(world.traffic.stats.exits, `seed ${seed}`).toBeGreaterThan(40);
      expect(worst, `seed ${seed}`).toEqual({ overlaps: 0, tooClose: 0 });
      expect(world.npcContacts.total).toBe(0);
      world.free();
    }
  });

  it('keeps a vehicle out while another changing onto the source lane is within the 30 m it needs to re-enter', () => {
    const scenario = resolveScenario('highway', { map: { type: 'highway', lanes: 2 }, ego: { lane: 0 }, traffic: { vehicles: 2 } });
    const world = new World(scenario, 0, { trafficOnly: true });
    const [out, changer] = world.traffic.npcs;
    const [right, left] = [0, 1].map((i) => world.network.lanes.find((l) => l.name === `main/${i}`)!);
    // Retired, waiting to re-enter at 3 m on a source lane.
    Object.assign(out.actor, { active: false, lane: -1, lane2: -1, speed: 0, x: -1000, y: -1000 });
    // The other car 15 m along the left lane, half over the line into the right one: on the right
    // lane its centre is 12 m from the entry point, so only the lane's list of who is on it shows it.
    const q = left.path.toWorld(15, -1.8, { x: 0, y: 0 });
    Object.assign(changer.actor, { x: q.x, y: q.y, heading: 0, lane: left.id, s: 15, lane2: right.id, s2: 15, speed: 0 });
    world.occupancy.rebuild(world.actors);
    for (let k = 0; k < 20; k++) world.traffic.decide(k * 0.1, 0.1);
    expect(out.actor.active).toBe(false);
    world.free();
  });
});

