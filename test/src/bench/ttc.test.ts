import { describe, expect, it } from 'vitest';
import { timeToCollision, type MovingBox } from '../../../src/bench/ttc.ts';

const DEG = Math.PI / 180;
const COS45 = Math.SQRT1_2;

/** A box moving along its heading. Cars are 4.6 × 1.9 m. */
const box = (x: number, y: number, heading: number, speed: number, length = 4.6, width = 1.9): MovingBox => ({
  x, y, heading, vx: speed * Math.cos(heading), vy: speed * Math.sin(heading), length, width,
});

/** The same box seen in a frame turned by `angle` about (ox, oy) and shifted by (tx, ty). */
function moved(b: MovingBox, angle: number, ox: number, oy: number, tx: number, ty: number): MovingBox {
  const c = Math.cos(angle), s = Math.sin(angle);
  const dx = b.x - ox, dy = b.y - oy;
  return {
    x: ox + c * dx - s * dy + tx, y: oy + s * dx + c * dy + ty, heading: b.heading + angle,
    vx: c * b.vx - s * b.vy, vy: s * b.vx + c * b.vy, length: b.length, width: b.width,
  };
}

/**
 * Situations with rotated boxes whose contact time is worked out by hand below. In each, the ego
 * `a` is the car at the origin heading along +x (its faces at x = ±2.3, y = ±0.95).
 */
const CASES: { label: string; a: MovingBox; b: MovingBox; ttc: number }[] = [
  {
    // b turned 45° drives straight at the parked ego along −x at 10 m/s. Its point furthest
    // towards −x is a corner (2.3 + 0.95)·cos 45° behind its centre, at y = 0.5 − (2.3 − 0.95)·cos 45°
    // = −0.45, inside the ego's front face; it reaches x = 2.3 after (20 − 2.3 − 3.25·cos 45°) / 10 s.
    label: 'a car turned 45° hits the front face corner first',
    a: box(0, 0, 0, 0),
    b: { ...box(20, 0.5, 45 * DEG, 0), vx: -10 },
    ttc: (20 - 2.3 - 3.25 * COS45) / 10,
  },
  {
    // The ego drives at 10 m/s into a parked barrier (0.6 × 2.6 m) turned 45°. The barrier's
    // corner nearest the ego lies (0.3 + 1.3)·cos 45° before its centre at y = (1.3 − 0.3)·cos 45°
    // = 0.71, inside the ego's front face. The ego's own front-left corner would meet the barrier's
    // near face beyond its end (1.64 m from its centre, the face is 1.3 m long), so the corner
    // contact is the first: after (20 − 2.3 − 1.6·cos 45°) / 10 s.
    label: 'the ego runs into a barrier turned 45°',
    a: box(0, 0, 0, 10),
    b: box(20, 0, 45 * DEG, 0, 0.6, 2.6),
    ttc: (20 - 2.3 - 1.6 * COS45) / 10,
  },
  {
    // Converging at 30°: both at 10 m/s, b from 8 m to the left heading −30°. Relative velocity
    // (10 cos 30° − 10, −5). b's lowest point is its front-right corner, 2.3 sin 30° + 0.95 cos 30°
    // below its centre; it falls to the ego's left face y = 0.95 after
    // (8 − 0.95 − 1.15 − 0.95 cos 30°) / 5 = 1.0155 s, at x = 1.517 − 1.340 × 1.0155 = 0.157,
    // inside the face, and nothing of b is lower before then.
    label: 'paths converging at 30°',
    a: box(0, 0, 0, 10),
    b: box(0, 8, -30 * DEG, 10),
    ttc: (8 - 0.95 - 2.3 * Math.sin(30 * DEG) - 0.95 * Math.cos(30 * DEG)) / 5,
  },
  {
    // A car alongside cuts in: centre 0.3 m behind the ego's and 3.5 m to its left, same forward
    // speed (20 m/s), closing sideways at 1 m/s, so heading −atan(1/20). Its front-right corner,
    // 2.3 sin α + 0.95 cos α below its centre and at x = −0.3 + 2.3 cos α + 0.95 sin α = 2.04
    // (within the ego's length), closes the 3.5 − 0.95 − 1.064 m gap at 1 m/s.
    label: 'a car alongside cutting in, its centre behind the ego’s',
    a: box(0, 0, 0, 20),
    b: box(-0.3, 3.5, -Math.atan(1 / 20), Math.hypot(20, 1)),
    ttc: 3.5 - 0.95 - 2.3 * Math.sin(Math.atan(1 / 20)) - 0.95 * Math.cos(Math.atan(1 / 20)),
  },
  {
    // A cone (0.45 m) at 60 m/s: the boxes overlap for only (4.6 + 0.45) / 60 = 0.084 s, from
    // (15 − 2.3 − 0.225) / 60 = 0.208 s; a search in 0.1 s steps samples 0.2 and 0.3 and misses it.
    label: 'a thin object at high speed is not stepped over',
    a: box(0, 0, 0, 60),
    b: box(15, 0, 0, 0, 0.45, 0.45),
    ttc: (15 - 2.3 - 0.225) / 60,
  },
];

describe('time to collision between rotated boxes', () => {
  for (const { label, a, b, ttc } of CASES) {
    it(`${label}: ${ttc.toFixed(4)} s by hand`, () => {
      expect(ttc).toBeGreaterThan(0);
      expect(ttc).toBeLessThan(5);
      expect(Math.abs(timeToCollision(a, b) - ttc)).toBeLessThan(1e-9);
    });

    it(`${label}: the same in any frame and either way round`, () => {
      for (const [angle, ox, oy, tx, ty] of [[0.7, 3, -2, 100, 50], [2.3, 0, 0, -40, 7], [-1.9, -5, 11, 0, 0], [Math.PI, 1, 1, 2, 2]]) {
        const ra = moved(a, angle, ox, oy, tx, ty), rb = moved(b, angle, ox, oy, tx, ty);
        expect(Math.abs(timeToCollision(ra, rb) - ttc)).toBeLessThan(1e-9);
        expect(Math.abs(timeToCollision(rb, ra) - ttc)).toBeLessThan(1e-9);
      }
    });
  }

  it('a small box grazing the ego\'s corner, its path never nearer the ego\'s centre than 2.7 m', () => {
    // u points from the ego's centre to its front-left corner (2.3, 0.95), 2.488 m away; w is u
    // turned 90°. A 0.5 m square aligned with u moves along w at 2 m/s, 2.7 m out along u: its
    // near face (u = 2.45) passes inside the corner. The ego's part beyond u = 2.45 is a sliver at
    // the corner whose lowest w lies on the front face x = 2.3, at y where 2.3·u_x + y·u_y = 2.45.
    // The square's leading face (w = c + 0.25, starting from c = −5) reaches that w first.
    const d = Math.hypot(2.3, 0.95);
    const [ux, uy] = [2.3 / d, 0.95 / d];
    const [wx, wy] = [-uy, ux];
    const y = (2.45 - 2.3 * ux) / uy;
    const wLowest = 2.3 * wx + y * wy;
    const heading = Math.atan2(uy, ux);
    const b: MovingBox = { x: 2.7 * ux - 5 * wx, y: 2.7 * uy - 5 * wy, heading, vx: 2 * wx, vy: 2 * wy, length: 0.5, width: 0.5 };
    expect(Math.abs(timeToCollision(box(0, 0, 0, 0), b) - (wLowest + 5 - 0.25) / 2)).toBeLessThan(1e-9);
  });

  it('just out of reach: the 45° car passing 0.1 m clear of the ego corner, or meeting after the horizon', () => {
    // b's lowest corner is 3.25·cos 45° = 2.298 below its centre; with the centre 3.35 m up it
    // passes 0.1 m above the ego's left face (y = 0.95), which the corner runs along.
    const clear = { ...box(20, 0.95 + 3.25 * COS45 + 0.1, 45 * DEG, 0), vx: -10 };
    expect(timeToCollision(box(0, 0, 0, 0), clear)).toBe(Infinity);
    // 2 mm lower, b's lower edge catches the ego's front-left corner; from 80 m that is after 5 s.
    const touching = { ...clear, y: clear.y - 0.102 };
    expect(timeToCollision(box(0, 0, 0, 0), touching)).toBeGreaterThan(0);
    expect(timeToCollision(box(0, 0, 0, 0), { ...touching, x: 80 })).toBe(Infinity);
    expect(timeToCollision(box(0, 0, 0, 0), { ...touching, x: 80 }, 10)).toBeLessThan(10);
  });

  it('boxes that overlapped only in the past, or overlap now, give Infinity and 0', () => {
    // Moving apart after a touch: the overlap interval lies before t = 0.
    expect(timeToCollision(box(0, 0, 0, 0), box(5, 0, 30 * DEG, 10))).toBe(Infinity);
    expect(timeToCollision(box(0, 0, 0, 0), box(4, 0.5, 30 * DEG, 10))).toBe(0);
  });
});
