import { Box3, type Group, type Mesh, type MeshLambertMaterial, type Object3D, Vector3 } from 'three';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinScenario, builtinScenarioIds } from '../../../scenarios/library.ts';
import { wrapAngle } from '../../../sim/road/Path.ts';
import { DrivingScene } from '../../../sim/scene/DrivingScene.ts';
import { SEMANTIC_CLASS_COUNT, SemanticClass } from '../../../sim/scene/semantics.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

const DRIVE = { steer: 0, throttle: 0.3, brake: 0 };

function meshes(root: Object3D): Mesh[] {
  const out: Mesh[] = [];
  root.traverse((o) => {
    if ((o as Mesh).isMesh) out.push(o as Mesh);
  });
  return out;
}

function mesh(scene: DrivingScene, name: string): Mesh {
  const m = scene.staticRoot.getObjectByName(name) as Mesh | undefined;
  if (!m) throw new Error(`no mesh ${name}`);
  return m;
}

/** The group's bounding box in its own axes (+X forward), measured at the origin with no yaw. */
function localBox(group: Group): Box3 {
  const p = group.position.clone(), yaw = group.rotation.y;
  group.position.set(0, 0, 0);
  group.rotation.y = 0;
  group.updateMatrixWorld(true);
  const box = new Box3().setFromObject(group);
  group.position.copy(p);
  group.rotation.y = yaw;
  group.updateMatrixWorld(true);
  return box;
}

beforeAll(async () => {
  await initPhysics();
});

describe('DrivingScene', () => {
  const built: { world: World; scene: DrivingScene }[] = [];
  const open = (id: string): { world: World; scene: DrivingScene } => {
    const scenario = builtinScenario(id);
    if (!scenario) throw new Error(`no scenario ${id}`);
    const world = new World(scenario, 7);
    const scene = new DrivingScene(world);
    built.push({ world, scene });
    return { world, scene };
  };
  afterAll(() => {
    for (const b of built) {
      b.scene.dispose();
      b.world.free();
    }
  });

  it.each(builtinScenarioIds)('builds %s and follows its actors for 20 steps', (id) => {
    const { world, scene } = open(id);
    for (const m of meshes(scene.scene)) {
      expect(typeof m.userData.semantic, m.name).toBe('number');
      expect(typeof m.userData.instance, m.name).toBe('number');
      expect(m.userData.semantic).toBeGreaterThanOrEqual(1);
      expect(m.userData.semantic).toBeLessThan(SEMANTIC_CLASS_COUNT);
    }
    for (const m of meshes(scene.staticRoot)) expect(m.userData.instance).toBe(0);
    expect(scene.actorGroups.length).toBe(world.actors.length);
    expect(scene.scene.getObjectByName('ambient')).toBeDefined();
    expect(scene.scene.getObjectByName('sun')).toBeDefined();

    const children = scene.actorRoot.children.length;
    for (let i = 0; i < 20; i++) {
      world.step(DRIVE);
      scene.sync(world);
    }
    expect(scene.actorRoot.children.length).toBe(children);

    const p = new Vector3();
    world.actors.forEach((a, i) => {
      const g = scene.actorGroups[i];
      expect(g.visible).toBe(a.active);
      for (const m of meshes(g)) expect(m.userData.instance).toBe(a.id + 1);
      if (!a.active) return;
      g.getWorldPosition(p);
      expect(Math.abs(p.x - a.x)).toBeLessThan(1e-6);
      expect(Math.abs(p.z + a.y)).toBeLessThan(1e-6);
      expect(Math.abs(wrapAngle(g.rotation.y - a.heading))).toBeLessThan(1e-9);
    });
    const ego = meshes(scene.actorGroups[0]);
    expect(ego.every((m) => m.userData.semantic === SemanticClass.vehicle)).toBe(true);

    // An actor parked out of the world disappears from the scene and comes back when re-entered.
    const last = world.actors[world.actors.length - 1];
    const wasActive = last.active;
    last.active = false;
    scene.sync(world);
    expect(scene.actorGroups[world.actors.length - 1].visible).toBe(false);
    last.active = wasActive;
    scene.sync(world);
    expect(scene.actorGroups[world.actors.length - 1].visible).toBe(wasActive);
  });

  it('sizes vehicle bodies to their actors and keeps markings just above the road', () => {
    const { world, scene } = open('highway');
    for (const [i, a] of world.actors.entries()) {
      if (a.model !== 'car' && a.model !== 'van') continue;
      const size = localBox(scene.actorGroups[i]).getSize(new Vector3());
      expect(Math.abs(size.x - a.length) / a.length).toBeLessThan(0.1);
      expect(Math.abs(size.z - a.width) / a.width).toBeLessThan(0.1);
      expect(Math.abs(size.y - a.height) / a.height).toBeLessThan(0.1);
    }
    const road = new Box3().setFromObject(mesh(scene, 'road'));
    const terrain = new Box3().setFromObject(mesh(scene, 'terrain'));
    for (const name of ['marking-white']) {
      const marking = new Box3().setFromObject(mesh(scene, name));
      expect(marking.min.y).toBeGreaterThan(road.max.y);
      expect(marking.max.y - road.max.y).toBeLessThanOrEqual(0.05);
    }
    expect(terrain.max.y).toBeLessThan(road.min.y);
    expect(meshes(scene.staticRoot).some((m) => m.userData.semantic === SemanticClass.building)).toBe(true);
    // Merged geometry: tens of meshes, not one per marking or lane.
    expect(meshes(scene.scene).length).toBeLessThan(200);
  });

  it('puts every body on the ground and pedestrians at their height', () => {
    const { world, scene } = open('pedestrian-crossing');
    const walkers = world.actors.map((a, i) => [a, scene.actorGroups[i]] as const).filter(([a]) => a.kind === 'pedestrian');
    expect(walkers.length).toBeGreaterThan(0);
    for (const [a, g] of walkers) {
      const box = localBox(g);
      expect(box.min.y).toBeCloseTo(0, 6);
      expect(Math.abs(box.max.y - a.height)).toBeLessThan(0.01);
      expect(meshes(g).every((m) => m.userData.semantic === SemanticClass.pedestrian)).toBe(true);
    }
    expect(meshes(scene.staticRoot).some((m) => m.userData.semantic === SemanticClass.crosswalk)).toBe(true);
    expect(meshes(scene.staticRoot).some((m) => m.userData.semantic === SemanticClass.sidewalk)).toBe(true);
  });

  it('lights exactly one green group at a time at the signalised intersection', () => {
    const { world, scene } = open('intersection');
    const plan = world.network.signalPlan!;
    const lamps = scene.signals.lamps;
    expect(lamps.length).toBe(world.network.signals.length * 3);
    const slot = plan.green + plan.yellow + plan.allRed;
    for (let t = 0; t < plan.cycle * 2; t += 1.3) {
      scene.updateSignals(t);
      const green = new Set(lamps.filter((l) => l.userData.lit && l.userData.lamp === 'green').map((l) => l.userData.signalGroup));
      expect(green.size).toBeLessThanOrEqual(1);
      // One lit lamp per head, and it is the plan's state.
      for (const l of lamps) expect(l.userData.lit).toBe(plan.state(l.userData.signalGroup, t) === l.userData.lamp);
    }
    for (let g = 0; g < plan.groups; g++) {
      scene.updateSignals(g * slot + plan.green / 2);
      const lit = lamps.filter((l) => l.userData.lit && l.userData.lamp === 'green');
      expect(new Set(lit.map((l) => l.userData.signalGroup))).toEqual(new Set([g]));
      const on = (lit[0].material as MeshLambertMaterial).color;
      const off = (lamps.find((l) => l.userData.signalGroup !== g && l.userData.lamp === 'green')!.material as MeshLambertMaterial).color;
      expect(on.g).toBeGreaterThan(off.g * 3);
    }
  });

  it('disposes without error and leaves an empty scene', () => {
    const scenario = builtinScenario('roundabout')!;
    const world = new World(scenario, 3);
    const scene = new DrivingScene(world, { buildings: false });
    expect(meshes(scene.staticRoot).some((m) => m.name === 'islands')).toBe(true);
    expect(meshes(scene.staticRoot).some((m) => m.userData.semantic === SemanticClass.building)).toBe(false);
    scene.dispose();
    expect(scene.scene.children.length).toBe(0);
    world.free();
  });
});

describe('the env keeps its scene in sync', () => {
  it('builds the scene on first use and moves the ego group with the ego every step', async () => {
    const { make } = await import('../../../sim/env/registry.ts');
    const env = await make('highway');
    env.reset({ seed: 2 });
    const scene = env.unwrapped.scene;
    const egoGroup = scene.actorGroups[0];
    for (let i = 0; i < 15; i++) env.step(Float32Array.of(0, 0.5));
    const ego = env.unwrapped.world.egoActor;
    expect(egoGroup.position.x).toBeCloseTo(ego.x, 6);
    expect(egoGroup.position.z).toBeCloseTo(-ego.y, 6);
    env.reset({ seed: 3 });
    expect(env.unwrapped.scene).not.toBe(scene);
    env.close();
  });
});
