import { describe, expect, it } from 'vitest';
import { DEFAULT_IDM, idmAccel } from '../../../sim/traffic/idm.ts';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

describe('IDM', () => {
  it('accelerates at a on a free road from rest and stops accelerating at the desired speed', () => {
    expect(idmAccel(DEFAULT_IDM, 0, 30, Infinity, 0)).toBeCloseTo(DEFAULT_IDM.accel, 9);
    expect(idmAccel(DEFAULT_IDM, 30, 30, Infinity, 0)).toBeCloseTo(0, 9);
  });

  it('holds the equilibrium gap s0 + vT behind a leader at the same speed', () => {
    const v = 20;
    const sStar = DEFAULT_IDM.minGap + v * DEFAULT_IDM.timeHeadway;
    // At the equilibrium gap of a leader at the desired speed, only the free-road term is missing.
    const a = idmAccel(DEFAULT_IDM, v, 1e9, sStar, v);
    expect(a).toBeCloseTo(0, 6);
  });

  for (const brake of [3, 6, 8]) {
    it(`following a leader braking at ${brake} m/s² from 25 m/s to a stop never collides`, () => {
      const dt = 0.02;
      let xl = 0, vl = 25;
      let vf = 25;
      let xf = -(DEFAULT_IDM.minGap + vf * DEFAULT_IDM.timeHeadway) - 4.6;
      let minGap = Infinity;
      for (let t = 0; t < 20; t += dt) {
        const gap = xl - xf - 4.6;
        minGap = Math.min(minGap, gap);
        const af = idmAccel(DEFAULT_IDM, vf, 30, gap, vl);
        vl = Math.max(0, vl - brake * dt);
        xl += vl * dt;
        vf = Math.max(0, vf + af * dt);
        xf += vf * dt;
      }
      expect(minGap).toBeGreaterThan(0.5);
      expect(vf).toBeLessThan(0.1);
    });
  }

  it('an NPC behind the ego stops without touching it when the ego brakes hard', async () => {
    await initPhysics();
    const s = resolveScenario('highway', {
      map: { type: 'highway', lanes: 1 },
      ego: { lane: 0, position: 200, speed: 22 },
      traffic: { vehicles: 1, speed: [25, 25], behavior: 'idm' },
    });
    let hits = 0;
    let checked = 0;
    for (let seed = 0; seed < 6; seed++) {
      const world = new World(s, seed);
      const npc = world.actors.find((a) => a.kind === 'vehicle')!;
      if (npc.x > world.egoActor.x) continue;
      checked++;
      for (let i = 0; i < 60; i++) world.step({ steer: 0, throttle: 0.35, brake: 0 });
      for (let i = 0; i < 250; i++) if (world.step({ steer: 0, throttle: 0, brake: 1 }).collision) hits++;
      expect(npc.speed).toBeLessThan(0.5);
      expect(world.egoActor.x - npc.x).toBeGreaterThan(4.6);
      world.free();
    }
    expect(checked).toBeGreaterThan(0);
    expect(hits).toBe(0);
  });
});
