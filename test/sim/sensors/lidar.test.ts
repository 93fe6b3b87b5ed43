import { describe, expect, it } from 'vitest';
import type { ScenarioOverrides } from '../../../scenarios/parse.ts';
import { make } from '../../../sim/env/registry.ts';

const DEG = Math.PI / 180;

/** An empty straight highway, the ego in lane 1 at 20 m, optionally a barrier (0.6 m deep, 1 m high) in that lane. */
function road(sensors: unknown[], barrierAt?: number): ScenarioOverrides {
  return {
    traffic: { vehicles: 0 },
    ego: { lane: 1, position: 20, speed: 0 },
    obstacles: barrierAt === undefined ? [] : [{ lane: 1, position: barrierAt, kind: 'barrier' }],
    sensors: sensors as ScenarioOverrides['sensors'],
  };
}

describe('lidar range noise', () => {
  it('has the configured standard deviation and no bias', async () => {
    const SIGMA = 0.2, RANGE = 80, RAYS = 3600;
    const lidar = { type: 'lidar', rays: RAYS, range: RANGE, height: 0.5 };
    const env = await make('highway', road([{ ...lidar, id: 'noisy', noise: SIGMA }, { ...lidar, id: 'exact', noise: 0 }], 60));
    // The barrier's face is 39.7 m ahead and 2.6 m wide: rays within ±1.5° (0.1° apart) all hit it.
    const rays = [...Array.from({ length: 16 }, (_, i) => i), ...Array.from({ length: 15 }, (_, i) => RAYS - 1 - i)];
    const errors: number[] = [];
    for (let seed = 0; seed < 60; seed++) {
      const o = env.reset({ seed }).observation;
      for (const i of rays) {
        expect(o.exact[i] * RANGE).toBeLessThan(40);
        errors.push((o.noisy[i] - o.exact[i]) * RANGE);
      }
    }
    env.close();
    const n = errors.length;
    const mean = errors.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    // The sample mean has standard error σ/√n; (n − 1)s²/σ² is χ²(n − 1), so s/σ has standard
    // error about 1/√(2(n − 1)). Four standard errors either way.
    expect(n).toBe(1860);
    expect(Math.abs(mean)).toBeLessThan((4 * SIGMA) / Math.sqrt(n));
    expect(Math.abs(std / SIGMA - 1)).toBeLessThan(4 / Math.sqrt(2 * (n - 1)));
  });
});

describe('lidar channels', () => {
  it('points every channel at its elevation: down at the ground, h / sin|elevation| away', async () => {
    // Seven channels from −40° to −10°, 5° apart, 1.5 m up: the ground is 2.33 m to 8.64 m away.
    const CHANNELS = 7, RAYS = 4, RANGE = 60, H = 1.5;
    const env = await make('highway', road([{ type: 'lidar', channels: CHANNELS, verticalFov: [-40, -10], rays: RAYS, range: RANGE, height: H }]));
    const o = env.reset({ seed: 0 }).observation.lidar;
    for (let c = 0; c < CHANNELS; c++) {
      const elevation = -40 + 5 * c;
      const range = o[c * RAYS] * RANGE;
      // Straight ahead and straight back see the same flat ground.
      expect(o[c * RAYS + 2]).toBeCloseTo(o[c * RAYS], 5);
      expect(-Math.asin(H / range) / DEG, `channel ${c}`).toBeCloseTo(elevation, 3);
    }
    env.close();
  });

  it('points every channel at its elevation: a wall 3.4 m ahead is hit at h + d·tan(elevation)', async () => {
    // Mounted on the front bumper (2.3 m ahead of the centre), 0.5 m up; the barrier's face is
    // 26 − 0.3 − 20 − 2.3 = 3.4 m ahead. Nine channels from −4° to 12°, 2° apart: up to 8° they hit
    // the 1 m high barrier at 0.5 + 3.4 tan(elevation) ≤ 0.98 m; 10° and 12° pass over it into empty space.
    const CHANNELS = 9, RAYS = 8, RANGE = 50, H = 0.5, D = 3.4;
    const env = await make('highway', road([{ type: 'lidar', channels: CHANNELS, verticalFov: [-4, 12], rays: RAYS, range: RANGE, height: H, mount: { x: 2.3 } }], 26));
    const o = env.reset({ seed: 0 }).observation.lidar;
    for (let c = 0; c < CHANNELS; c++) {
      const elevation = (-4 + 2 * c) * DEG;
      const range = o[c * RAYS] * RANGE;
      if (c >= 7) {
        expect(o[c * RAYS], `channel ${c}`).toBe(1);
        continue;
      }
      // The range to the wall gives the height of the hit above the mount, |z − h| = √(r² − d²)
      // (to a few mm: near 0° a µm of range is mm of height).
      const rise = Math.sqrt(Math.max(range * range - D * D, 0));
      expect(rise, `channel ${c}`).toBeCloseTo(Math.abs(D * Math.tan(elevation)), 2);
      expect(range, `channel ${c}`).toBeCloseTo(D / Math.cos(elevation), 4);
    }
    env.close();
  });
});

describe('lidar mount', () => {
  it('takes its height from `height` when the mount gives only some fields, and from mount.z when it gives z', async () => {
    // One channel 30° down: the ground is h / sin 30° = 2h away.
    const lidar = { type: 'lidar', channels: 1, verticalFov: [-30, -30], rays: 4, range: 20 };
    const env = await make('highway', road([
      { ...lidar, id: 'low', height: 0.5, mount: { x: 2.3 } },
      { ...lidar, id: 'high', height: 0.5, mount: { x: 2.3, z: 2 } },
    ]));
    const o = env.reset({ seed: 0 }).observation;
    expect(o.low[0] * 20).toBeCloseTo(1, 4);
    expect(o.high[0] * 20).toBeCloseTo(4, 4);
    env.close();
  });
});
