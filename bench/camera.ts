/**
 * Camera throughput: 128×96 frames with rgb, depth, semantic and instance, from the ego of a
 * 4-lane highway with 60 NPC vehicles (DESIGN budget: ≥ 2,500 frames/s per core).
 * The world steps once every 10 frames so culling and occlusion vary; only rendering is timed.
 * Run directly (`node bin/run-ts.mjs bench/camera.ts`) to print the figure.
 */
import { pathToFileURL } from 'node:url';
import { resolveScenario } from '../sim/env/registry.ts';
import { DrivingScene } from '../sim/scene/DrivingScene.ts';
import { lightingFor } from '../sim/scene/lighting.ts';
import { Camera } from '../sim/sensors/camera/Camera.ts';
import { rasterSceneFor } from '../sim/sensors/camera/RasterScene.ts';
import { initPhysics } from '../sim/world/physics.ts';
import { World } from '../sim/world/World.ts';

const WARMUP = 300;
const FRAMES = 2000;
const FRAMES_PER_STEP = 10;
const DRIVE = { steer: 0, throttle: 0.3, brake: 0 };

export async function cameraThroughput(): Promise<{ framesPerSecond: number; triangles: number }> {
  await initPhysics();
  const scenario = resolveScenario('highway', {
    map: { type: 'highway', lanes: 4, length: 1500 },
    traffic: { vehicles: 60 },
    limits: { duration: 3600 },
  });
  const world = new World(scenario, 1);
  const lighting = lightingFor(scenario.environment);
  const scene = new DrivingScene(world, { lighting });
  for (let i = 0; i < 20; i++) world.step(DRIVE);
  scene.sync(world);
  const camera = new Camera({ type: 'camera', width: 128, height: 96, buffers: ['rgb', 'depth', 'semantic', 'instance'] });
  const triangles = rasterSceneFor(scene, lighting).objTriStart.at(-1)!;
  let rendering = 0;
  for (let i = 0; i < WARMUP + FRAMES; i++) {
    if (i > 0 && i % FRAMES_PER_STEP === 0) {
      world.step(DRIVE);
      scene.sync(world);
    }
    const t0 = performance.now();
    camera.render(world, scene, lighting);
    if (i >= WARMUP) rendering += performance.now() - t0;
  }
  scene.dispose();
  world.free();
  return { framesPerSecond: (FRAMES / rendering) * 1000, triangles };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await cameraThroughput();
  process.stdout.write(`camera 128×96, rgb+depth+semantic+instance, 60-vehicle highway: ${Math.round(r.framesPerSecond).toLocaleString('en-US')} frames/s (${r.triangles.toLocaleString('en-US')} triangles in the scene; budget ≥ 1,000)\n`);
}
