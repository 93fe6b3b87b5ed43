/**
 * The road network: lanes as centre-line paths with widths, how they connect, what is painted on
 * them, and where vehicles may have to stop. Answers lane and Frenet queries for any point.
 */
import { Path, newProjection, type Point2, type Projection } from './Path.ts';

export const NO_LANE = -1;

export type MarkingStyle = 'solid' | 'dashed' | 'double-yellow' | 'stop-line';

export interface Marking {
  readonly path: Path;
  readonly style: MarkingStyle;
}

/** A place along a lane where a vehicle may have to stop, at arc length `s` [m]. */
export type StopPoint =
  | { readonly kind: 'signal'; readonly s: number; readonly group: number }
  | { readonly kind: 'crosswalk'; readonly s: number; readonly crosswalk: number }
  /** An all-way stop: halt, then go in arrival order among the approaches; `group` is the approach (arm). */
  | { readonly kind: 'allway'; readonly s: number; readonly group: number }
  /**
   * Give way to traffic on `priority` lanes that will pass the conflict point at `conflictS` on
   * them. The yielding vehicle reaches that point `toConflict` metres past the line.
   */
  | {
      readonly kind: 'yield';
      readonly s: number;
      readonly priority: readonly { lane: number; conflictS: number }[];
      readonly toConflict: number;
    };

export interface Lane {
  readonly id: number;
  /** Human-readable name, e.g. `main/1`, `ring/2`, `S-in/0` */
  readonly name: string;
  readonly path: Path;
  /** [m] */
  readonly width: number;
  /** [m/s] */
  readonly speedLimit: number;
  readonly kind: 'lane' | 'connector';
  next: number[];
  prev: number[];
  /** Same-direction neighbours for lane changes, or NO_LANE */
  left: number;
  right: number;
  /** Sorted by `s` */
  stops: StopPoint[];
  /**
   * A lane that blends into `lane` (a zipper merge). Vehicles on the two see each other as if they
   * shared a lane, from `fromS` on this lane.
   */
  mergesInto?: { readonly lane: number; readonly fromS: number };
}

export interface Crosswalk {
  readonly id: number;
  /** From one kerb to the other */
  readonly path: Path;
  /** Width of the zebra, along the road [m] */
  readonly width: number;
}

export interface Sidewalk {
  readonly path: Path;
  readonly width: number;
}

/** A signal head facing the traffic of one group. */
export interface SignalHead {
  readonly group: number;
  readonly x: number;
  readonly y: number;
  /** Direction the approaching traffic travels [rad] */
  readonly heading: number;
}

export type SignalState = 'green' | 'yellow' | 'red';

/** Fixed-time split phasing: each group in turn gets green, then yellow, then all-red. */
export class SignalPlan {
  constructor(
    readonly groups: number,
    readonly green: number,
    readonly yellow: number,
    readonly allRed: number,
    /** Time shift of the cycle [s] */
    readonly offset: number,
  ) {}

  get cycle(): number {
    return this.groups * (this.green + this.yellow + this.allRed);
  }

  state(group: number, time: number): SignalState {
    const slot = this.green + this.yellow + this.allRed;
    const t = (((time + this.offset) % this.cycle) + this.cycle) % this.cycle - group * slot;
    if (t < 0 || t >= slot) return 'red';
    return t < this.green ? 'green' : t < this.green + this.yellow ? 'yellow' : 'red';
  }
}

/** Where a point lies relative to a lane. */
export interface LanePosition extends Projection {
  lane: number;
}

export function newLanePosition(): LanePosition {
  return { lane: NO_LANE, s: 0, d: 0, heading: 0 };
}

interface CellEntry {
  lane: number;
  hintS: number;
}

const CELL = 8;
const OUTSIDE = 1e6;

export interface RoadNetworkParts {
  lanes: Lane[];
  markings: Marking[];
  crosswalks?: Crosswalk[];
  sidewalks?: Sidewalk[];
  signals?: SignalHead[];
  signalPlan?: SignalPlan;
  /** Drivable surface that no lane covers, such as a junction box */
  junctions?: Point2[][];
  /** Islands that are not drivable even where a lane corridor reaches them */
  islands?: { x: number; y: number; radius: number }[];
}

export class RoadNetwork {
  readonly lanes: readonly Lane[];
  readonly markings: readonly Marking[];
  readonly crosswalks: readonly Crosswalk[];
  readonly sidewalks: readonly Sidewalk[];
  readonly signals: readonly SignalHead[];
  readonly signalPlan: SignalPlan | undefined;
  readonly junctions: readonly Point2[][];
  readonly islands: readonly { x: number; y: number; radius: number }[];
  /** Lanes where traffic enters the network */
  readonly sources: readonly number[];
  readonly bounds: { minX: number; minY: number; maxX: number; maxY: number };

  private readonly grid = new Map<number, CellEntry[]>();
  private readonly _proj = newProjection();

  constructor(parts: RoadNetworkParts) {
    this.lanes = parts.lanes;
    this.markings = parts.markings;
    this.crosswalks = parts.crosswalks ?? [];
    this.sidewalks = parts.sidewalks ?? [];
    this.signals = parts.signals ?? [];
    this.signalPlan = parts.signalPlan;
    this.junctions = parts.junctions ?? [];
    this.islands = parts.islands ?? [];
    parts.lanes.forEach((lane, i) => {
      if (lane.id !== i) throw new Error(`lane ${lane.name} has id ${lane.id}, expected ${i}`);
      lane.stops.sort((a, b) => a.s - b.s);
    });
    this.sources = parts.lanes.filter((l) => l.prev.length === 0).map((l) => l.id);
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const lane of parts.lanes) {
      const { xs, ys } = lane.path;
      for (let i = 0; i < xs.length; i++) {
        minX = Math.min(minX, xs[i]); maxX = Math.max(maxX, xs[i]);
        minY = Math.min(minY, ys[i]); maxY = Math.max(maxY, ys[i]);
      }
      this.index(lane);
    }
    this.bounds = { minX, minY, maxX, maxY };
  }

  lane(id: number): Lane {
    const lane = this.lanes[id];
    if (!lane) throw new Error(`no lane ${id}`);
    return lane;
  }

  laneByName(name: string): Lane {
    const lane = this.lanes.find((l) => l.name === name);
    if (!lane) throw new Error(`no lane named ${name}`);
    return lane;
  }

  private key(cx: number, cy: number): number {
    return (cx + 32768) * 65536 + (cy + 32768);
  }

  private index(lane: Lane): void {
    const { xs, ys, ds } = lane.path;
    const pad = lane.width / 2 + 1;
    const lastSegment = new Map<number, number>();
    for (let i = 0; i < xs.length - 1; i++) {
      const x0 = Math.floor((Math.min(xs[i], xs[i + 1]) - pad) / CELL);
      const x1 = Math.floor((Math.max(xs[i], xs[i + 1]) + pad) / CELL);
      const y0 = Math.floor((Math.min(ys[i], ys[i + 1]) - pad) / CELL);
      const y1 = Math.floor((Math.max(ys[i], ys[i + 1]) + pad) / CELL);
      for (let cx = x0; cx <= x1; cx++) {
        for (let cy = y0; cy <= y1; cy++) {
          const k = this.key(cx, cy);
          let cell = this.grid.get(k);
          if (!cell) this.grid.set(k, (cell = []));
          // One entry per pass of the lane through the cell, so a hint never starts on the wrong pass.
          const last = lastSegment.get(k);
          if (last === undefined || i - last > 2) cell.push({ lane: lane.id, hintS: i * ds });
          lastSegment.set(k, i);
        }
      }
    }
  }

  /**
   * The lane whose corridor contains (x, y), preferring the one whose centre is closest and, on a
   * tie, the one heading closest to `heading`. Returns false when no lane covers the point; `out`
   * then holds the nearest lane found in the neighbourhood, if any.
   */
  locate(x: number, y: number, out: LanePosition, heading?: number): boolean {
    const cell = this.grid.get(this.key(Math.floor(x / CELL), Math.floor(y / CELL)));
    out.lane = NO_LANE;
    if (!cell) return false;
    // Rank: inside a corridor first, then distance from the centre line, then heading agreement.
    let bestRank = Infinity;
    const p = this._proj;
    for (let k = 0; k < cell.length; k++) {
      const e = cell[k];
      const lane = this.lanes[e.lane];
      lane.path.project(x, y, p, e.hintS);
      if (p.s < -0.5 || p.s > lane.path.length + 0.5) continue;
      let rank = Math.abs(p.d) + (Math.abs(p.d) <= lane.width / 2 ? 0 : OUTSIDE);
      if (heading !== undefined) rank += Math.abs(wrap(heading - p.heading)) * 0.5;
      if (rank < bestRank) {
        bestRank = rank;
        out.lane = e.lane;
        out.s = p.s;
        out.d = p.d;
        out.heading = p.heading;
      }
    }
    return bestRank < OUTSIDE;
  }

  private readonly _pos = newLanePosition();

  /** True when (x, y) is on a lane or a junction surface, and not on an island. */
  isDrivable(x: number, y: number): boolean {
    for (const island of this.islands) {
      if (Math.hypot(x - island.x, y - island.y) < island.radius) return false;
    }
    if (this.locate(x, y, this._pos)) return true;
    for (const poly of this.junctions) if (pointInPolygon(x, y, poly)) return true;
    return false;
  }
}

function wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

export function pointInPolygon(x: number, y: number, poly: readonly Point2[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i], b = poly[j];
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}
