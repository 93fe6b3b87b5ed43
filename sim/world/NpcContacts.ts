/**
 * Contacts that do not involve the ego: an NPC vehicle touching another vehicle, a pedestrian or
 * an obstacle. Kinematic bodies pass through each other in Rapier without a word, so the
 * footprints are compared directly after every step. A contact is counted once, when it starts.
 */
import type { Actor } from './actors.ts';
import { footprintsOverlap } from './footprint.ts';

export class NpcContacts {
  /** Contacts started this episode */
  total = 0;
  /** Contacts started by the last `update()` */
  started = 0;
  /** Pairs in contact after the last update, as a flat upper-triangular matrix over actor ids */
  private touching: Uint8Array;

  constructor(private readonly actors: readonly Actor[]) {
    this.touching = new Uint8Array(0);
  }

  /** Compares every pair that includes an NPC vehicle; call once per step after poses are final. */
  update(): number {
    const actors = this.actors;
    const n = actors.length;
    if (this.touching.length !== n * n) this.touching = new Uint8Array(n * n);
    this.started = 0;
    for (let i = 0; i < n; i++) {
      const a = actors[i];
      if (a.kind === 'ego') continue;
      for (let j = i + 1; j < n; j++) {
        const b = actors[j];
        if (b.kind === 'ego' || (a.kind !== 'vehicle' && b.kind !== 'vehicle')) continue;
        const cell = i * n + j;
        const now = a.active && b.active && footprintsOverlap(a, b);
        if (now && this.touching[cell] === 0) this.started++;
        this.touching[cell] = now ? 1 : 0;
      }
    }
    this.total += this.started;
    return this.started;
  }

  /** The pairs in contact now, as actor ids, for diagnostics. */
  pairs(): [number, number][] {
    const n = this.actors.length;
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (this.touching[i * n + j]) out.push([this.actors[i].id, this.actors[j].id]);
    return out;
  }
}
