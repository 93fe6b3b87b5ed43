/**
 * The three.js scene of one world: static road meshes, one Group per actor, signal lamps and the
 * lights. It is the visual truth that the camera rasteriser and the browser viewer both draw;
 * `sync` copies the world's state into it after each step without allocating.
 */
import { AmbientLight, Color, DirectionalLight, Group, Scene, type BufferGeometry, type Material, type Mesh } from 'three';
import type { RoadNetwork } from '../road/RoadNetwork.ts';
import type { Actor } from '../world/actors.ts';
import type { World } from '../world/World.ts';
import { ActorModels } from './actorMeshes.ts';
import { buildRoadMeshes, type RoadMeshOptions } from './roadMeshes.ts';
import { SignalMeshes } from './signalMeshes.ts';

export const SKY_COLOUR = 0x9cc4e8;
/**
 * Direction towards the sun in world axes (X east, Y up, Z south): from the south-east, about 50°
 * up, so vehicle sides facing the common +x and −x headings are lit differently.
 */
const SUN_DIRECTION = { x: 0.45, y: 1, z: 0.4 } as const;
/** Distance of the sun light from its target; only its direction matters for a DirectionalLight [m] */
const SUN_DISTANCE = 100;

export class DrivingScene {
  readonly scene = new Scene();
  /** Static meshes: terrain, road, markings, crosswalks, sidewalks, islands, buildings */
  readonly staticRoot = new Group();
  /** Parent of the actor groups */
  readonly actorRoot = new Group();
  /** One group per actor, in the order of `world.actors` (the ego first) */
  readonly actorGroups: Group[] = [];
  readonly signals: SignalMeshes;
  readonly ambient: AmbientLight;
  readonly sun: DirectionalLight;
  private readonly network: RoadNetwork;
  private readonly models = new ActorModels();

  constructor(world: World, options: RoadMeshOptions = {}) {
    this.network = world.network;
    this.scene.name = 'driving-scene';
    this.scene.background = new Color(SKY_COLOUR);

    this.staticRoot.name = 'static';
    for (const mesh of buildRoadMeshes(world.network, options)) this.staticRoot.add(mesh);
    this.signals = new SignalMeshes(world.network);
    this.staticRoot.add(this.signals.root);
    this.scene.add(this.staticRoot);

    this.actorRoot.name = 'actors';
    this.scene.add(this.actorRoot);
    for (const actor of world.actors) this.addActor(actor);

    this.ambient = new AmbientLight(0xdde6f0, 1.0);
    this.ambient.name = 'ambient';
    this.sun = new DirectionalLight(0xfff3e0, 2.0);
    this.sun.name = 'sun';
    const b = world.network.bounds;
    const cx = (b.minX + b.maxX) / 2, cz = -(b.minY + b.maxY) / 2;
    const len = Math.hypot(SUN_DIRECTION.x, SUN_DIRECTION.y, SUN_DIRECTION.z);
    this.sun.target.position.set(cx, 0, cz);
    this.sun.position.set(
      cx + (SUN_DIRECTION.x / len) * SUN_DISTANCE,
      (SUN_DIRECTION.y / len) * SUN_DISTANCE,
      cz + (SUN_DIRECTION.z / len) * SUN_DISTANCE,
    );
    this.sun.target.name = 'sun-target';
    this.scene.add(this.ambient, this.sun, this.sun.target);

    this.sync(world);
  }

  private addActor(actor: Actor): void {
    const group = this.models.create(actor);
    this.actorGroups.push(group);
    this.actorRoot.add(group);
  }

  /** Copies actor poses and signal states from the world, then updates every world matrix. */
  sync(world: World): void {
    if (world.network !== this.network) throw new Error('DrivingScene.sync: the world has a different road network; build a new scene');
    const actors = world.actors;
    // Worlds create their actors up front; this only runs if one is added later.
    for (let i = this.actorGroups.length; i < actors.length; i++) this.addActor(actors[i]);
    for (let i = 0; i < actors.length; i++) {
      const a = actors[i];
      const g = this.actorGroups[i];
      g.visible = a.active;
      if (!a.active) continue;
      g.position.set(a.x, 0, -a.y);
      g.rotation.y = a.heading;
    }
    this.signals.update(world.time);
    this.scene.updateMatrixWorld();
  }

  /** Sets the signal lamps for `time` [s] alone (sync does this from the world's clock). */
  updateSignals(time: number): void {
    this.signals.update(time);
  }

  /** Frees every geometry and material in the scene; the scene is unusable afterwards. */
  dispose(): void {
    const geometries = new Set<BufferGeometry>();
    const materials = new Set<Material>();
    this.scene.traverse((o) => {
      const mesh = o as Mesh;
      if (!mesh.isMesh) return;
      geometries.add(mesh.geometry);
      for (const m of Array.isArray(mesh.material) ? mesh.material : [mesh.material]) materials.add(m);
    });
    for (const g of geometries) g.dispose();
    for (const m of materials) m.dispose();
    this.models.dispose();
    this.sun.dispose();
    this.ambient.dispose();
    this.scene.clear();
    this.actorGroups.length = 0;
  }
}
