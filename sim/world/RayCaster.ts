/**
 * Ray casts against the world's colliders, in drivelab's ground axes (x east, y north, z up).
 *
 * Rapier's `World.castRay` turns each ray into two freshly allocated wasm vectors and each hit
 * into a JS object, and frees them again: for a lidar sweep that bookkeeping costs more than the
 * casts. This caster keeps two wasm vectors for its whole life and calls the broad phase's query
 * (the one `World.castRay` calls) directly. A test checks it against `World.castRay`, so a Rapier
 * release that changes this layer fails loudly rather than quietly.
 */
import type RAPIER_TYPES from '@dimforge/rapier3d-compat';
import { RAPIER, type RawVector } from './physics.ts';

export class RayCaster {
  /** Collider handle of the last hit, or −1 */
  collider = -1;
  private readonly origin: RawVector;
  private readonly dir: RawVector;

  constructor(
    private readonly physics: RAPIER_TYPES.World,
    /** A collider rays never hit (the ego's body, for sensors mounted on it), or undefined */
    private readonly exclude: number | undefined,
  ) {
    this.origin = RAPIER.VectorOps.intoRaw({ x: 0, y: 0, z: 0 });
    this.dir = RAPIER.VectorOps.intoRaw({ x: 1, y: 0, z: 0 });
  }

  /** Where the next rays start [m]. */
  setOrigin(x: number, y: number, z: number): void {
    this.origin.x = x;
    this.origin.y = z;
    this.origin.z = -y;
  }

  /**
   * Distance along the unit direction (dx, dy, dz) to the first collider within `maxDist` [m], or
   * −1 when nothing is hit; `collider` then holds what was hit. Solid: a ray starting inside a
   * body hits it at 0.
   */
  cast(dx: number, dy: number, dz: number, maxDist: number): number {
    const dir = this.dir;
    dir.x = dx;
    dir.y = dz;
    dir.z = -dy;
    const w = this.physics;
    const hit = w.broadPhase.raw.castRay(w.narrowPhase.raw, w.bodies.raw, w.colliders.raw, this.origin, dir, maxDist, true, 0, undefined, this.exclude, undefined, undefined as unknown as Function);
    if (!hit) {
      this.collider = -1;
      return -1;
    }
    const toi = hit.timeOfImpact();
    this.collider = hit.colliderHandle();
    hit.free();
    return toi;
  }

  free(): void {
    this.origin.free();
    this.dir.free();
  }
}
