import { describe, expect, it } from 'vitest';
import { lightingFor } from '../../../sim/scene/lighting.ts';

const DEG = Math.PI / 180;

describe('lightingFor', () => {
  it('has a unit sun at the preset heights and an override', () => {
    for (const [timeOfDay, elevation] of [['day', 50], ['dusk', 10], ['night', 35]] as const) {
      const l = lightingFor({ timeOfDay });
      expect(Math.hypot(l.sunDirection.x, l.sunDirection.y, l.sunDirection.z)).toBeCloseTo(1, 12);
      expect(Math.asin(l.sunDirection.y) / DEG).toBeCloseTo(elevation, 9);
    }
    const l = lightingFor({ sun: { azimuth: 90, elevation: 0 }, fog: 0.01 });
    // Azimuth 90° is ground +y, which is world −Z.
    expect(l.sunDirection.z).toBeCloseTo(-1, 12);
    expect(l.fogDensity).toBe(0.01);
  });
});
