/**
 * Multi-object tracking in the plane: a constant-velocity Kalman filter per track, association of
 * each frame's position measurements to tracks by squared Mahalanobis distance with a χ² gate
 * (Hungarian method), and track management: an unmatched measurement starts a tentative track, a
 * track seen `confirmHits` times is confirmed, and one missed `maxMisses` frames in a row ends.
 * A labelled measurement never updates a track started with another label. Tracks carry world positions,
 * velocities and their covariance; ids are never reused.
 */
import { associate } from './associate.ts';
import { ConstantVelocityKalman } from './kalman.ts';

export interface Measurement {
  /** World position [m] */
  position: [number, number];
  /** 2×2 covariance of the position, row-major [m²] */
  covariance: [number, number, number, number];
  /** Class label, kept by the track it starts */
  label?: string;
}

export interface Track {
  id: number;
  label: string;
  position: [number, number];
  velocity: [number, number];
  /** 4×4 covariance of [x, y, vx, vy], row-major */
  covariance: Float64Array;
  confirmed: boolean;
  /** Measurements it took, and frames missed in a row */
  hits: number;
  misses: number;
  /** Time since its first measurement [s] */
  age: number;
}

export interface TrackerOptions {
  /** White-acceleration spectral density of the motion model [m²/s³] */
  q: number;
  /** Largest squared Mahalanobis distance of a measurement from a track it may update (χ², 2 dof: 9.21 is 99%) */
  gate: number;
  /** Hits that confirm a track */
  confirmHits: number;
  /** Frames missed in a row that end a track */
  maxMisses: number;
  /** σ of the unknown velocity of a new track [m/s] */
  initialVelocityStd: number;
}

export const DEFAULT_TRACKER: TrackerOptions = { q: 2, gate: 9.21, confirmHits: 3, maxMisses: 3, initialVelocityStd: 10 };

interface Internal {
  id: number;
  /** Time of its first measurement [s] */
  born: number;
  label: string;
  /** Whether its first measurement had a label: only then do labels gate */
  labelled: boolean;
  filter: ConstantVelocityKalman;
  hits: number;
  misses: number;
  confirmed: boolean;
}

export class Tracker {
  private readonly options: TrackerOptions;
  private tracks: Internal[] = [];
  private nextId = 1;
  private time: number | null = null;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER, ...options };
  }

  /** Takes the measurements of the frame at `time` [s]; returns the confirmed tracks after it */
  step(time: number, measurements: readonly Measurement[]): Track[] {
    const o = this.options;
    if (this.time !== null) {
      const dt = time - this.time;
      if (!(dt >= 0)) throw new Error(`tracker: frames must come in time order; got ${time} s after ${this.time} s`);
      if (dt > 0) for (const t of this.tracks) t.filter.predict(dt);
    }
    this.time = time;
    const cost = this.tracks.map((t) => measurements.map((m) => (m.label !== undefined && t.labelled && m.label !== t.label ? Infinity : t.filter.mahalanobis2(m.position, m.covariance))));
    const { matches, unmatchedRows, unmatchedColumns } = associate(cost, o.gate, measurements.length);
    for (const [r, c] of matches) {
      const t = this.tracks[r];
      t.filter.update(measurements[c].position, measurements[c].covariance);
      t.hits++;
      t.misses = 0;
      if (t.hits >= o.confirmHits) t.confirmed = true;
    }
    for (const r of unmatchedRows) this.tracks[r].misses++;
    this.tracks = this.tracks.filter((t) => t.misses < o.maxMisses && (t.confirmed || t.misses === 0));
    for (const c of unmatchedColumns) {
      const m = measurements[c];
      const filter = new ConstantVelocityKalman(m.position, 1, o.initialVelocityStd, o.q);
      filter.P[0] = m.covariance[0];
      filter.P[1] = m.covariance[1];
      filter.P[4] = m.covariance[2];
      filter.P[5] = m.covariance[3];
      this.tracks.push({ id: this.nextId++, born: time, label: m.label ?? 'object', labelled: m.label !== undefined, filter, hits: 1, misses: 0, confirmed: o.confirmHits <= 1 });
    }
    return this.tracks.filter((t) => t.confirmed).map((t) => ({
      id: t.id,
      label: t.label,
      position: [t.filter.x[0], t.filter.x[1]],
      velocity: [t.filter.x[2], t.filter.x[3]],
      covariance: t.filter.P.slice(),
      confirmed: true,
      hits: t.hits,
      misses: t.misses,
      age: time - t.born,
    }));
  }
}
