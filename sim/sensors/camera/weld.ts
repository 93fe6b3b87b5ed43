/** Vertex welding for the RasterScene: shared corners are transformed and projected once per frame. */

const _f32 = new Float32Array(1);
const _bits = new Int32Array(_f32.buffer);

function bitsOf(x: number): number {
  _f32[0] = x;
  return _bits[0];
}

/**
 * Appends the distinct float32 points of `pos` (xyz triples) to `verts` and one index per point
 * (relative to this call's first vertex) to `idx`, by open-addressing hash; returns the count.
 */
export function weld(pos: readonly number[], verts: number[], idx: number[]): number {
  const n = pos.length / 3;
  let size = 16;
  while (size < n * 2) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  const base = verts.length;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = Math.fround(pos[i * 3]), y = Math.fround(pos[i * 3 + 1]), z = Math.fround(pos[i * 3 + 2]);
    let h = (Math.imul(bitsOf(x), 73856093) ^ Math.imul(bitsOf(y), 19349663) ^ Math.imul(bitsOf(z), 83492791)) & (size - 1);
    for (;;) {
      const v = table[h];
      if (v < 0) {
        table[h] = count;
        verts.push(x, y, z);
        idx.push(count++);
        break;
      }
      const o = base + v * 3;
      if (verts[o] === x && verts[o + 1] === y && verts[o + 2] === z) {
        idx.push(v);
        break;
      }
      h = (h + 1) & (size - 1);
    }
  }
  return count;
}
