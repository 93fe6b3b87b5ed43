/** Assembles a `RoadNetwork` piece by piece; map generators use it. */
import { Path, newProjection, type Point2 } from './Path.ts';
import {
  NO_LANE,
  RoadNetwork,
  type Crosswalk,
  type Lane,
  type Marking,
  type MarkingStyle,
  type SignalHead,
  type SignalPlan,
  type Sidewalk,
} from './RoadNetwork.ts';

/** Distance from a stop line to the near edge of the crosswalk it protects [m] */
const CROSSWALK_SETBACK = 2;

export class NetworkBuilder {
  readonly lanes: Lane[] = [];
  readonly markings: Marking[] = [];
  readonly crosswalks: Crosswalk[] = [];
  readonly sidewalks: Sidewalk[] = [];
  readonly signals: SignalHead[] = [];
  readonly junctions: Point2[][] = [];
  readonly islands: { x: number; y: number; radius: number }[] = [];
  signalPlan: SignalPlan | undefined;

  lane(name: string, path: Path, width: number, speedLimit: number, kind: Lane['kind'] = 'lane'): Lane {
    const lane: Lane = { id: this.lanes.length, name, path, width, speedLimit, kind, next: [], prev: [], left: NO_LANE, right: NO_LANE, stops: [] };
    this.lanes.push(lane);
    return lane;
  }

  link(from: Lane, to: Lane): void {
    if (!from.next.includes(to.id)) from.next.push(to.id);
    if (!to.prev.includes(from.id)) to.prev.push(from.id);
  }

  /** Makes lanes given from right to left each other's lane-change neighbours. */
  neighbours(rightToLeft: readonly Lane[]): void {
    for (let i = 0; i < rightToLeft.length; i++) {
      rightToLeft[i].right = i > 0 ? rightToLeft[i - 1].id : NO_LANE;
      rightToLeft[i].left = i < rightToLeft.length - 1 ? rightToLeft[i + 1].id : NO_LANE;
    }
  }

  marking(path: Path, style: MarkingStyle): void {
    this.markings.push({ path, style });
  }

  /** A straight stop or give-way line across a lane at arc length `s`. */
  stopLine(lane: Lane, s: number): void {
    const a = lane.path.toWorld(s, -lane.width / 2, { x: 0, y: 0 });
    const b = lane.path.toWorld(s, lane.width / 2, { x: 0, y: 0 });
    this.marking(Path.fromPoints([a, b]), 'stop-line');
  }

  /**
   * A zebra crossing along `path` (kerb to kerb). Every lane it crosses gets a stop point just
   * before it.
   */
  crosswalk(path: Path, width: number, lanes: readonly Lane[]): Crosswalk {
    const crosswalk: Crosswalk = { id: this.crosswalks.length, path, width };
    this.crosswalks.push(crosswalk);
    const proj = newProjection();
    const p = { x: 0, y: 0 };
    for (const lane of lanes) {
      let best = Infinity, bestS = 0;
      for (let t = 0; t <= path.length; t += 0.25) {
        path.pointAt(t, p);
        lane.path.project(p.x, p.y, proj);
        if (proj.s < 0 || proj.s > lane.path.length) continue;
        if (Math.abs(proj.d) < best) { best = Math.abs(proj.d); bestS = proj.s; }
      }
      if (best > 0.5) continue;
      const s = bestS - width / 2 - CROSSWALK_SETBACK;
      if (s > 0) lane.stops.push({ kind: 'crosswalk', s, crosswalk: crosswalk.id });
    }
    return crosswalk;
  }

  sidewalk(path: Path, width: number): void {
    this.sidewalks.push({ path, width });
  }

  build(): RoadNetwork {
    return new RoadNetwork({
      lanes: this.lanes,
      markings: this.markings,
      crosswalks: this.crosswalks,
      sidewalks: this.sidewalks,
      signals: this.signals,
      signalPlan: this.signalPlan,
      junctions: this.junctions,
      islands: this.islands,
    });
  }
}
