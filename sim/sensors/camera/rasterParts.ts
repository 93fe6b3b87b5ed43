/**
 * Building blocks of a RasterScene: per-object triangle lists while building, the cached static
 * world, and the flattening helpers.
 */
import { Vector3, type Material, type Object3D } from 'three';

/** Static chunk size on the ground [m] */
export const CHUNK_SIZE = 32;
export const OBJECT_STATIC = 0;
export const OBJECT_ACTOR = 1;
export const OBJECT_LAMP = 2;

const _a = new Vector3();
const _b = new Vector3();

/** The static world as flattened arrays, lit: identical for every scene with the same static key and light. */
export interface StaticWorld {
  materials: Material[];
  slotLamp: number[];
  verts: Float32Array;
  idx: Int32Array;
  /** Cumulative vertex / triangle starts of the static objects, from 0 */
  objV: number[];
  objT: number[];
  slot: Int32Array;
  semantic: Uint8Array;
  inst: Int32Array;
  cull: Uint8Array;
  normals: Float32Array;
  bounds: Float64Array;
  colours: Int32Array;
  maxV: number;
}

/** One triangle list per object while building; flattened into the typed arrays at the end. */
export interface Part {
  kind: number;
  source: Object3D | null;
  instance: number;
  /** 9 per triangle, object frame */
  pos: number[];
  /** Per triangle: material slot, semantic, instance, cull flag */
  slot: number[];
  semantic: number[];
  inst: number[];
  cull: number[];
}

/**
 * Face normals of objects [from, to) from their welded (float32) vertices, and their bounds:
 * a world AABB for static chunks (min xyz, max xyz), a bounding sphere in the object frame
 * for everything that moves (centre xyz, radius).
 */
export function normalsAndBounds(
  v: { vertices: Float32Array; indices: Int32Array; objVertexStart: Int32Array; objTriStart: Int32Array },
  kinds: Uint8Array | null,
  from: number,
  to: number,
  N: Float32Array,
  B: Float64Array,
): void {
  const V = v.vertices, I = v.indices;
  for (let o = from; o < to; o++) {
    const v0 = v.objVertexStart[o], v1 = v.objVertexStart[o + 1];
    for (let t = v.objTriStart[o]; t < v.objTriStart[o + 1]; t++) {
      const a = (v0 + I[t * 3]) * 3, b = (v0 + I[t * 3 + 1]) * 3, c = (v0 + I[t * 3 + 2]) * 3;
      _a.set(V[b] - V[a], V[b + 1] - V[a + 1], V[b + 2] - V[a + 2]);
      _b.set(V[c] - V[a], V[c + 1] - V[a + 1], V[c + 2] - V[a + 2]);
      _a.cross(_b).normalize();
      N[t * 3] = _a.x; N[t * 3 + 1] = _a.y; N[t * 3 + 2] = _a.z;
    }
    let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
    for (let k = v0; k < v1; k++) {
      const x = V[k * 3], y = V[k * 3 + 1], z = V[k * 3 + 2];
      if (x < x0) x0 = x; if (x > x1) x1 = x;
      if (y < y0) y0 = y; if (y > y1) y1 = y;
      if (z < z0) z0 = z; if (z > z1) z1 = z;
    }
    if (v1 === v0) x0 = y0 = z0 = x1 = y1 = z1 = 0;
    const b = o * 6;
    if (!kinds || kinds[o] === OBJECT_STATIC) {
      B[b] = x0; B[b + 1] = y0; B[b + 2] = z0; B[b + 3] = x1; B[b + 4] = y1; B[b + 5] = z1;
      continue;
    }
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, cz = (z0 + z1) / 2;
    let r2 = 0;
    for (let k = v0; k < v1; k++) {
      const dx = V[k * 3] - cx, dy = V[k * 3 + 1] - cy, dz = V[k * 3 + 2] - cz;
      r2 = Math.max(r2, dx * dx + dy * dy + dz * dz);
    }
    // A hair more than the farthest float32 vertex, so rounding never culls a visible one.
    B[b] = cx; B[b + 1] = cy; B[b + 2] = cz; B[b + 3] = Math.sqrt(r2) * (1 + 1e-6) + 1e-6;
  }
}

/** A typed array holding `head` then `tail`. */
export function joined<T extends Float32Array | Int32Array | Uint8Array>(Kind: { new (n: number): T }, head: T, tail: readonly number[]): T {
  const out = new Kind(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

export function newPart(kind: number, source: Object3D | null, instance: number): Part {
  return { kind, source, instance, pos: [], slot: [], semantic: [], inst: [], cull: [] };
}

/** Splits the static world into parts by triangle centroid on the CHUNK_SIZE ground grid. */
export function chunk(world: Part): Part[] {
  const cells = new Map<number, Part>();
  const p = world.pos;
  for (let t = 0; t < world.slot.length; t++) {
    const o = t * 9;
    const cx = (p[o] + p[o + 3] + p[o + 6]) / 3, cz = (p[o + 2] + p[o + 5] + p[o + 8]) / 3;
    // Cell indices stay far inside ±2^15 for any map the schema allows.
    const key = (Math.floor(cx / CHUNK_SIZE) + 32768) * 65536 + Math.floor(cz / CHUNK_SIZE) + 32768;
    let part = cells.get(key);
    if (!part) cells.set(key, (part = newPart(OBJECT_STATIC, null, 0)));
    for (let k = 0; k < 9; k++) part.pos.push(p[o + k]);
    part.slot.push(world.slot[t]);
    part.semantic.push(world.semantic[t]);
    part.inst.push(world.inst[t]);
    part.cull.push(world.cull[t]);
  }
  return [...cells.values()];
}

