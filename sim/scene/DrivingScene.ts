/**
 * The three.js scene of one world: static road meshes, one Group per actor, signal lamps and the
 * lights. It is the visual truth that the camera rasteriser and the browser viewer both draw;
 * `sync` copies the world's state into it after each step without allocating.
 */
import { AmbientLight, Color, DirectionalLight, Group, Scene, type BufferGeometry, type Material, type Mesh, type MeshLambertMaterial } from 'three';
import type { RoadNetwork } from '../road/RoadNetwork.ts';
import type { Actor } from '../world/actors.ts';
import type { World } from '../world/World.ts';
import { ActorModels } from './actorMeshes.ts';
import { DAY_SKY_COLOUR, lightingFor, type Lighting } from './lighting.ts';
import { roadMeshesFor, SIDEWALK_Y, type RoadMeshOptions } from './roadMeshes.ts';
import { SignalMeshes } from './signalMeshes.ts';

export const SKY_COLOUR = DAY_SKY_COLOUR;
/** Distance of the sun light from its target; only its direction matters for a DirectionalLight [m] */
const SUN_DISTANCE = 100;
/** Mesh names of vehicle lamps (actorMeshes.ts), which glow when `lighting.lampGlow` > 0 */
export const VEHICLE_LAMPS: ReadonlySet<string> = new Set(['headlights', 'taillights']);

export interface DrivingSceneOptions extends RoadMeshOptions {
  /**
   * Sun, ambient light and sky (default: `lightingFor()`, the day preset). The camera rasteriser
   * takes the same object, so viewer and camera images agree. Fog is the rasteriser's alone.
   */
  lighting?: Lighting;
}

export class DrivingScene {
  readonly scene = new Scene();
  /** Static meshes: terrain, road, markings, crosswalks, sidewalks, islands, buildings */
  readonly staticRoot = new Group();
  /** Parent of the actor groups */
  readonly actorRoot = new Group();
  /** One group per actor, in the order of `world.actors` (the ego first) */
  readonly actorGroups: Group[] = [];
  readonly signals: SignalMeshes;
  /**
   * The same object for every scene of one network and options: the road meshes under
   * staticRoot (all but the signals) share their geometry, so renderers may cache by it.
   */
  readonly staticKey: object;
  readonly ambient: AmbientLight;
  readonly sun: DirectionalLight;
  private readonly network: RoadNetwork;
  private readonly models = new ActorModels();
  /** The light the scene was built with; cameras draw with it unless told otherwise */
  readonly lighting: Lighting;

  constructor(world: World, options: DrivingSceneOptions = {}) {
    const lighting = (this.lighting = options.lighting ?? lightingFor());
    this.network = world.network;
    this.scene.name = 'driving-scene';
    this.scene.background = new Color(lighting.skyColor);

    this.staticRoot.name = 'static';
    const road = roadMeshesFor(world.network, options);
    this.staticKey = road.key;
    for (const mesh of road.meshes) this.staticRoot.add(mesh);
    this.signals = new SignalMeshes(world.network);
    this.staticRoot.add(this.signals.root);
    this.scene.add(this.staticRoot);

    this.actorRoot.name = 'actors';
    this.scene.add(this.actorRoot);
    for (const actor of world.actors) this.addActor(actor);

    this.ambient = new AmbientLight(lighting.ambientColor, lighting.ambientIntensity);
    this.ambient.name = 'ambient';
    this.sun = new DirectionalLight(lighting.sunColor, lighting.sunIntensity);
    this.sun.name = 'sun';
    const b = world.network.bounds;
    const cx = (b.minX + b.maxX) / 2, cz = -(b.minY + b.maxY) / 2;
    const d = lighting.sunDirection;
    this.sun.target.position.set(cx, 0, cz);
    this.sun.position.set(cx + d.x * SUN_DISTANCE, d.y * SUN_DISTANCE, cz + d.z * SUN_DISTANCE);
    this.sun.target.name = 'sun-target';
    this.scene.add(this.ambient, this.sun, this.sun.target);

    this.sync(world);
  }

  private addActor(actor: Actor): void {
    const group = this.models.create(actor);
    const glow = this.lighting.lampGlow;
    if (glow > 0) {
      for (const child of group.children) {
        const mesh = child as Mesh;
        if (!mesh.isMesh || !VEHICLE_LAMPS.has(mesh.name)) continue;
        // Lamp materials are shared within this scene's models, so this sets each one once over.
        const m = mesh.material as MeshLambertMaterial;
        m.emissive.copy(m.color).multiplyScalar(glow);
      }
    }
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
      // Pedestrians off the carriageway stand on the raised sidewalk.
      const lift = a.kind === 'pedestrian' && !world.network.isDrivable(a.x, a.y) ? SIDEWALK_Y : 0;
      g.position.set(a.x, lift, -a.y);
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
    // Road geometry and materials are shared by every scene of the network.
    for (const g of geometries) if (!g.userData.shared) g.dispose();
    for (const m of materials) if (!m.userData.shared) m.dispose();
    this.models.dispose();
    this.sun.dispose();
    this.ambient.dispose();
    this.scene.clear();
    this.actorGroups.length = 0;
  }
}
