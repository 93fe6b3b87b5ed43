import { describe, expect, it } from 'vitest';
import { Path, newProjection, wrapAngle } from '../../../sim/road/Path.ts';

const R = 20;
/** A quarter circle of radius 20 m turning left from the origin, heading +x. */
const quarter = () => Path.build(0, 0, 0).arc((Math.PI / 2) * R, 1 / R).done();

describe('Path', () => {
  it('measures a quarter circle of radius 20 as 10π within 0.5%', () => {
    const p = quarter();
    expect(Math.abs(p.length - 10 * Math.PI) / (10 * Math.PI)).toBeLessThan(0.005);
    const end = p.pointAt(p.length, { x: 0, y: 0 });
    expect(end.x).toBeCloseTo(R, 1);
    expect(end.y).toBeCloseTo(R, 1);
  });

  it('projects points 2 m either side back to d = ±2 and the right s', () => {
    const p = quarter();
    const proj = newProjection();
    for (const s of [3, 10, 17.5, 25]) {
      for (const d of [2, -2]) {
        const q = p.toWorld(s, d, { x: 0, y: 0 });
        p.project(q.x, q.y, proj);
        expect(Math.abs(proj.d - d)).toBeLessThan(0.01);
        expect(Math.abs(proj.s - s)).toBeLessThan(0.05);
        expect(Math.abs(wrapAngle(proj.heading - p.headingAt(s)))).toBeLessThan(0.02);
      }
    }
  });

  it('offsets a straight line 3 m to the left', () => {
    const line = Path.build(0, 0, 0).line(50).done();
    const left = line.offset(3);
    expect(left.length).toBeCloseTo(50, 6);
    for (let i = 0; i < left.xs.length; i++) expect(left.ys[i]).toBeCloseTo(3, 9);
    // Heading north, "left" is −x.
    const north = Path.build(0, 0, Math.PI / 2).line(10).done().offset(3);
    expect(north.xs[0]).toBeCloseTo(-3, 9);
  });

  it('gives an arc a curvature of 1/R within 2%', () => {
    const p = quarter();
    for (const s of [2, p.length / 2, p.length - 2]) {
      expect(Math.abs(p.curvatureAt(s) - 1 / R) * R).toBeLessThan(0.02);
    }
    const right = Path.build(0, 0, 0).arc(20, -1 / R).done();
    expect(Math.abs(right.curvatureAt(10) + 1 / R) * R).toBeLessThan(0.02);
  });

  it('reverses a path by swapping its ends and turning its heading around', () => {
    const p = quarter();
    const r = p.reversed();
    expect(Math.abs(r.length - p.length) / p.length).toBeLessThan(1e-4);
    expect(r.xs[0]).toBeCloseTo(p.xs[p.xs.length - 1], 9);
    expect(r.ys[0]).toBeCloseTo(p.ys[p.ys.length - 1], 9);
    expect(r.xs[r.xs.length - 1]).toBeCloseTo(p.xs[0], 9);
    expect(r.ys[r.ys.length - 1]).toBeCloseTo(p.ys[0], 9);
    expect(Math.abs(wrapAngle(r.headingAt(0) - (p.headingAt(p.length) + Math.PI)))).toBeLessThan(0.05);
  });
});

describe('clothoid', () => {
  it('turns by (k0 + k1)·L/2 and its curvature rises linearly', () => {
    const path = Path.build(0, 0, 0).clothoid(40, 0, 0.05).done();
    expect(path.length).toBeCloseTo(40, 1);
    // θ(s) = k1·s² / (2L): 0.25 rad half-way, 1 rad at the end (the last sample's chord lags by ds·κ/2).
    expect(path.headingAt(20)).toBeCloseTo(0.25, 2);
    expect(Math.abs(path.headingAt(path.length) - 1)).toBeLessThan(0.02);
    expect(path.curvatureAt(20)).toBeCloseTo(0.025, 3);
    expect(path.curvatureAt(10)).toBeCloseTo(0.0125, 3);
  });
});
