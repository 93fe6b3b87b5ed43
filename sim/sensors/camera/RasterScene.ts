/**
 * A DrivingScene as flat typed arrays for the camera rasteriser, built once per scene and light.
 *
 * Everything drawn is an "object": a range of welded vertices and a range of triangles indexing
 * them (object-local indices).
 * - Static chunks: the static world's triangles binned by centroid on a CHUNK_SIZE grid, in world
 *   coordinates with a world AABB, their colour already lit (the static world never moves).
 * - Actors: one object per actor group, in the group's frame with a bounding sphere there; the
 *   rasteriser moves them by `group.matrixWorld` and lights them every frame.
 * - Signal lamps: one object per lamp mesh, like actors, because their colour follows the signal.
 *
 * A triangle's global index is its id in the rasteriser's visibility buffer, so per-triangle
 * colour, semantic class and instance are looked up by that id when the image is resolved.
 */
import { BackSide, Color, DoubleSide, Matrix4, Vector3, type Material, type Mesh, type MeshLambertMaterial, type Object3D } from 'three';
import { VEHICLE_LAMPS } from '../../scene/DrivingScene.ts';
import type { Lighting } from '../../scene/lighting.ts';
import { chunk, joined, newPart, normalsAndBounds, OBJECT_ACTOR, OBJECT_LAMP, OBJECT_STATIC, type Part, type StaticWorld } from './rasterParts.ts';
import { shade } from './shading.ts';

export { CHUNK_SIZE, OBJECT_ACTOR, OBJECT_LAMP, OBJECT_STATIC } from './rasterParts.ts';
import { weld } from './weld.ts';

/**
 * What a RasterScene reads: DrivingScene has this shape; tests hand-build one. Meshes carry
 * userData.semantic and userData.instance; actor groups carry userData.actorId.
 */
export interface RasterSource {
  readonly scene: Object3D;
  /** Never moves after the RasterScene is built */
  readonly staticRoot: Object3D;
  /** Moved by their matrixWorld each frame; hidden while not visible */
  readonly actorGroups: readonly Object3D[];
  /** Static meshes under staticRoot whose material colours change (signal lamps) */
  readonly signals: { readonly lamps: readonly Mesh[]; readonly root?: Object3D };
  readonly lighting: Lighting;
  /**
   * Equal for sources whose static meshes (all but the signals) share geometry and materials:
   * their lit, chunked static world is built once and reused.
   */
  readonly staticKey?: object;
}

const staticWorlds = new WeakMap<object, Map<string, StaticWorld>>();


const _m = new Matrix4();
const _inv = new Matrix4();
const _a = new Vector3();
const _b = new Vector3();
const _c = new Vector3();
const _colour = new Color();

export class RasterScene {
  readonly lighting: Lighting;
  /** Objects [0, staticObjects) are static chunks; the rest are actors then lamps */
  readonly objectCount: number;
  readonly staticObjects: number;
  /** [objectCount + 1]: first vertex / triangle of each object */
  readonly objVertexStart: Int32Array;
  readonly objTriStart: Int32Array;
  /** [object * 6]: static: world AABB min xyz, max xyz; dynamic: local sphere centre xyz, radius, 0, 0 */
  readonly objBounds: Float64Array;
  readonly objKind: Uint8Array;
  /** Instance id of an actor object, 0 otherwise */
  readonly objInstance: Int32Array;
  /** The Object3D whose matrixWorld places a dynamic object; null for static chunks */
  readonly objSource: (Object3D | null)[];
  /** [vertex * 3], object frame */
  readonly vertices: Float32Array;
  /** [triangle * 3], object-local vertex indices */
  readonly indices: Int32Array;
  /** [triangle * 3] unit face normal, object frame */
  readonly normals: Float32Array;
  /** Material slot of dynamic triangles */
  readonly triSlot: Int32Array;
  /** Packed semantic << 24 | 0xBBGGRR: baked for static triangles, rewritten each frame for drawn dynamic ones */
  readonly triColour: Int32Array;
  readonly triSemantic: Uint8Array;
  readonly triInstance: Int32Array;
  /** 1 where back faces are culled (material side FrontSide or BackSide, as WebGL does) */
  readonly triCull: Uint8Array;
  /** Largest vertex count of one object: the rasteriser's scratch size */
  readonly maxObjectVertices: number;
  readonly maxInstance: number;
  /** Actor groups this was built for; a scene that gained actors needs a new RasterScene */
  readonly actorCount: number;
  /** Linear light: ambient rgb, sun rgb (intensities applied) */
  readonly light = new Float64Array(6);
  /** Sun direction, world */
  readonly sun = new Float64Array(3);
  /** [slot * 6]: albedo/π rgb, emissive rgb (linear), refreshed by refreshMaterials() */
  materialData: Float64Array;
  private readonly materials: Material[] = [];
  /** Per slot: vehicle lamp, whose emissive is at least lampGlow × colour */
  private readonly slotLamp: number[] = [];
  private readonly slotKeys = new Map<string, number>();

  constructor(readonly scene: RasterSource, lighting: Lighting = scene.lighting) {
    this.lighting = lighting;
    _colour.set(lighting.ambientColor).multiplyScalar(lighting.ambientIntensity);
    this.light[0] = _colour.r; this.light[1] = _colour.g; this.light[2] = _colour.b;
    _colour.set(lighting.sunColor).multiplyScalar(lighting.sunIntensity);
    this.light[3] = _colour.r; this.light[4] = _colour.g; this.light[5] = _colour.b;
    const d = lighting.sunDirection, len = Math.hypot(d.x, d.y, d.z) || 1;
    this.sun[0] = d.x / len; this.sun[1] = d.y / len; this.sun[2] = d.z / len;

    scene.scene.updateMatrixWorld();
    const world = this.staticWorld(scene, lighting);
    for (let i = 0; i < world.materials.length; i++) {
      this.materials.push(world.materials[i]);
      this.slotLamp.push(world.slotLamp[i]);
      this.slotKeys.set(`${world.materials[i].uuid}/${world.slotLamp[i]}`, i);
    }
    const staticObjects = world.objV.length - 1;
    const parts: Part[] = [];
    for (const group of scene.actorGroups) {
      const part = newPart(OBJECT_ACTOR, group, (group.userData.actorId ?? -1) + 1);
      _inv.copy(group.matrixWorld).invert();
      group.traverse((o) => {
        if ((o as Mesh).isMesh && o.visible) this.addMesh(part, o as Mesh, _m.multiplyMatrices(_inv, o.matrixWorld));
      });
      parts.push(part);
    }
    // Signal lamps change colour, and signal fixtures are this scene's own meshes: both are
    // kept out of the shared static world and placed by their own matrices.
    const lamps = new Set<Object3D>(scene.signals.lamps);
    scene.signals.root?.traverseVisible((o) => {
      if (!(o as Mesh).isMesh || lamps.has(o)) return;
      const part = newPart(OBJECT_LAMP, o, 0);
      this.addMesh(part, o as Mesh, _m.identity());
      parts.push(part);
    });
    for (const lamp of scene.signals.lamps) {
      const part = newPart(OBJECT_LAMP, lamp, 0);
      this.addMesh(part, lamp, _m.identity());
      parts.push(part);
    }
    this.materialData = new Float64Array(this.materials.length * 6);
    this.refreshMaterials();

    // Flatten the dynamic objects after the static world, welding each object's vertices.
    const verts: number[] = [], idx: number[] = [];
    const objV = world.objV.slice(), objT = world.objT.slice();
    const v0 = objV[objV.length - 1];
    let tCount = objT[objT.length - 1];
    let maxV = world.maxV;
    for (const p of parts) {
      const n = weld(p.pos, verts, idx);
      tCount += p.slot.length;
      maxV = Math.max(maxV, n);
      objV.push(v0 + verts.length / 3);
      objT.push(tCount);
    }
    this.objectCount = staticObjects + parts.length;
    this.staticObjects = staticObjects;
    this.objVertexStart = Int32Array.from(objV);
    this.objTriStart = Int32Array.from(objT);
    this.vertices = joined(Float32Array, world.verts, verts);
    this.indices = joined(Int32Array, world.idx, idx);
    this.maxObjectVertices = maxV;
    this.actorCount = scene.actorGroups.length;
    this.objKind = new Uint8Array(this.objectCount).fill(OBJECT_STATIC);
    this.objInstance = new Int32Array(this.objectCount);
    parts.forEach((p, i) => {
      this.objKind[staticObjects + i] = p.kind;
      this.objInstance[staticObjects + i] = p.instance;
    });
    this.objSource = [...new Array<null>(staticObjects).fill(null), ...parts.map((p) => p.source)];
    this.triSlot = joined(Int32Array, world.slot, parts.flatMap((p) => p.slot));
    this.triSemantic = joined(Uint8Array, world.semantic, parts.flatMap((p) => p.semantic));
    this.triInstance = joined(Int32Array, world.inst, parts.flatMap((p) => p.inst));
    this.triCull = joined(Uint8Array, world.cull, parts.flatMap((p) => p.cull));
    let maxInstance = 0;
    for (const i of this.triInstance) if (i > maxInstance) maxInstance = i;
    this.maxInstance = maxInstance;
    this.normals = new Float32Array(tCount * 3);
    this.normals.set(world.normals);
    this.triColour = new Int32Array(tCount);
    this.triColour.set(world.colours);
    this.objBounds = new Float64Array(this.objectCount * 6);
    this.objBounds.set(world.bounds);
    this.computeNormalsAndBounds(staticObjects);
  }

  /** The static world of a source under a light: from the cache when the source has a static key. */
  private staticWorld(scene: RasterSource, lighting: Lighting): StaticWorld {
    const key = scene.staticKey;
    const lightKey = JSON.stringify(lighting);
    const cached = key ? staticWorlds.get(key)?.get(lightKey) : undefined;
    if (cached) return cached;
    const skip = new Set<Object3D>(scene.signals.lamps);
    scene.signals.root?.traverse((o) => skip.add(o));
    const all = newPart(OBJECT_STATIC, null, 0);
    scene.staticRoot.traverseVisible((o) => {
      if ((o as Mesh).isMesh && !skip.has(o)) this.addMesh(all, o as Mesh, o.matrixWorld);
    });
    const parts = chunk(all);
    const verts: number[] = [], idx: number[] = [];
    const objV = [0], objT = [0];
    let tCount = 0, maxV = 0;
    for (const p of parts) {
      maxV = Math.max(maxV, weld(p.pos, verts, idx));
      tCount += p.slot.length;
      objV.push(verts.length / 3);
      objT.push(tCount);
    }
    // Normals and bounds of the chunks, computed on a throwaway view of just the static objects.
    const view = { vertices: Float32Array.from(verts), indices: Int32Array.from(idx), objVertexStart: Int32Array.from(objV), objTriStart: Int32Array.from(objT) };
    const normals = new Float32Array(tCount * 3);
    const bounds = new Float64Array(parts.length * 6);
    normalsAndBounds(view, null, 0, parts.length, normals, bounds);
    const slot = parts.flatMap((p) => p.slot);
    const semantic = parts.flatMap((p) => p.semantic);
    this.materialData = new Float64Array(this.materials.length * 6);
    this.refreshMaterials();
    // Bake the static world's light.
    const colours = new Int32Array(tCount);
    for (let t = 0; t < tCount; t++) colours[t] = shade(this.materialData, slot[t] * 6, this.light, normals, t * 3, this.sun) | (semantic[t] << 24);
    const world: StaticWorld = {
      materials: this.materials.slice(), slotLamp: this.slotLamp.slice(), verts: view.vertices, idx: view.indices, objV, objT,
      slot: Int32Array.from(slot), semantic: Uint8Array.from(semantic), inst: Int32Array.from(parts.flatMap((p) => p.inst)),
      cull: Uint8Array.from(parts.flatMap((p) => p.cull)), normals, bounds, colours, maxV,
    };
    // The constructor takes the material table from the static world, cached or not.
    this.materials.length = 0;
    this.slotLamp.length = 0;
    this.slotKeys.clear();
    if (key) {
      let byLight = staticWorlds.get(key);
      if (!byLight) staticWorlds.set(key, (byLight = new Map()));
      byLight.set(lightKey, world);
    }
    return world;
  }

  /** Reads every material's colour and emissive (signal lamps change with the signal state). */
  refreshMaterials(): void {
    const data = this.materialData, glow = this.lighting.lampGlow;
    for (let s = 0; s < this.materials.length; s++) {
      const mat = this.materials[s] as MeshLambertMaterial;
      const o = s * 6;
      const lit = mat.type !== 'MeshBasicMaterial';
      const c = mat.color;
      const e = mat.emissive;
      const ei = mat.emissiveIntensity ?? 1;
      // An unlit (basic) material shows its colour as it is: no albedo, all emission.
      data[o] = lit && c ? c.r / Math.PI : 0;
      data[o + 1] = lit && c ? c.g / Math.PI : 0;
      data[o + 2] = lit && c ? c.b / Math.PI : 0;
      data[o + 3] = !lit && c ? c.r : e ? e.r * ei : 0;
      data[o + 4] = !lit && c ? c.g : e ? e.g * ei : 0;
      data[o + 5] = !lit && c ? c.b : e ? e.b * ei : 0;
      if (this.slotLamp[s] && c) {
        data[o + 3] = Math.max(data[o + 3], c.r * glow);
        data[o + 4] = Math.max(data[o + 4], c.g * glow);
        data[o + 5] = Math.max(data[o + 5], c.b * glow);
      }
    }
  }

  private slotOf(material: Material, lamp: boolean): number {
    const key = `${material.uuid}/${lamp ? 1 : 0}`;
    let s = this.slotKeys.get(key);
    if (s === undefined) {
      s = this.materials.length;
      this.slotKeys.set(key, s);
      this.materials.push(material);
      this.slotLamp.push(lamp ? 1 : 0);
    }
    return s;
  }

  /** Appends a mesh's triangles to `part`, transformed by `m` into the part's frame. */
  private addMesh(part: Part, mesh: Mesh, m: Matrix4): void {
    const geometry = mesh.geometry;
    const position = geometry.getAttribute('position');
    if (!position) return;
    const index = geometry.getIndex();
    const count = index ? index.count : position.count;
    const materials = Array.isArray(mesh.material) ? mesh.material : [mesh.material];
    const groups = Array.isArray(mesh.material) && geometry.groups.length > 0 ? geometry.groups : [{ start: 0, count, materialIndex: 0 }];
    const lamp = part.kind === OBJECT_ACTOR && VEHICLE_LAMPS.has(mesh.name);
    const semantic = mesh.userData.semantic ?? 0;
    const instance = mesh.userData.instance ?? 0;
    for (const grp of groups) {
      const material = materials[grp.materialIndex ?? 0];
      if (!material || !material.visible) continue;
      const slot = this.slotOf(material, lamp);
      const back = material.side === BackSide, cull = material.side === DoubleSide ? 0 : 1;
      const end = Math.min(count, grp.start + grp.count);
      for (let i = grp.start; i + 2 < end; i += 3) {
        const i0 = index ? index.getX(i) : i;
        // BackSide shows the back faces: the same as front faces with the winding reversed.
        const i1 = index ? index.getX(back ? i + 2 : i + 1) : back ? i + 2 : i + 1;
        const i2 = index ? index.getX(back ? i + 1 : i + 2) : back ? i + 1 : i + 2;
        _a.fromBufferAttribute(position, i0).applyMatrix4(m);
        _b.fromBufferAttribute(position, i1).applyMatrix4(m);
        _c.fromBufferAttribute(position, i2).applyMatrix4(m);
        part.pos.push(_a.x, _a.y, _a.z, _b.x, _b.y, _b.z, _c.x, _c.y, _c.z);
        part.slot.push(slot);
        part.semantic.push(semantic);
        part.inst.push(instance);
        part.cull.push(cull);
      }
    }
  }

  /** Normals and bounds of the objects from `first` on (the static world's come from its cache). */
  private computeNormalsAndBounds(first: number): void {
    normalsAndBounds(this, this.objKind, first, this.objectCount, this.normals, this.objBounds);
  }
}

/** RasterScenes by scene and light object; equal lights (by value) share one. */
const cache = new WeakMap<RasterSource, Map<Lighting, RasterScene>>();

/**
 * The RasterScene of `scene` under `lighting`, built on first use and shared by every camera;
 * rebuilt when the scene has gained actors. The usual call (same scene, same light object) is
 * one map look-up and allocates nothing.
 */
export function rasterSceneFor(scene: RasterSource, lighting: Lighting = scene.lighting): RasterScene {
  let byLight = cache.get(scene);
  if (!byLight) cache.set(scene, (byLight = new Map()));
  const hit = byLight.get(lighting);
  if (hit && hit.actorCount === scene.actorGroups.length) return hit;
  const key = JSON.stringify(lighting);
  let rs: RasterScene | undefined;
  for (const other of byLight.values()) {
    if (other.actorCount === scene.actorGroups.length && JSON.stringify(other.lighting) === key) rs = other;
  }
  rs ??= new RasterScene(scene, lighting);
  byLight.set(lighting, rs);
  return rs;
}
