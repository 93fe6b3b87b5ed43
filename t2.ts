import { initPhysics, RAPIER } from './sim/world/physics.ts';
import { EgoVehicle } from './sim/world/EgoVehicle.ts';
import { createActor } from './sim/world/actors.ts';
await initPhysics();
function run(label: string, v0: number, ctl: (t: number, ego: EgoVehicle) => {steer:number, throttle:number, brake:number}, T: number) {
  const world = new RAPIER.World({ x: 0, y: -9.81, z: 0 });
  world.timestep = 0.02;
  world.createCollider(RAPIER.ColliderDesc.cuboid(5000, 0.5, 5000).setTranslation(0, -0.5, 0));
  const a = createActor(0, 'ego', 'car'); a.speed = v0;
  const ego = new EgoVehicle(world, a);
  const out: string[] = [];
  for (let i = 0; i < T / 0.02; i++) {
    ego.applyControls(ctl(i * 0.02, ego), 0.02);
    world.step();
    ego.readState(0.02);
    if (i % 25 === 24) out.push(`t=${((i+1)*0.02).toFixed(1)} x=${a.x.toFixed(1)} y=${a.y.toFixed(2)} h=${a.heading.toFixed(3)} v=${a.speed.toFixed(2)} acc=${a.accel.toFixed(2)} z=${ego.height().toFixed(3)}`);
  }
  console.log(label); console.log(out.join('\n'));
}
const which = process.argv[2];
if (which === 'cruise') run('coast 20', 20, () => ({ steer: 0, throttle: 0, brake: 0 }), 3);
if (which === 'accel') run('full throttle', 0, () => ({ steer: 0, throttle: 1, brake: 0 }), 4);
if (which === 'brake') run('full brake from 20', 20, () => ({ steer: 0, throttle: 0, brake: 1 }), 3);
if (which === 'turn') run('steer 0.3 at 10', 10, (t, e) => ({ steer: 0.3, throttle: e.actor.speed < 10 ? 0.3 : 0, brake: 0 }), 6);
if (which === 'turnfast') run('steer 0.5 at 25', 25, (t, e) => ({ steer: 0.5, throttle: 0.3, brake: 0 }), 4);
