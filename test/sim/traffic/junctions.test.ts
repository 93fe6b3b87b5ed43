import { beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioOverrides } from '../../../scenarios/parse.ts';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

beforeAll(() => initPhysics());

const MINUTES = 5;

/**
 * Traffic alone for MINUTES simulated minutes: exits per minute, the longest time any vehicle
 * stood still, vehicles taken out of jams, and contacts between vehicles.
 */
function runTraffic(id: string, overrides: ScenarioOverrides, seed: number) {
  const world = new World(resolveScenario(id, overrides), seed, { trafficOnly: true });
  const stepsPerMinute = Math.round(60 / world.scenario.sim.stepDt);
  const exitsPerMinute: number[] = [];
  let last = 0;
  for (let k = 1; k <= MINUTES * stepsPerMinute; k++) {
    world.step({ steer: 0, throttle: 0, brake: 0 });
    if (k % stepsPerMinute === 0) {
      exitsPerMinute.push(world.traffic.stats.exits - last);
      last = world.traffic.stats.exits;
    }
  }
  const result = { exitsPerMinute, ...world.traffic.stats, contacts: world.npcContacts.total, cycle: world.network.signalPlan?.cycle ?? 0, green: world.network.signalPlan?.green ?? 0 };
  world.free();
  return result;
}

describe('junction right of way, with traffic alone for minutes', () => {
  // [scenario, overrides, longest acceptable standstill of any one vehicle [s]]
  const cases: [string, ScenarioOverrides, number][] = [
    ['intersection', { map: { type: 'intersection', signals: false } }, 40],
    ['intersection', { map: { type: 'intersection', signals: false }, traffic: { vehicles: 40 } }, 40],
    ['roundabout', {}, 40],
    ['roundabout', { traffic: { vehicles: 40 } }, 45],
    ['merge', {}, 20],
    ['merge', { traffic: { vehicles: 50 } }, 20],
    ['pedestrian-crossing', { traffic: { vehicles: 16, pedestrians: 12 } }, 30],
  ];
  for (const [id, overrides, maxWait] of cases) {
    it(`keeps ${id} ${JSON.stringify(overrides)} flowing: exits every minute, nobody stands more than ${maxWait} s`, () => {
      for (const seed of [0, 1]) {
        const r = runTraffic(id, overrides, seed);
        const label = `seed ${seed}: ${JSON.stringify(r)}`;
        expect(Math.min(...r.exitsPerMinute), label).toBeGreaterThan(0);
        expect(r.longestWait, label).toBeLessThanOrEqual(maxWait);
        expect(r.jamRemovals, label).toBe(0);
        expect(r.contacts, label).toBe(0);
      }
    });
  }

  for (const vehicles of [12, 40]) {
    it(`keeps a signalised intersection with ${vehicles} vehicles flowing: nobody waits longer than a cycle and a green`, () => {
      for (const seed of [0, 1]) {
        const r = runTraffic('intersection', { traffic: { vehicles } }, seed);
        const label = `seed ${seed}: ${JSON.stringify(r)}`;
        expect(r.cycle).toBeGreaterThan(0);
        expect(Math.min(...r.exitsPerMinute), label).toBeGreaterThan(0);
        // A queue head waits at most the red of its group; a car further back may need one more green.
        expect(r.longestWait, label).toBeLessThanOrEqual(r.cycle + r.green);
        expect(r.jamRemovals, label).toBe(0);
        expect(r.contacts, label).toBe(0);
      }
    });
  }
});
