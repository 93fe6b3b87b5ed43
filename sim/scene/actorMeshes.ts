/**
 * Low-poly bodies for actors. Each is a Group in body axes: +X forward, +Y up, +Z to the right,
 * origin on the ground under the body centre, so placing one is `position = (x, 0, −y)` and
 * `rotation.y = heading`. Geometries and materials are made once per distinct model size and
 * colour and shared between actors; parts of one material are merged, so a car is five meshes.
 */
import { BoxGeometry, type BufferGeometry, ConeGeometry, CylinderGeometry, Group, Mesh, MeshLambertMaterial, SphereGeometry } from 'three';
import { mergeGeometries } from 'three/addons/utils/BufferGeometryUtils.js';
import type { Actor } from '../world/actors.ts';
import { BODY_CLEARANCE } from '../world/physics.ts';
import { semanticOf } from './semantics.ts';

export const EGO_COLOUR = 0x1f5fd6;
/** NPC body colours, picked by actor id; no blues, so the ego stands out */
export const VEHICLE_COLOURS: readonly number[] = [0xe8e8e8, 0xb02020, 0x2a2a2a, 0x9ea3a8, 0x2f6b3a, 0xd9c9a3, 0x7a1f4a, 0xe0a020];
const SHIRT_COLOURS: readonly number[] = [0xc03030, 0x3060c0, 0x30a050, 0xe0c040, 0xf0f0f0, 0x8040a0, 0xe07020];
const TROUSER_COLOURS: readonly number[] = [0x20304a, 0x1a1a1a, 0x555555, 0x5a4030];
const GLASS = 0x1c2530;
const TYRE = 0x151515;
const HEADLIGHT = 0xfff6d0;
const TAILLIGHT = 0xc01010;
const SKIN = 0xd8a882;
const CONE_ORANGE = 0xff6a10;
const WHITE = 0xf4f4f4;
const BARRIER_RED = 0xd01818;
const BLACK = 0x202020;

const WHEEL_RADIUS = 0.33;
const WHEEL_WIDTH = 0.24;
/** Top of the lower body of a car [m]; the cabin rises from here to the roof */
const CAR_BELT = 0.9;
/** Top of a van's lower body [m] */
const VAN_BELT = 1.1;
/** Stripes across a barrier's width */
const BARRIER_STRIPES = 5;

/** A box of size (x, y, z) whose centre is at (cx, cy, cz) in body axes. */
function box(sx: number, sy: number, sz: number, cx: number, cy: number, cz: number): BufferGeometry {
  return new BoxGeometry(sx, sy, sz).translate(cx, cy, cz);
}

/** Merges parts into one geometry and frees the parts. */
function merge(parts: BufferGeometry[]): BufferGeometry {
  const g = parts.length === 1 ? parts[0] : mergeGeometries(parts);
  for (const p of parts) if (p !== g) p.dispose();
  g.computeBoundingBox();
  g.computeBoundingSphere();
  return g;
}

/** Makes actor bodies, caching geometries by model and size and materials by colour. */
export class ActorModels {
  private readonly geometries = new Map<string, BufferGeometry>();
  private readonly materials = new Map<number, MeshLambertMaterial>();

  /** A new Group for the actor, its meshes tagged with its class and instance id + 1. */
  create(actor: Actor): Group {
    const group = new Group();
    group.name = `actor-${actor.id}`;
    group.userData.actorId = actor.id;
    switch (actor.model) {
      case 'car':
      case 'van':
        this.vehicle(group, actor);
        break;
      case 'adult':
        this.pedestrian(group, actor);
        break;
      case 'cone':
        this.cone(group, actor);
        break;
      default:
        // 'barrier' and anything unknown: a striped block of the actor's size.
        this.barrier(group, actor);
    }
    const semantic = semanticOf(actor);
    for (const child of group.children) {
      child.userData.semantic = semantic;
      child.userData.instance = actor.id + 1;
    }
    return group;
  }

  private add(group: Group, actor: Actor, part: string, colour: number, make: () => BufferGeometry): void {
    const key = `${actor.model}/${part}/${actor.length}/${actor.width}/${actor.height}`;
    let geometry = this.geometries.get(key);
    if (!geometry) this.geometries.set(key, (geometry = make()));
    let material = this.materials.get(colour);
    if (!material) this.materials.set(colour, (material = new MeshLambertMaterial({ color: colour })));
    const mesh = new Mesh(geometry, material);
    mesh.name = part;
    group.add(mesh);
  }

  private vehicle(group: Group, a: Actor): void {
    const L = a.length, W = a.width, H = a.height;
    const van = a.model === 'van';
    const belt = Math.min(van ? VAN_BELT : CAR_BELT, H - 0.3);
    const colour = a.kind === 'ego' ? EGO_COLOUR : VEHICLE_COLOURS[a.id % VEHICLE_COLOURS.length];
    // Roof and (van) cargo box share the body's material; the glass sits between belt and roof.
    const roof = 0.06;
    this.add(group, a, 'body', colour, () => {
      const parts = [box(L, belt - BODY_CLEARANCE, W, 0, (belt + BODY_CLEARANCE) / 2, 0)];
      if (van) {
        const cargo = 0.75 * L;
        parts.push(box(cargo, H - belt, W, -L / 2 + cargo / 2, (belt + H) / 2, 0));
      } else {
        parts.push(box(0.5 * L, roof, 0.84 * W, -0.06 * L, H - roof / 2, 0));
      }
      return merge(parts);
    });
    this.add(group, a, 'glass', GLASS, () =>
      van
        ? box(0.18 * L, H - 0.1 - belt, 0.94 * W, -L / 2 + 0.75 * L + 0.09 * L, (belt + H - 0.1) / 2, 0)
        : box(0.5 * L, H - roof - belt, 0.84 * W, -0.06 * L, (belt + H - roof) / 2, 0),
    );
    this.add(group, a, 'wheels', TYRE, () => {
      // Wheels stand 1 cm proud of the body sides, so the two faces never fight for the same depth.
      const wx = L / 2 - Math.min(0.95, L * 0.2), wz = W / 2 - WHEEL_WIDTH / 2 + 0.01;
      const parts: BufferGeometry[] = [];
      for (const sx of [1, -1]) {
        for (const sz of [1, -1]) {
          // Cylinder axis along Z (the axle).
          parts.push(new CylinderGeometry(WHEEL_RADIUS, WHEEL_RADIUS, WHEEL_WIDTH, 14).rotateX(Math.PI / 2).translate(sx * wx, WHEEL_RADIUS, sz * wz));
        }
      }
      return merge(parts);
    });
    // Lamps stand 5 mm proud of the body ends, so front and back read apart in camera images.
    const lampY = belt - 0.15;
    this.add(group, a, 'headlights', HEADLIGHT, () =>
      merge([box(0.02, 0.12, 0.3, L / 2 - 0.005, lampY, W / 2 - 0.3), box(0.02, 0.12, 0.3, L / 2 - 0.005, lampY, -W / 2 + 0.3)]),
    );
    this.add(group, a, 'taillights', TAILLIGHT, () =>
      merge([box(0.02, 0.12, 0.3, -L / 2 + 0.005, lampY, W / 2 - 0.3), box(0.02, 0.12, 0.3, -L / 2 + 0.005, lampY, -W / 2 + 0.3)]),
    );
  }

  private pedestrian(group: Group, a: Actor): void {
    const H = a.height, W = a.width;
    const hip = 0.47 * H, shoulder = 0.82 * H, headR = 0.12;
    const armW = 0.1, torsoW = W - 2 * armW;
    const shirt = SHIRT_COLOURS[a.id % SHIRT_COLOURS.length];
    const trousers = TROUSER_COLOURS[a.id % TROUSER_COLOURS.length];
    this.add(group, a, 'legs', trousers, () =>
      merge([box(0.16, hip, 0.15, 0, hip / 2, -0.1), box(0.16, hip, 0.15, 0, hip / 2, 0.1)]),
    );
    this.add(group, a, 'torso', shirt, () =>
      merge([
        box(0.26, shoulder - hip, torsoW, 0, (hip + shoulder) / 2, 0),
        box(0.12, shoulder - hip - 0.04, armW, 0, (hip + shoulder) / 2 + 0.02, torsoW / 2 + armW / 2),
        box(0.12, shoulder - hip - 0.04, armW, 0, (hip + shoulder) / 2 + 0.02, -torsoW / 2 - armW / 2),
      ]),
    );
    this.add(group, a, 'head', SKIN, () => {
      const neck = H - 2 * headR - shoulder + 0.02;
      return merge([new SphereGeometry(headR, 12, 8).translate(0, H - headR, 0), box(0.08, neck, 0.08, 0, shoulder + neck / 2 - 0.01, 0)]);
    });
  }

  private cone(group: Group, a: Actor): void {
    const H = a.height, base = 0.03;
    const r = Math.min(a.length, a.width) * 0.4;
    const radiusAt = (y: number): number => r * (1 - (y - base) / (H - base));
    const b0 = base + 0.45 * (H - base), b1 = base + 0.65 * (H - base);
    this.add(group, a, 'cone', CONE_ORANGE, () => new ConeGeometry(r, H - base, 16).translate(0, base + (H - base) / 2, 0));
    // The band is a frustum 4 mm proud of the cone's surface.
    this.add(group, a, 'band', WHITE, () => new CylinderGeometry(radiusAt(b1) + 0.004, radiusAt(b0) + 0.004, b1 - b0, 16, 1, true).translate(0, (b0 + b1) / 2, 0));
    this.add(group, a, 'base', BLACK, () => box(a.length, base, a.width, 0, base / 2, 0));
  }

  private barrier(group: Group, a: Actor): void {
    const n = BARRIER_STRIPES, w = a.width / n;
    const stripes = (first: number): BufferGeometry => {
      const parts: BufferGeometry[] = [];
      for (let i = first; i < n; i += 2) parts.push(box(a.length, a.height, w, 0, a.height / 2, -a.width / 2 + (i + 0.5) * w));
      return merge(parts);
    };
    this.add(group, a, 'red', BARRIER_RED, () => stripes(0));
    if (n > 1) this.add(group, a, 'white', WHITE, () => stripes(1));
  }

  dispose(): void {
    for (const g of this.geometries.values()) g.dispose();
    for (const m of this.materials.values()) m.dispose();
    this.geometries.clear();
    this.materials.clear();
  }
}
