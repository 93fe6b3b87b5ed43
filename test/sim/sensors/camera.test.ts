import { createHash } from 'node:crypto';
import { BoxGeometry, BufferGeometry, Float32BufferAttribute, Group, Matrix4, Mesh, MeshLambertMaterial, PlaneGeometry, Scene } from 'three';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { ActorModels } from '../../../sim/scene/actorMeshes.ts';
import { DrivingScene } from '../../../sim/scene/DrivingScene.ts';
import { lightingFor, type Lighting } from '../../../sim/scene/lighting.ts';
import { SEMANTIC_CLASS_COUNT, SemanticClass } from '../../../sim/scene/semantics.ts';
import { Camera, cameraPose, mountMatrix } from '../../../sim/sensors/camera/Camera.ts';
import type { CameraFrame } from '../../../sim/sensors/camera/CameraFrame.ts';
import { rasterSceneFor, type RasterSource } from '../../../sim/sensors/camera/RasterScene.ts';
import { CameraSensor } from '../../../sim/sensors/CameraSensor.ts';
import { createActor } from '../../../sim/world/actors.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

const DRIVE = { steer: 0, throttle: 0.3, brake: 0 };
const DEG = Math.PI / 180;

/** A scene built by hand: static meshes and actor groups, no road network. */
function handScene(lighting: Lighting = lightingFor()): RasterSource & { staticRoot: Group; actorGroups: Group[]; actorRoot: Group } {
  const scene = new Scene();
  const staticRoot = new Group(), actorRoot = new Group();
  scene.add(staticRoot, actorRoot);
  return { scene, staticRoot, actorRoot, actorGroups: [], signals: { lamps: [] }, lighting };
}

function addStatic(src: { staticRoot: Group }, geometry: BufferGeometry, semantic: number): Mesh {
  const mesh = new Mesh(geometry, new MeshLambertMaterial({ color: 0x808080 }));
  mesh.userData.semantic = semantic;
  mesh.userData.instance = 0;
  src.staticRoot.add(mesh);
  return mesh;
}

/** Adds an actor group at ground (x, y) and heading; its meshes get instance actorId + 1. */
function addActor(src: { actorRoot: Group; actorGroups: Group[] }, group: Group, actorId: number, x: number, y: number, heading = 0): Group {
  group.userData.actorId = actorId;
  for (const c of group.children) {
    c.userData.instance = actorId + 1;
    c.userData.semantic ??= SemanticClass.vehicle;
  }
  group.position.set(x, 0, -y);
  group.rotation.y = heading;
  src.actorRoot.add(group);
  src.actorGroups.push(group);
  return group;
}

/** A flat triangle list in world coordinates. */
function triangles(...points: number[]): BufferGeometry {
  const g = new BufferGeometry();
  g.setAttribute('position', new Float32BufferAttribute(points, 3));
  return g;
}

/** Camera-to-world of a camera at ground (x, y), height z, looking along `heading` with mount angles [deg]. */
function pose(x: number, y: number, z: number, heading = 0, yaw = 0, pitch = 0): Float64Array {
  const m = cameraPose(x, y, heading, mountMatrix({ x: 0, y: 0, z, yaw, pitch, roll: 0 }, new Matrix4()), new Matrix4());
  return Float64Array.from(m.elements);
}

/** The tight box [x, y, w, h] of every instance in the mask, computed independently of groundTruth.ts. */
function maskBoxes(f: CameraFrame): Map<number, [number, number, number, number]> {
  const ext = new Map<number, number[]>();
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      const i = f.instance[y * f.width + x];
      if (i <= 0) continue;
      const e = ext.get(i);
      if (!e) ext.set(i, [x, y, x, y]);
      else { e[0] = Math.min(e[0], x); e[1] = Math.min(e[1], y); e[2] = Math.max(e[2], x); e[3] = Math.max(e[3], y); }
    }
  }
  return new Map([...ext].map(([i, e]) => [i, [e[0], e[1], e[2] - e[0] + 1, e[3] - e[1] + 1]]));
}

function frameHash(f: CameraFrame): string {
  const h = createHash('sha256');
  for (const a of [f.data, f.depth, f.semantic, f.instance]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

beforeAll(async () => {
  await initPhysics();
});

describe('camera projection and depth', () => {
  const W = 320, H = 240;
  const camera = new Camera({ type: 'camera', width: W, height: H, fov: 70, near: 0.1, far: 200 });
  const { fx, fy, cx, cy } = camera.frame.intrinsics;

  it('uses the pinhole intrinsics of the spec', () => {
    expect(fx).toBeCloseTo(W / 2 / Math.tan(35 * DEG), 9);
    expect(fy).toBe(fx);
    expect([cx, cy]).toEqual([W / 2, H / 2]);
  });

  it('(a) puts a box on the pixels computed by hand', () => {
    const src = handScene();
    const g = new Group();
    g.add(new Mesh(new BoxGeometry(1, 1, 1).translate(0, 1.5, 0), new MeshLambertMaterial()));
    addActor(src, g, 4, 20, 2);
    src.scene.updateMatrixWorld();
    const f = camera.renderFrom(rasterSceneFor(src), pose(0, 0, 1.5), 0);
    // Camera at (0, 1.5, 0) looking along +X: camera right = world +Z = ground −y, up = +Y, depth = X.
    let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
    for (const X of [19.5, 20.5]) for (const Y of [1, 2]) for (const Z of [-2.5, -1.5]) {
      const u = cx + (fx * Z) / X, v = cy - (fy * (Y - 1.5)) / X;
      u0 = Math.min(u0, u); u1 = Math.max(u1, u); v0 = Math.min(v0, v); v1 = Math.max(v1, v);
    }
    const boxes = camera.boxes();
    expect(boxes.map((b) => b.actorId)).toEqual([4]);
    const [x, y, w, h] = boxes[0].bbox;
    expect(Math.abs(x - u0)).toBeLessThanOrEqual(1);
    expect(Math.abs(x + w - u1)).toBeLessThanOrEqual(1);
    expect(Math.abs(y - v0)).toBeLessThanOrEqual(1);
    expect(Math.abs(y + h - v1)).toBeLessThanOrEqual(1);
    expect(boxes[0].visibleFraction).toBe(1);
    // The pixel under the near face's centre sees it, at its depth.
    const pu = Math.floor(cx + (fx * -2) / 19.5), pv = Math.floor(cy);
    expect(f.instance[pv * W + pu]).toBe(5);
    expect(f.depth[pv * W + pu]).toBeCloseTo(19.5, 3);
  });

  it('(a) turns the view by the mount yaw (left) and pitch (nose up)', () => {
    const src = handScene();
    const g = new Group();
    g.add(new Mesh(new BoxGeometry(0.2, 0.2, 0.2).translate(0, 1.5 + 20 * Math.tan(10 * DEG), 0), new MeshLambertMaterial()));
    // 30° to the left of a body heading 90° (north), 20 m out; the camera pitches 10° up.
    addActor(src, g, 0, 20 * Math.cos(120 * DEG), 20 * Math.sin(120 * DEG));
    src.scene.updateMatrixWorld();
    camera.renderFrom(rasterSceneFor(src), pose(0, 0, 1.5, 90 * DEG, 30, 10), 0);
    const [x, y, w, h] = camera.boxes()[0].bbox;
    expect(Math.abs(x + w / 2 - cx)).toBeLessThanOrEqual(1);
    expect(Math.abs(y + h / 2 - cy)).toBeLessThanOrEqual(1);
  });

  it('(b) measures a wall and the ground at their distances, perspective-correct', () => {
    const src = handScene();
    // A wall facing the camera 30 m ahead, the ground under it and a 15 cm marking 1.5 cm above the ground.
    addStatic(src, new PlaneGeometry(40, 40).rotateY(-Math.PI / 2).translate(30, 1.5, 0), SemanticClass.building);
    addStatic(src, triangles(-500, 0, 500, 500, 0, -500, -500, 0, -500, -500, 0, 500, 500, 0, 500, 500, 0, -500), SemanticClass.road);
    const m = 0.075, y = 0.015;
    addStatic(src, triangles(1, y, m, 29, y, -m, 1, y, -m, 1, y, m, 29, y, m, 29, y, -m), SemanticClass.laneMarking);
    const f = camera.renderFrom(rasterSceneFor(src), pose(0, 0, 1.5), 0);
    let wall = 0, ground = 0;
    for (let j = 0; j < H; j++) {
      let marking = 0;
      for (let i = 0; i < W; i++) {
        const p = j * W + i;
        if (f.semantic[p] === SemanticClass.building) {
          wall++;
          expect(Math.abs(f.depth[p] - 30) / 30).toBeLessThan(0.01);
        } else if (f.semantic[p] === SemanticClass.road) {
          ground++;
          // The ray through the pixel centre meets the ground at depth fy·h / (v − cy).
          expect(Math.abs(f.depth[p] - (fy * 1.5) / (j + 0.5 - cy)) / f.depth[p]).toBeLessThan(0.01);
        } else if (f.semantic[p] === SemanticClass.laneMarking) {
          marking++;
          expect(Math.abs(f.depth[p] - (fy * (1.5 - y)) / (j + 0.5 - cy)) / f.depth[p]).toBeLessThan(0.01);
        }
      }
      // Wherever the marking is over 1.5 px wide it shows in its row.
      const d = (fy * (1.5 - y)) / (j + 0.5 - cy);
      if (d > 1.2 && d < 28.5 && (2 * m * fx) / d > 1.5) expect(marking, `row ${j}`).toBeGreaterThan(0);
    }
    expect(wall).toBeGreaterThan(W * H * 0.2);
    expect(ground).toBeGreaterThan(W * H * 0.2);
  });
});

describe('(c) occlusion and visible fraction', () => {
  it('hides a car behind a van and halves one beside it', () => {
    const src = handScene();
    const models = new ActorModels();
    const van = createActor(1, 'vehicle', 'van');
    const hidden = createActor(2, 'vehicle', 'car');
    const half = createActor(3, 'vehicle', 'car');
    // The van spans lateral 0..−2 m (to the right) from 7.4 to 12.6 m, so its left side lies in the
    // vertical plane through the optical axis: it hides everything right of it up to its height.
    addActor(src, models.create(van), 1, 10, -1);
    addActor(src, models.create(hidden), 2, 25, -1);
    addActor(src, models.create(half), 3, 30, 0);
    src.scene.updateMatrixWorld();
    const camera = new Camera({ type: 'camera', width: 320, height: 240 });
    camera.renderFrom(rasterSceneFor(src), pose(0, 0, 1.4), 0);
    const boxes = new Map(camera.boxes().map((b) => [b.actorId, b]));
    expect(boxes.has(1)).toBe(true);
    expect(boxes.has(2)).toBe(false);
    const b = boxes.get(3)!;
    expect(b.visibleFraction).toBeGreaterThan(0.4);
    expect(b.visibleFraction).toBeLessThan(0.6);
    // Its visible half ends at the image centre column.
    expect(b.bbox[0] + b.bbox[2]).toBe(160);
  });
});

describe('on a busy highway', () => {
  let world: World;
  let scene: DrivingScene;
  beforeAll(() => {
    world = new World(resolveScenario('highway', { traffic: { vehicles: 80 } }), 3);
    scene = new DrivingScene(world);
    for (let i = 0; i < 30; i++) world.step(DRIVE);
    scene.sync(world);
  });
  afterAll(() => {
    scene.dispose();
    world.free();
  });

  it('(d) gives each box the exact tight box of its instance mask', () => {
    const camera = new Camera({ type: 'camera', width: 320, height: 240 });
    const f = camera.render(world, scene);
    const boxes = camera.boxes();
    const masks = maskBoxes(f);
    expect(boxes.length).toBeGreaterThanOrEqual(3);
    expect(boxes.length).toBe(masks.size);
    for (const b of boxes) {
      expect(b.bbox).toEqual(masks.get(b.instance));
      expect(b.actorId).toBe(b.instance - 1);
      expect(b.semantic).toBe(SemanticClass.vehicle);
      expect(b.visibleFraction).toBeGreaterThan(0);
      expect(b.visibleFraction).toBeLessThanOrEqual(1);
      let n = 0;
      for (let p = 0; p < f.instance.length; p++) if (f.instance[p] === b.instance) n++;
      expect(b.pixels).toBe(n);
    }
    // The ego's own body is not drawn by its camera.
    expect(masks.has(1)).toBe(false);
  });

  it('(g) renders 200 frames into the same buffers', () => {
    const camera = new Camera({ type: 'camera' });
    const f = camera.render(world, scene);
    const arrays = [f.data, f.depth, f.semantic, f.instance, f.pose, camera.rasterizer.coverCount, camera.rasterizer.triangle];
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 0) {
        world.step(DRIVE);
        scene.sync(world);
      }
      expect(camera.render(world, scene)).toBe(f);
    }
    expect([f.data, f.depth, f.semantic, f.instance, f.pose, camera.rasterizer.coverCount, camera.rasterizer.triangle]).toEqual(arrays);
    arrays.forEach((a, i) => expect([f.data, f.depth, f.semantic, f.instance, f.pose, camera.rasterizer.coverCount, camera.rasterizer.triangle][i]).toBe(a));
    expect(f.timestamp).toBe(world.time);
  });

  it('fills the observation spaces of the sensor', () => {
    const sensor = new CameraSensor({ type: 'camera', id: 'cam', width: 64, height: 48, fov: 70, near: 0.1, far: 200, mount: { x: 1, y: 0, z: 1.4, yaw: 0, pitch: -3, roll: 0 }, buffers: ['rgb', 'depth', 'semantic', 'instance'] }, 10);
    expect(Object.keys(sensor.spaces)).toEqual(['cam', 'cam.depth', 'cam.semantic', 'cam.instance']);
    expect(sensor.spaces.cam.shape).toEqual([48, 64, 3]);
    expect(sensor.spaces['cam.depth'].shape).toEqual([48, 64]);
    expect(sensor.rate).toBe(10);
    sensor.reset(world, world.sensorRng);
    const out: Record<string, Float32Array> = {};
    sensor.observe({ world, scene: () => scene }, out);
    for (const [k, space] of Object.entries(sensor.spaces)) expect(space.contains(out[k]), k).toBe(true);
    const f = sensor.lastFrame();
    expect(f.cameraId).toBe('cam');
    for (let p = 0; p < 64 * 48; p++) {
      expect(out['cam.depth'][p]).toBeCloseTo(Math.min(1, f.depth[p] / 200), 6);
      expect(out['cam.semantic'][p]).toBe(f.semantic[p]);
      expect(out.cam[p * 3 + 1]).toBeCloseTo(f.data[p * 3 + 1] / 255, 6);
    }
    expect(Math.max(...out['cam.semantic'])).toBeLessThan(SEMANTIC_CLASS_COUNT);
    expect(sensor.boxes().every((b) => b.bbox[2] > 0)).toBe(true);
  });
});

describe('(e) near-plane clipping', () => {
  const W = 128, H = 96;
  const camera = new Camera({ type: 'camera', width: W, height: H, near: 0.1, far: 1000 });
  const { fx, fy, cx, cy } = camera.frame.intrinsics;

  it('keeps a ground quad reaching behind the camera whole below the horizon', () => {
    const src = handScene();
    const s = 2000;
    addStatic(src, triangles(-s, 0, s, s, 0, -s, -s, 0, -s, -s, 0, s, s, 0, s, s, 0, -s), SemanticClass.terrain);
    const f = camera.renderFrom(rasterSceneFor(src), pose(0, 0, 1.5), 0);
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const p = j * W + i;
        if (j + 0.5 > cy) {
          expect(f.semantic[p], `pixel ${i},${j}`).toBe(SemanticClass.terrain);
          expect(Math.abs(f.depth[p] - (fy * 1.5) / (j + 0.5 - cy)) / f.depth[p]).toBeLessThan(0.01);
        } else {
          expect(f.semantic[p], `pixel ${i},${j}`).toBe(SemanticClass.sky);
          expect(f.depth[p]).toBe(Infinity);
        }
      }
    }
  });

  it('draws the part of a triangle in front of the camera, and only that', () => {
    const src = handScene();
    // In the plane Y = 1 (0.5 m below the camera), facing up; vertex A is 5 m behind it.
    const A = [-5, 1, 0.5], B = [9, 1, 7], C = [12, 1, -6];
    addStatic(src, triangles(...A, ...B, ...C), SemanticClass.road);
    const f = camera.renderFrom(rasterSceneFor(src), pose(0, 0, 1.5), 0);
    // By hand: the ray through each pixel centre meets Y = 1 at depth d = 0.5·fy/(v − cy), where the
    // ground point is (X, Z) = (d, (u − cx)·d/fx); inside ABC by its edge lines in the ground plane.
    const edge = (P: number[], Q: number[], x: number, z: number) => ((Q[0] - P[0]) * (z - P[2]) - (Q[2] - P[2]) * (x - P[0])) / Math.hypot(Q[0] - P[0], Q[2] - P[2]);
    const sign = Math.sign(edge(A, B, C[0], C[2]));
    let inside = 0, checked = 0;
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const v = j + 0.5 - cy, p = j * W + i;
        if (v <= 0) { expect(f.semantic[p]).toBe(SemanticClass.sky); continue; }
        const d = (0.5 * fy) / v, x = d, z = ((i + 0.5 - cx) * d) / fx;
        const e = [edge(A, B, x, z), edge(B, C, x, z), edge(C, A, x, z)].map((k) => k * sign);
        // Skip pixel centres within 0.01 px of an edge, where rounding may go either way.
        if (Math.min(...e.map(Math.abs)) * (fx / d) < 0.01) continue;
        const isInside = e.every((k) => k > 0);
        checked++;
        if (isInside) inside++;
        expect(f.semantic[p], `pixel ${i},${j}`).toBe(isInside ? SemanticClass.road : SemanticClass.sky);
      }
    }
    expect(inside).toBeGreaterThan(500);
    expect(checked).toBeGreaterThan(W * H * 0.45);
  });
});

describe('(f) determinism', () => {
  function render(seed: number): string {
    const world = new World(resolveScenario('highway'), seed);
    const scene = new DrivingScene(world);
    for (let i = 0; i < 10; i++) world.step(DRIVE);
    scene.sync(world);
    const camera = new Camera({ type: 'camera', width: 128, height: 96 });
    const first = frameHash(camera.render(world, scene));
    expect(frameHash(camera.render(world, scene))).toBe(first);
    scene.dispose();
    world.free();
    return first;
  }

  it('gives equal frames for equal seeds and different ones otherwise', () => {
    const a = render(11), b = render(11), c = render(12);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});

describe('lighting', () => {
  it('darkens the night and keeps tail lamps lit', () => {
    const shot = (timeOfDay: 'day' | 'night') => {
      const src = handScene(lightingFor({ timeOfDay }));
      addStatic(src, triangles(-500, 0, 500, 500, 0, -500, -500, 0, -500, -500, 0, 500, 500, 0, 500, 500, 0, -500), SemanticClass.road);
      addActor(src, new ActorModels().create(createActor(1, 'vehicle', 'car')), 1, 8, 0);
      src.scene.updateMatrixWorld();
      const camera = new Camera({ type: 'camera', width: 160, height: 120 });
      const f = camera.renderFrom(rasterSceneFor(src), pose(0, 0, 1.4), 0);
      let sum = 0, redLamp = 0;
      for (let p = 0; p < f.width * f.height; p++) {
        const r = f.data[p * 3], g = f.data[p * 3 + 1];
        sum += r + g + f.data[p * 3 + 2];
        if (f.instance[p] === 2 && r > 150 && g < 60) redLamp++;
      }
      return { mean: sum / (3 * f.width * f.height), redLamp };
    };
    const day = shot('day'), night = shot('night');
    expect(night.mean).toBeLessThan(day.mean / 4);
    expect(night.redLamp).toBeGreaterThan(0);
  });
});
