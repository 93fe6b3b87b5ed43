import { beforeAll, describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { Rng } from '../../../sim/rng.ts';
import { initPhysics, RAPIER } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

beforeAll(() => initPhysics());

describe('RayCaster', () => {
  it('hits what Rapier’s own World.castRay hits, at the same distance, and never the ego', () => {
    const world = new World(resolveScenario('intersection', { traffic: { vehicles: 20, pedestrians: 6 } }), 3);
    for (let k = 0; k < 20; k++) world.step({ steer: 0, throttle: 0.5, brake: 0 });
    const rng = Rng.seeded(9);
    const ray = new RAPIER.Ray({ x: 0, y: 0, z: 0 }, { x: 1, y: 0, z: 0 });
    const ego = world.egoActor;
    let hits = 0, misses = 0, egoHits = 0;
    for (let n = 0; n < 3000; n++) {
      // From the ego's roof, or from anywhere around it.
      const x = n % 2 ? ego.x : ego.x + rng.uniform(-40, 40);
      const y = n % 2 ? ego.y : ego.y + rng.uniform(-40, 40);
      const z = rng.uniform(0.2, 3);
      const el = rng.uniform(-0.6, 0.3), az = rng.uniform(-Math.PI, Math.PI);
      const dx = Math.cos(el) * Math.cos(az), dy = Math.cos(el) * Math.sin(az), dz = Math.sin(el);
      world.rays.setOrigin(x, y, z);
      const toi = world.rays.cast(dx, dy, dz, 80);
      // Half the rays start inside the ego's body, which a solid cast would hit at 0.
      if (world.rays.collider === world.ego.collider.handle) egoHits++;
      ray.origin = { x, y: z, z: -y };
      ray.dir = { x: dx, y: dz, z: -dy };
      const hit = world.physics.castRay(ray, 80, true, undefined, undefined, world.ego.collider);
      if (!hit) {
        expect(toi).toBe(-1);
        misses++;
        continue;
      }
      expect(toi).toBe(hit.timeOfImpact);
      expect(world.rays.collider).toBe(hit.collider.handle);
      hits++;
    }
    expect(hits).toBeGreaterThan(1000);
    expect(misses).toBeGreaterThan(100);
    expect(egoHits).toBe(0);
    world.free();
  });
});
