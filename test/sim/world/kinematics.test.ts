import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { pedalsFor } from '../../../sim/control/pedals.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';
import type { EgoControls } from '../../../sim/world/EgoVehicle.ts';

/** An empty straight highway with the ego at `speed`. */
async function emptyRoad(speed: number): Promise<World> {
  await initPhysics();
  const s = resolveScenario('highway', { traffic: { vehicles: 0 }, map: { type: 'highway', length: 2000 }, ego: { speed, lane: 0 } });
  return new World(s, 0);
}

const controls: EgoControls = { steer: 0, throttle: 0, brake: 0 };

describe('ego vehicle kinematics', () => {
  it('cruising at 20 m/s covers v·t = 40 m in 2 s within 2%', async () => {
    const world = await emptyRoad(20);
    // Let the suspension settle, then hold the speed with the drivetrain's own feed-forward.
    for (let i = 0; i < 10; i++) world.step(pedalsFor(0, world.egoActor.speed, controls));
    const x0 = world.egoActor.x;
    for (let i = 0; i < 20; i++) world.step(pedalsFor(0.5 * (20 - world.egoActor.speed), world.egoActor.speed, controls));
    expect(world.time).toBeCloseTo(3, 9);
    expect(world.egoActor.x - x0).toBeGreaterThan(40 * 0.98);
    expect(world.egoActor.x - x0).toBeLessThan(40 * 1.02);
    expect(Math.abs(world.egoActor.y - world.route.pointAt(0, { x: 0, y: 0 }).y)).toBeLessThan(0.05);
  });

  it('brakes from 20 m/s to a stop in v²/(2a) with a ≈ 8.9 m/s², within 10%', async () => {
    const world = await emptyRoad(20);
    for (let i = 0; i < 5; i++) world.step(pedalsFor(0, world.egoActor.speed, controls));
    const x0 = world.egoActor.x;
    const v0 = world.egoActor.speed;
    let steps = 0;
    while (world.egoActor.speed > 0.05 && steps++ < 100) world.step({ steer: 0, throttle: 0, brake: 1 });
    const expected = (v0 * v0) / (2 * 8.9);
    expect(world.egoActor.x - x0).toBeGreaterThan(expected * 0.9);
    expect(world.egoActor.x - x0).toBeLessThan(expected * 1.1);
  });

  it('accelerates at full throttle at about F/m minus rolling resistance', async () => {
    const world = await emptyRoad(0);
    for (let i = 0; i < 10; i++) world.step({ steer: 0, throttle: 1, brake: 0 });
    // 6000 N / 1500 kg = 4 m/s², less 0.15 m/s² rolling resistance and a little drag: ≈ 3.8 m/s².
    expect(world.egoActor.speed / 1).toBeGreaterThan(3.6);
    expect(world.egoActor.speed / 1).toBeLessThan(4.0);
  });

  it('turns left for positive steer, on the kinematic radius at low speed', async () => {
    const world = await emptyRoad(5);
    const steer = 0.3;
    for (let i = 0; i < 30; i++) world.step(pedalsFor(0.8 * (5 - world.egoActor.speed), world.egoActor.speed, { ...controls, steer }));
    const a = world.egoActor;
    expect(a.yawRate).toBeGreaterThan(0);
    const radius = a.speed / a.yawRate;
    const kinematic = 2.8 / Math.tan(steer * 0.6);
    expect(radius / kinematic).toBeGreaterThan(0.9);
    expect(radius / kinematic).toBeLessThan(1.15);
  });
});

describe('ego contacts at the start', () => {
  it('a body within contact distance of the ego when the episode starts is its first step\'s collision', async () => {
    await initPhysics();
    // The ego's bumper is at 20 + 2.3 m and the barrier's back at 22.61 − 0.3 m: 1 cm apart,
    // inside Rapier's contact distance, so the contact exists before the first step and never starts again.
    const scenario = resolveScenario({ version: 1, id: 'touch', map: { type: 'highway' }, ego: { lane: 0, position: 20, speed: 0 }, traffic: { vehicles: 0 }, obstacles: [{ lane: 0, position: 22.61 }] } as never);
    const world = new World(scenario, 0);
    const first = world.step({ steer: 0, throttle: 0.3, brake: 0 });
    expect(first.collision?.kind).toBe('obstacle');
    expect(world.step({ steer: 0, throttle: 0.3, brake: 0 }).collision).toBeNull();
    world.free();
  });
});

