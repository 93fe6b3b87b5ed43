/**
 * The shipped detector (models/detector-cnn) must still see: a change to the camera, the frame
 * layout or the decoding that breaks it shows here as lost AP, not only in a benchmark.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { drivelab } from '../../src/drivelab.ts';
import { initTf } from '../../../perception/runtime/tfjs.ts';
import { loadDetector } from '../../../perception/detectors/loader.ts';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { DrivingScene } from '../../../sim/scene/DrivingScene.ts';
import { Camera } from '../../../sim/sensors/camera/Camera.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

beforeAll(async () => {
  await Promise.all([initTf('wasm'), initPhysics()]);
});

describe('the shipped CNN detector', () => {
  it('finds the vehicles of held-out highway and merge frames: vehicle AP50 well above chance', async () => {
    const r = await drivelab('eval-detector', '--detector', 'cnn', '--scenario', 'highway,merge', '--seeds', '1000000..1000005', '--frames', '15', '--every', '8', '--json');
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result.objects).toBeGreaterThan(40);
    // Over all seven scenarios and 1,400 frames it scores 0.77; a few frames vary more.
    expect(result.overall.perClass.vehicle.ap50).toBeGreaterThan(0.6);
  }, 60_000);

  it('gives the same boxes in float32, float16 and uint8, within their rounding', async () => {
    const world = new World(resolveScenario('highway', { traffic: { vehicles: 30 } }), 1000002);
    const scene = new DrivingScene(world);
    for (let i = 0; i < 40; i++) world.step({ steer: 0, throttle: 0.4, brake: 0 });
    scene.sync(world);
    const f = new Camera({ type: 'camera', width: 128, height: 96 }).render(world, scene);
    const frame = { width: f.width, height: f.height, data: f.data.slice(), timestamp: f.timestamp, cameraId: f.cameraId, intrinsics: f.intrinsics };
    scene.dispose();
    world.free();
    const found: Record<string, { bbox: number[]; label: string; score: number }[]> = {};
    for (const precision of ['float32', 'float16', 'uint8']) {
      const d = await loadDetector('cnn', { precision, threshold: 0.3 });
      found[precision] = await d.detect(frame);
      d.dispose();
    }
    expect(found.float32.length).toBeGreaterThan(0);
    for (const precision of ['float16', 'uint8']) {
      for (const d of found.float32.filter((x) => x.score > 0.4)) {
        const twin = found[precision].find((x) => x.label === d.label && x.bbox.every((v, k) => Math.abs(v - d.bbox[k]) < (precision === 'uint8' ? 1.5 : 0.2)));
        expect(twin, `${precision}: ${JSON.stringify(d)}`).toBeDefined();
      }
    }
    await expect(loadDetector('cnn', { precision: 'int4' })).rejects.toThrow(/cnn: precision: expected one of float32, float16, uint8, got "int4"/);
  }, 60_000);
});
