import { describe, expect, it } from 'vitest';
import { FILL_SUBPIXEL, rasterTriangle } from '../../../../sim/sensors/camera/triangle.ts';

describe('fill rule', () => {
  it('covers every pixel of a tiled rectangle exactly once', () => {
    const W = 40, H = 30;
    const target = { width: W, height: H, invDepth: new Float32Array(W * H), triangle: new Int32Array(W * H), cover: new Int32Array(W * H), coverCount: new Int32Array(1), invFar: 0, span: new Int32Array(2) };
    const count = new Int32Array(W * H);
    // A 7×6 vertex grid over [2.5, 37.5] × [2.5, 27.5] px: the border runs through pixel centres, inner
    // vertices are jittered, and some inner ones sit exactly on pixel centres too.
    const nx = 7, ny = 6;
    const vx: number[] = [], vy: number[] = [];
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const inner = i > 0 && i < nx - 1 && j > 0 && j < ny - 1;
        const jitter = inner && (i + j) % 3 !== 0 ? (((i * 7 + j * 3) % 5) - 2) * 0.37 : 0;
        vx.push(Math.round((2.5 + (35 * i) / (nx - 1) + jitter) * FILL_SUBPIXEL));
        vy.push(Math.round((2.5 + (25 * j) / (ny - 1) - jitter) * FILL_SUBPIXEL));
      }
    }
    // (fixed x, fixed y, 1/depth) per vertex
    const verts = Float64Array.from(vx.flatMap((x, i) => [x, vy[i], 1]));
    const draw = (a: number, b: number, c: number) => {
      target.invDepth.fill(0);
      target.triangle.fill(-1);
      rasterTriangle(target, 7, 0, 0, verts, a * 3, b * 3, c * 3);
      for (let p = 0; p < W * H; p++) if (target.triangle[p] === 7) count[p]++;
    };
    for (let j = 0; j + 1 < ny; j++) {
      for (let i = 0; i + 1 < nx; i++) {
        const a = j * nx + i, b = a + 1, c = a + nx + 1, d = a + nx;
        // Alternate the diagonal and the winding, so both orientations meet on shared edges.
        if ((i + j) % 2 === 0) { draw(a, b, c); draw(a, d, c); } else { draw(a, b, d); draw(b, c, d); }
      }
    }
    // Top and left borders include the centres on them, bottom and right ones exclude them.
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) expect(count[y * W + x], `pixel ${x},${y}`).toBe(x >= 2 && x < 37 && y >= 2 && y < 27 ? 1 : 0);
    }
  });
});
