/**
 * A planar curve parameterised by arc length, stored as samples at a uniform spacing.
 *
 * Ground coordinates are (x, y) with y to the left of +x; headings are radians anticlockwise from
 * +x; a positive lateral offset `d` lies to the left of the direction of travel. The 3D world maps
 * (x, y) to (X, Z) = (x, −y) with Y up (see `sim/world/frames.ts`).
 */

/** Sample spacing [m]; the chord error on a 10 m radius is under 1 cm. */
const SPACING = 0.5;

/** Result of projecting a point onto a path; reused by callers to avoid allocation. */
export interface Projection {
  /** Arc length of the closest point [m] */
  s: number;
  /** Signed lateral offset, positive to the left [m] */
  d: number;
  /** Path heading at `s` [rad] */
  heading: number;
}

export function newProjection(): Projection {
  return { s: 0, d: 0, heading: 0 };
}

export interface Point2 {
  x: number;
  y: number;
}

export class Path {
  readonly length: number;
  /** Spacing between samples [m] */
  readonly ds: number;
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  /** Heading of the segment from sample i to i+1 (the last repeats the one before) [rad] */
  readonly headings: Float64Array;
  /** Signed curvature at each sample [1/m] */
  readonly curvatures: Float64Array;
  /** Largest |curvature| anywhere on the path [1/m]; lets straight paths skip curvature scans */
  readonly maxCurvature: number;

  private constructor(xs: Float64Array, ys: Float64Array, ds: number) {
    this.xs = xs;
    this.ys = ys;
    this.ds = ds;
    this.length = ds * (xs.length - 1);
    const n = xs.length;
    this.headings = new Float64Array(n);
    for (let i = 0; i < n - 1; i++) this.headings[i] = Math.atan2(ys[i + 1] - ys[i], xs[i + 1] - xs[i]);
    this.headings[n - 1] = this.headings[n - 2];
    this.curvatures = new Float64Array(n);
    for (let i = 1; i < n - 1; i++) this.curvatures[i] = wrapAngle(this.headings[i] - this.headings[i - 1]) / ds;
    this.curvatures[0] = n > 2 ? this.curvatures[1] : 0;
    this.curvatures[n - 1] = n > 2 ? this.curvatures[n - 2] : 0;
    let k = 0;
    for (let i = 0; i < n; i++) k = Math.max(k, Math.abs(this.curvatures[i]));
    this.maxCurvature = k;
  }

  /** A path through the given points, resampled to a uniform spacing along its length. */
  static fromPoints(points: readonly Point2[]): Path {
    if (points.length < 2) throw new Error(`a path needs at least 2 points, got ${points.length}`);
    const cum = new Float64Array(points.length);
    for (let i = 1; i < points.length; i++) {
      cum[i] = cum[i - 1] + Math.hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
    }
    const total = cum[points.length - 1];
    if (!(total > 0)) throw new Error('a path needs a positive length');
    const n = Math.max(2, Math.ceil(total / SPACING) + 1);
    const ds = total / (n - 1);
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    let j = 0;
    for (let i = 0; i < n; i++) {
      const s = Math.min(i * ds, total);
      while (j < points.length - 2 && cum[j + 1] < s) j++;
      const seg = cum[j + 1] - cum[j];
      const t = seg > 0 ? (s - cum[j]) / seg : 0;
      xs[i] = points[j].x + (points[j + 1].x - points[j].x) * t;
      ys[i] = points[j].y + (points[j + 1].y - points[j].y) * t;
    }
    return new Path(xs, ys, ds);
  }

  /** Lines and circular arcs joined end to end, starting at a pose. */
  static build(x: number, y: number, heading: number): PathBuilder {
    return new PathBuilder(x, y, heading);
  }

  /**
   * A cubic Hermite curve between two poses; `tension` scales the end tangents by the distance
   * between the ends. Used for junction connectors and ramps.
   */
  static hermite(x0: number, y0: number, h0: number, x1: number, y1: number, h1: number, tension = 1): Path {
    const dist = Math.hypot(x1 - x0, y1 - y0) * tension;
    const m0x = Math.cos(h0) * dist, m0y = Math.sin(h0) * dist;
    const m1x = Math.cos(h1) * dist, m1y = Math.sin(h1) * dist;
    const n = Math.max(8, Math.ceil(dist / 0.25));
    const points: Point2[] = [];
    for (let i = 0; i <= n; i++) {
      const t = i / n, t2 = t * t, t3 = t2 * t;
      const a = 2 * t3 - 3 * t2 + 1, b = t3 - 2 * t2 + t, c = -2 * t3 + 3 * t2, e = t3 - t2;
      points.push({ x: a * x0 + b * m0x + c * x1 + e * m1x, y: a * y0 + b * m0y + c * y1 + e * m1y });
    }
    return Path.fromPoints(points);
  }

  /** The parallel curve at lateral offset `d` (positive left). */
  offset(d: number): Path {
    const points: Point2[] = [];
    for (let i = 0; i < this.xs.length; i++) {
      const h = this.tangentHeading(i);
      points.push({ x: this.xs[i] - Math.sin(h) * d, y: this.ys[i] + Math.cos(h) * d });
    }
    return Path.fromPoints(points);
  }

  /** The same curve travelled the other way. */
  reversed(): Path {
    const points: Point2[] = [];
    for (let i = this.xs.length - 1; i >= 0; i--) points.push({ x: this.xs[i], y: this.ys[i] });
    return Path.fromPoints(points);
  }

  /** The piece between two arc lengths. */
  slice(s0: number, s1: number): Path {
    const points: Point2[] = [];
    const a = Math.max(0, s0), b = Math.min(this.length, s1);
    const n = Math.max(1, Math.ceil((b - a) / this.ds));
    for (let i = 0; i <= n; i++) points.push(this.pointAt(a + ((b - a) * i) / n, { x: 0, y: 0 }));
    return Path.fromPoints(points);
  }

  /** Paths joined end to end; each should start where the one before ends. */
  static concat(paths: readonly Path[]): Path {
    const points: Point2[] = [];
    for (const p of paths) {
      for (let i = 0; i < p.xs.length; i++) {
        const last = points[points.length - 1];
        if (last && Math.hypot(last.x - p.xs[i], last.y - p.ys[i]) < 1e-6) continue;
        points.push({ x: p.xs[i], y: p.ys[i] });
      }
    }
    return Path.fromPoints(points);
  }

  /** Heading at sample i, averaged over its two segments so offsets stay smooth. */
  private tangentHeading(i: number): number {
    const n = this.xs.length;
    if (i === 0) return this.headings[0];
    if (i === n - 1) return this.headings[n - 2];
    const a = this.headings[i - 1];
    return a + wrapAngle(this.headings[i] - a) / 2;
  }

  /** Position at arc length `s`, clamped to the path. */
  pointAt(s: number, out: Point2): Point2 {
    const { i, t } = this.locate(s);
    out.x = this.xs[i] + (this.xs[i + 1] - this.xs[i]) * t;
    out.y = this.ys[i] + (this.ys[i + 1] - this.ys[i]) * t;
    return out;
  }

  /** Heading at arc length `s` [rad], interpolated between sample tangents. */
  headingAt(s: number): number {
    const { i, t } = this.locate(s);
    const a = this.tangentHeading(i);
    return a + wrapAngle(this.tangentHeading(i + 1) - a) * t;
  }

  /** Curvature at arc length `s` [1/m]. */
  curvatureAt(s: number): number {
    const { i, t } = this.locate(s);
    return this.curvatures[i] + (this.curvatures[i + 1] - this.curvatures[i]) * t;
  }

  /** The world point at arc length `s` and lateral offset `d`. */
  toWorld(s: number, d: number, out: Point2): Point2 {
    this.pointAt(s, out);
    const h = this.headingAt(s);
    out.x -= Math.sin(h) * d;
    out.y += Math.cos(h) * d;
    return out;
  }

  private readonly _loc = { i: 0, t: 0 };
  private locate(s: number): { i: number; t: number } {
    const u = Math.min(Math.max(s / this.ds, 0), this.xs.length - 1);
    let i = Math.floor(u);
    if (i >= this.xs.length - 1) i = this.xs.length - 2;
    this._loc.i = i;
    this._loc.t = u - i;
    return this._loc;
  }

  /**
   * Closest point on the path to (x, y). With `hintS`, searches locally from there, which is
   * both fast and right for paths that come back near themselves (rings); without it, searches all.
   * Points beyond the ends extrapolate along the end segments, so `s` may be < 0 or > length.
   */
  project(x: number, y: number, out: Projection, hintS?: number): Projection {
    const last = this.xs.length - 2;
    let best: number;
    if (hintS === undefined) {
      best = 0;
      let bestD = Infinity;
      for (let i = 0; i <= last + 1; i++) {
        const dx = x - this.xs[i], dy = y - this.ys[i];
        const d2 = dx * dx + dy * dy;
        if (d2 < bestD) { bestD = d2; best = i; }
      }
      best = Math.min(best, last);
    } else {
      best = Math.min(Math.max(Math.floor(hintS / this.ds), 0), last);
    }
    // Walk downhill in squared distance to the segment.
    let bestD = this.segmentDistance2(best, x, y);
    for (;;) {
      const down = best > 0 ? this.segmentDistance2(best - 1, x, y) : Infinity;
      const up = best < last ? this.segmentDistance2(best + 1, x, y) : Infinity;
      if (down < bestD && down <= up) { best--; bestD = down; }
      else if (up < bestD) { best++; bestD = up; }
      else break;
    }
    const x0 = this.xs[best], y0 = this.ys[best];
    const ex = this.xs[best + 1] - x0, ey = this.ys[best + 1] - y0;
    const len2 = ex * ex + ey * ey;
    let t = ((x - x0) * ex + (y - y0) * ey) / len2;
    if (best > 0 && t < 0) t = 0;
    if (best < last && t > 1) t = 1;
    const len = Math.sqrt(len2);
    out.s = (best + t) * this.ds;
    out.d = ((x - x0) * ey * -1 + (y - y0) * ex) / len;
    out.heading = this.headings[best];
    if (t > 0 && t < 1) out.heading = this.headingAt(out.s);
    return out;
  }

  private segmentDistance2(i: number, x: number, y: number): number {
    const x0 = this.xs[i], y0 = this.ys[i];
    const ex = this.xs[i + 1] - x0, ey = this.ys[i + 1] - y0;
    let t = ((x - x0) * ex + (y - y0) * ey) / (ex * ex + ey * ey);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const dx = x - (x0 + ex * t), dy = y - (y0 + ey * t);
    return dx * dx + dy * dy;
  }
}

/** Appends lines and arcs from a start pose, then `done()` gives the path. */
export class PathBuilder {
  private readonly points: Point2[];
  private x: number;
  private y: number;
  private h: number;

  constructor(x: number, y: number, heading: number) {
    this.x = x;
    this.y = y;
    this.h = heading;
    this.points = [{ x, y }];
  }

  line(length: number): this {
    this.x += Math.cos(this.h) * length;
    this.y += Math.sin(this.h) * length;
    this.points.push({ x: this.x, y: this.y });
    return this;
  }

  /** A circular arc of the given length [m] and signed curvature [1/m] (positive turns left). */
  arc(length: number, curvature: number): this {
    if (Math.abs(curvature) < 1e-9) return this.line(length);
    const n = Math.max(2, Math.ceil(length / 0.25));
    const step = length / n;
    const r = 1 / curvature;
    for (let i = 0; i < n; i++) {
      const h1 = this.h + step * curvature;
      this.x += r * (Math.sin(h1) - Math.sin(this.h));
      this.y -= r * (Math.cos(h1) - Math.cos(this.h));
      this.h = h1;
      this.points.push({ x: this.x, y: this.y });
    }
    return this;
  }

  /**
   * A clothoid (Euler spiral) of the given length [m] whose curvature goes linearly from k0 to
   * k1 [1/m]: the transition real roads use between a straight and a bend, so that the steering
   * needed changes smoothly instead of in a step.
   */
  clothoid(length: number, k0: number, k1: number): this {
    const n = Math.max(2, Math.ceil(length / 0.25));
    const step = length / n;
    for (let i = 0; i < n; i++) {
      // Midpoint rule on the heading keeps the error second order in the step.
      const k = k0 + ((k1 - k0) * (i + 0.5)) / n;
      const hMid = this.h + (k * step) / 2;
      this.x += Math.cos(hMid) * step;
      this.y += Math.sin(hMid) * step;
      this.h += k * step;
      this.points.push({ x: this.x, y: this.y });
    }
    return this;
  }

  done(): Path {
    return Path.fromPoints(this.points);
  }
}

/** An angle folded into (−π, π]. */
export function wrapAngle(a: number): number {
  a = (a + Math.PI) % (2 * Math.PI);
  if (a <= 0) a += 2 * Math.PI;
  return a - Math.PI;
}
