/**
 * The page's world view in Node: where the overlays sit in three's frame (x east, y up, z south),
 * and that a jump between two frames is shown at once rather than eased.
 */
import { BufferAttribute, type Line, type Mesh, type Points } from 'three';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinScenario } from '../../../scenarios/library.ts';
import { WorldView } from '../../../src/viewer/app/worldView.ts';
import type { FrameMessage } from '../../../src/viewer/protocol.ts';

const frame = (poses: (number | null)[], step: number, extra: Partial<FrameMessage> = {}): FrameMessage => ({
  type: 'frame', step, time: step * 0.1, poses, speed: 0, reward: 0, rewards: {}, return: 0, action: null, driver: 'agent', values: null, detections: null, lidar: null, tracks: null, outcome: null, ...extra,
});

let view: WorldView;
beforeAll(async () => {
  view = new WorldView();
  await view.load(builtinScenario('highway')!, 4);
});

/** Poses of every actor at the origin, with actor `i` at (x, y, heading, speed) */
function poses(i: number, x: number, y: number, heading = 0, speed = 0): (number | null)[] {
  const p = new Array<number | null>(view.world.actors.length * 4).fill(0);
  p.splice(i * 4, 4, x, y, heading, speed);
  return p;
}

describe('world view overlays', () => {
  it('draws a lidar return at world (x, y, z) at three\'s (x, z + 0.05, −y)', () => {
    view.apply(frame(poses(0, 0, 0), 0, { lidar: [1, 2, 1, -3, 4.5, 0.25] }), 100, 0);
    const lidar = view.overlays.getObjectByName('lidar') as Points;
    const position = lidar.geometry.getAttribute('position') as BufferAttribute;
    expect([position.getX(0), position.getY(0), position.getZ(0)]).toEqual([1, Math.fround(1.05), -2]);
    expect([position.getX(1), position.getY(1), position.getZ(1)]).toEqual([-3, Math.fround(0.3), -4.5]);
    expect(lidar.geometry.drawRange.count).toBe(2);
    expect(lidar.visible).toBe(true);
  });

  it('puts the ring under the ego at (ego.x, y, −ego.y)', () => {
    view.apply(frame(poses(0, 37.5, -4.25, 0.3, 20), 1), 100, 0);
    view.update(1000);
    const ego = view.world.egoActor;
    expect([ego.x, ego.y]).toEqual([37.5, -4.25]);
    const ring = view.overlays.getObjectByName('ego-ring') as Mesh;
    expect(ring.position.x).toBeCloseTo(37.5, 9);
    expect(ring.position.y).toBeGreaterThan(0);
    expect(ring.position.y).toBeLessThan(0.5);
    expect(ring.position.z).toBeCloseTo(4.25, 9);
    expect(ring.visible).toBe(true);
  });

  it('draws a track\'s velocity line from its centre to (vx, 0, −vy)', () => {
    const f = frame(poses(0, 0, 0), 2, { tracks: [{ id: 3, label: 'vehicle', x: 5, y: 6, vx: 3, vy: 4, cov: [1, 0, 1] }] });
    view.apply(f, 100, 0);
    const track = view.overlays.getObjectByName('track-0')!;
    const line = track.children.find((o) => o.type === 'Line') as Line;
    const v = line.geometry.getAttribute('position') as BufferAttribute;
    expect([v.getX(0), v.getY(0), v.getZ(0)]).toEqual([0, 0, 0]);
    expect([v.getX(1), v.getY(1), v.getZ(1)]).toEqual([3, 0, -4]);
    f.tracks = [{ id: 3, label: 'vehicle', x: 5, y: 6, vx: -2, vy: -1.5, cov: [1, 0, 1] }];
    view.apply(f, 100, 0);
    expect([v.getX(1), v.getY(1), v.getZ(1)]).toEqual([-2, 0, 1.5]);
  });
});

describe('world view easing', () => {
  it('shows a jump of more than 20 m at once, and eases a shorter move', async () => {
    const v = new WorldView();
    await v.load(builtinScenario('highway')!, 4);
    const at = (x: number, y: number) => {
      const p = new Array<number | null>(v.world.actors.length * 4).fill(0);
      p.splice(0, 4, x, y, 0.5, 10);
      return p;
    };
    const ego = v.world.egoActor;

    v.apply(frame(at(0, 0), 0), 100, 0);
    v.apply(frame(at(30, 0), 1), 100, 1000); // 30 m along x
    v.update(1050);
    expect([ego.x, ego.y]).toEqual([30, 0]);

    v.apply(frame(at(30, 25), 2), 100, 2000); // 25 m along y
    v.update(2050);
    expect([ego.x, ego.y]).toEqual([30, 25]);

    v.apply(frame(at(45, 40), 3), 100, 3000); // 21.2 m diagonally
    v.update(3050);
    expect([ego.x, ego.y]).toEqual([45, 40]);

    v.apply(frame(at(55, 40), 4), 100, 4000); // 10 m: eased, halfway at half the interval
    v.update(4050);
    expect(ego.x).toBeCloseTo(50, 9);
    expect(ego.y).toBeCloseTo(40, 9);
  });
});
