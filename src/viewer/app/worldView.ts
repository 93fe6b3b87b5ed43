/**
 * The world as the page draws it. Each episode builds the same `World` the source runs (same
 * scenario and seed give the same roads and actors) and its `DrivingScene`, the one three.js scene
 * the camera rasteriser also draws. Frames then only move the actors: their poses come from the
 * source and are eased between frames, so motion is smooth at any display rate.
 *
 * Overlays: lidar returns as points, fused tracks as discs with their 2σ uncertainty ellipse and a
 * velocity line, and a ring under the ego.
 */
import {
  BufferAttribute,
  BufferGeometry,
  CircleGeometry,
  DoubleSide,
  Group,
  Line,
  LineBasicMaterial,
  LineLoop,
  Mesh,
  MeshBasicMaterial,
  Points,
  PointsMaterial,
  RingGeometry,
} from 'three';
import { DrivingScene } from '../../../sim/scene/DrivingScene.ts';
import { lightingFor } from '../../../sim/scene/lighting.ts';
import { World } from '../../../sim/world/World.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import type { Scenario } from '../../../scenarios/schema.ts';
import type { FrameMessage, ViewerTrack } from '../protocol.ts';

const MAX_LIDAR_POINTS = 8192;
const MAX_TRACKS = 64;
const ELLIPSE_SEGMENTS = 32;
/** Height of overlays above the road, so they do not flicker against it [m] */
const OVERLAY_Y = 0.08;
const TRACK_COLOURS: Record<string, number> = { vehicle: 0xff3fa4, pedestrian: 0xffc21a, obstacle: 0x3fd2ff };

export class WorldView {
  world!: World;
  scene!: DrivingScene;
  readonly overlays = new Group();
  private readonly lidar: Points;
  private readonly lidarPositions = new Float32Array(MAX_LIDAR_POINTS * 3);
  private readonly tracks: { group: Group; ellipse: LineLoop; disc: Mesh; velocity: Line }[] = [];
  private readonly egoRing: Mesh;
  /** Poses of the frame before and of the latest frame, and when the latest arrived [ms] */
  private previous: (number | null)[] = [];
  private latest: (number | null)[] = [];
  private arrived = 0;
  private interval = 100;

  constructor() {
    this.overlays.name = 'overlays';
    const geometry = new BufferGeometry();
    geometry.setAttribute('position', new BufferAttribute(this.lidarPositions, 3));
    geometry.setDrawRange(0, 0);
    this.lidar = new Points(geometry, new PointsMaterial({ color: 0x39ff7a, size: 0.35, sizeAttenuation: true }));
    this.lidar.frustumCulled = false;
    this.lidar.name = 'lidar';
    this.overlays.add(this.lidar);
    this.egoRing = new Mesh(new RingGeometry(2.9, 3.3, 48), new MeshBasicMaterial({ color: 0x00e0ff, side: DoubleSide, transparent: true, opacity: 0.8 }));
    this.egoRing.rotation.x = -Math.PI / 2;
    this.egoRing.name = 'ego-ring';
    this.overlays.add(this.egoRing);
  }

  /** Builds the world and scene of a new episode, freeing the last one */
  async load(scenario: Scenario, seed: number): Promise<void> {
    await initPhysics();
    const old = this.scene;
    this.world?.free();
    this.world = new World(scenario, seed);
    this.scene = new DrivingScene(this.world, { lighting: lightingFor(scenario.environment) });
    old?.scene.remove(this.overlays);
    old?.dispose();
    this.scene.scene.add(this.overlays);
    this.previous = [];
    this.latest = [];
  }

  /** Takes a frame's poses and overlays; the actors ease to them over the next `intervalMs` */
  apply(frame: FrameMessage, intervalMs: number, now: number): void {
    const n = this.world.actors.length * 4;
    if (frame.poses.length !== n) throw new Error(`frame ${frame.step}: ${frame.poses.length / 4} actor poses for a world of ${n / 4} actors`);
    this.previous = this.latest.length === n ? this.latest : frame.poses;
    this.latest = frame.poses;
    this.arrived = now;
    this.interval = Math.max(1, intervalMs);
    this.world.time = frame.time;
    this.setLidar(frame.lidar);
    this.setTracks(frame.tracks);
  }

  /** Moves the actors to where they are at wall time `now`, between the last two frames */
  update(now: number): void {
    if (!this.latest.length) return;
    const t = Math.min(1, Math.max(0, (now - this.arrived) / this.interval));
    const actors = this.world.actors;
    for (let i = 0; i < actors.length; i++) {
      const a = actors[i];
      const o = i * 4;
      const x1 = this.latest[o];
      if (x1 === null) {
        a.active = false;
        continue;
      }
      a.active = true;
      const x0 = this.previous[o] ?? x1;
      const y0 = this.previous[o + 1] ?? this.latest[o + 1]!;
      const h0 = this.previous[o + 2] ?? this.latest[o + 2]!;
      const y1 = this.latest[o + 1]!, h1 = this.latest[o + 2]!;
      // A jump (a new episode, a scrub) is shown at once rather than eased.
      const jump = Math.hypot(x1 - x0, y1 - y0) > 20;
      const k = jump ? 1 : t;
      a.x = x0 + (x1 - x0) * k;
      a.y = y0 + (y1 - y0) * k;
      a.heading = h0 + wrap(h1 - h0) * k;
      a.speed = this.latest[o + 3]!;
    }
    this.scene.sync(this.world);
    const ego = this.world.egoActor;
    this.egoRing.position.set(ego.x, OVERLAY_Y, -ego.y);
    this.egoRing.visible = ego.active;
  }

  private setLidar(points: number[] | null): void {
    const n = points ? Math.min(points.length / 3, MAX_LIDAR_POINTS) : 0;
    for (let i = 0; i < n; i++) {
      // World (x east, y north, z up) to three's (x, y up, z south).
      this.lidarPositions[i * 3] = points![i * 3];
      this.lidarPositions[i * 3 + 1] = points![i * 3 + 2] + 0.05;
      this.lidarPositions[i * 3 + 2] = -points![i * 3 + 1];
    }
    const g = this.lidar.geometry;
    g.setDrawRange(0, n);
    (g.getAttribute('position') as BufferAttribute).needsUpdate = true;
    this.lidar.userData.active = n > 0;
    this.lidar.visible = n > 0;
  }

  private setTracks(tracks: ViewerTrack[] | null): void {
    const list = tracks ?? [];
    for (let i = 0; i < Math.min(list.length, MAX_TRACKS); i++) {
      const t = list[i];
      const shape = this.trackShape(i);
      shape.group.visible = true;
      shape.group.userData.active = true;
      shape.group.position.set(t.x, OVERLAY_Y + 0.02, -t.y);
      const colour = TRACK_COLOURS[t.label] ?? 0xffffff;
      (shape.ellipse.material as LineBasicMaterial).color.setHex(colour);
      (shape.disc.material as MeshBasicMaterial).color.setHex(colour);
      setEllipse(shape.ellipse, t.cov);
      const v = shape.velocity.geometry.getAttribute('position') as BufferAttribute;
      v.setXYZ(1, t.vx, 0, -t.vy);
      v.needsUpdate = true;
    }
    for (let i = list.length; i < this.tracks.length; i++) {
      this.tracks[i].group.visible = false;
      this.tracks[i].group.userData.active = false;
    }
  }

  private trackShape(i: number) {
    while (this.tracks.length <= i) {
      const group = new Group();
      group.name = `track-${this.tracks.length}`;
      const ellipse = new LineLoop(new BufferGeometry().setAttribute('position', new BufferAttribute(new Float32Array(ELLIPSE_SEGMENTS * 3), 3)), new LineBasicMaterial());
      const disc = new Mesh(new CircleGeometry(0.45, 16), new MeshBasicMaterial({ side: DoubleSide }));
      disc.rotation.x = -Math.PI / 2;
      const velocity = new Line(new BufferGeometry().setAttribute('position', new BufferAttribute(new Float32Array(6), 3)), new LineBasicMaterial({ color: 0xffffff }));
      group.add(ellipse, disc, velocity);
      // Tracks sit on the cars they follow: drawn over everything, or the bodies would hide them.
      for (const o of [ellipse, disc, velocity]) {
        o.frustumCulled = false;
        o.renderOrder = 10;
        const m = o.material as LineBasicMaterial | MeshBasicMaterial;
        m.depthTest = false;
        m.transparent = true;
      }
      (disc.material as MeshBasicMaterial).opacity = 0.7;
      this.overlays.add(group);
      this.tracks.push({ group, ellipse, disc, velocity });
    }
    return this.tracks[i];
  }
}

/**
 * The 2σ ellipse of a position covariance [xx, xy, yy] (world x east, y north), as points around
 * the origin in three's ground plane. Axes are the covariance's eigenvectors, half-lengths 2√λ.
 */
export function ellipsePoints(cov: [number, number, number], segments = ELLIPSE_SEGMENTS, out: Float32Array<ArrayBufferLike> = new Float32Array(segments * 3)): Float32Array<ArrayBufferLike> {
  const [a, b, c] = cov;
  const mean = (a + c) / 2, diff = (a - c) / 2;
  const r = Math.hypot(diff, b);
  const l1 = Math.max(mean + r, 0), l2 = Math.max(mean - r, 0);
  const angle = 0.5 * Math.atan2(2 * b, a - c);
  const s1 = 2 * Math.sqrt(l1), s2 = 2 * Math.sqrt(l2);
  const ca = Math.cos(angle), sa = Math.sin(angle);
  for (let i = 0; i < segments; i++) {
    const t = (2 * Math.PI * i) / segments;
    const u = s1 * Math.cos(t), v = s2 * Math.sin(t);
    const x = ca * u - sa * v, y = sa * u + ca * v;
    out[i * 3] = x;
    out[i * 3 + 1] = 0;
    out[i * 3 + 2] = -y;
  }
  return out;
}

function setEllipse(line: LineLoop, cov: [number, number, number]): void {
  const attr = line.geometry.getAttribute('position') as BufferAttribute;
  ellipsePoints(cov, ELLIPSE_SEGMENTS, attr.array as Float32Array);
  attr.needsUpdate = true;
  line.geometry.computeBoundingSphere();
}

function wrap(angle: number): number {
  return angle - 2 * Math.PI * Math.round(angle / (2 * Math.PI));
}
