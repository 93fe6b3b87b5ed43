/** The page's world view, in Node: the uncertainty ellipse by hand, and the easing of poses between frames. */
import { describe, expect, it } from 'vitest';
import { builtinScenario } from '../../../scenarios/library.ts';
import { ellipsePoints, WorldView } from '../../../src/viewer/app/worldView.ts';
import type { FrameMessage } from '../../../src/viewer/protocol.ts';

/** Farthest point of an outline from the origin: [distance, world direction (rad, from east, counter-clockwise)] */
function farthest(points: Float32Array): [number, number] {
  let best = 0, angle = 0;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i], y = -points[i + 2]; // three's z points south
    const d = Math.hypot(x, y);
    if (d > best) [best, angle] = [d, Math.atan2(y, x)];
  }
  return [best, angle];
}

describe('uncertainty ellipse', () => {
  it('has half-axes of two standard deviations along x and y for a diagonal covariance', () => {
    const p = ellipsePoints([4, 0, 1], 64);
    let maxX = 0, maxY = 0;
    for (let i = 0; i < p.length; i += 3) {
      maxX = Math.max(maxX, Math.abs(p[i]));
      maxY = Math.max(maxY, Math.abs(p[i + 2]));
      expect(p[i + 1]).toBe(0);
    }
    expect(maxX).toBeCloseTo(4, 5); // 2σ, σ = √4
    expect(maxY).toBeCloseTo(2, 5);
  });

  it('turns with the covariance: σ² = 9 along 30° and 1 across it', () => {
    const t = Math.PI / 6, c = Math.cos(t), s = Math.sin(t);
    // R diag(9, 1) Rᵀ
    const cov: [number, number, number] = [9 * c * c + s * s, 8 * c * s, 9 * s * s + c * c];
    const [d, angle] = farthest(ellipsePoints(cov, 720));
    expect(d).toBeCloseTo(6, 3);
    expect(Math.abs(Math.sin(angle - t))).toBeLessThan(0.01); // along ±30°
    const p = ellipsePoints(cov, 720);
    let nearest = Infinity;
    for (let i = 0; i < p.length; i += 3) nearest = Math.min(nearest, Math.hypot(p[i], p[i + 2]));
    expect(nearest).toBeCloseTo(2, 3);
  });
});

describe('world view', () => {
  const frame = (poses: (number | null)[], step: number): FrameMessage => ({
    type: 'frame', step, time: step * 0.1, poses, speed: 0, reward: 0, rewards: {}, return: 0, action: null, driver: 'agent', values: null, detections: null, lidar: null, tracks: null, outcome: null,
  });

  it('eases actors from the last frame to the new one, turning the short way, and hides inactive ones', async () => {
    const view = new WorldView();
    await view.load(builtinScenario('highway')!, 4);
    const n = view.world.actors.length;
    const a = new Array<number | null>(n * 4).fill(0);
    const b = new Array<number | null>(n * 4).fill(0);
    a.splice(0, 4, 10, 5, Math.PI - 0.1, 20);
    b.splice(0, 4, 12, 6, -Math.PI + 0.1, 21);
    b.splice(4, 4, null, null, null, null);
    view.apply(frame(a, 0), 100, 0);
    view.apply(frame(b, 1), 100, 1000);
    view.update(1050);
    const ego = view.world.egoActor;
    expect(ego.x).toBeCloseTo(11, 6);
    expect(ego.y).toBeCloseTo(5.5, 6);
    expect(Math.cos(ego.heading)).toBeCloseTo(-1, 6); // through π, not through 0
    const group = view.scene.actorGroups[0];
    expect(group.position.x).toBeCloseTo(11, 6);
    expect(group.position.z).toBeCloseTo(-5.5, 6);
    expect(view.scene.actorGroups[1].visible).toBe(false);
    view.update(5000);
    expect(ego.x).toBe(12);
    expect(() => view.apply(frame([1, 2, 3, 4], 2), 100, 0)).toThrow(/1 actor poses for a world of \d+ actors/);
  });

  it('shows lidar returns and one outline per track, hiding those of tracks that ended', async () => {
    const view = new WorldView();
    await view.load(builtinScenario('highway')!, 4);
    const poses = new Array<number | null>(view.world.actors.length * 4).fill(0);
    const f = frame(poses, 0);
    f.lidar = [1, 2, 1, 3, 4, 1];
    f.tracks = [
      { id: 1, label: 'vehicle', x: 5, y: 6, vx: 1, vy: 0, cov: [1, 0, 1] },
      { id: 2, label: 'pedestrian', x: 7, y: 8, vx: 0, vy: 1, cov: [1, 0, 1] },
    ];
    view.apply(f, 100, 0);
    const lidar = view.overlays.getObjectByName('lidar')!;
    expect(lidar.visible).toBe(true);
    const shown = () => view.overlays.children.filter((o) => o.name.startsWith('track-') && o.visible);
    expect(shown().map((o) => [o.position.x, o.position.z])).toEqual([[5, -6], [7, -8]]);
    f.tracks = f.tracks.slice(1);
    f.lidar = null;
    view.apply(f, 100, 0);
    expect(shown()).toHaveLength(1);
    expect(lidar.visible).toBe(false);
  });
});
