import { describe, expect, it } from 'vitest';
import { allocTargets, decodeDetections, encodeTargets, type GridShape } from '../../../perception/detectors/cnn/boxes.ts';

const G: GridShape = { gridH: 24, gridW: 32, classes: 3, stride: 4 };
const CLASSES = ['vehicle', 'pedestrian', 'obstacle'];
const at = (j: number, i: number, c: number) => (j * G.gridW + i) * G.classes + c;

/** The output a perfect network would give for `targets`: logits ±20 from the peaks, the regression as it is */
function perfectOutput(t: ReturnType<typeof allocTargets>): Float32Array {
  const C = G.classes + 4;
  const out = new Float32Array(G.gridH * G.gridW * C).fill(-20);
  for (let cell = 0; cell < G.gridH * G.gridW; cell++) {
    for (let c = 0; c < G.classes; c++) if (t.heat[cell * G.classes + c] === 1) out[cell * C + c] = 20;
    out.set(t.regression.subarray(cell * 4, cell * 4 + 4), cell * C + G.classes);
  }
  return out;
}

describe('detector targets', () => {
  it('puts a peak of 1 in the centre cell and the Gaussian of TTFNet around it', () => {
    const t = encodeTargets([{ bbox: [40, 20, 32, 16], classIndex: 0 }], G, allocTargets(G));
    // Centre (56, 28) px → cell (14, 7) with offset (0, 0).
    expect(t.heat[at(7, 14, 0)]).toBe(1);
    expect(t.regressionWeight[7 * 32 + 14]).toBe(1);
    // The neighbours regress the same box, with offsets from their own corners, at half weight.
    expect(t.regressionWeight[7 * 32 + 15]).toBe(0.5);
    expect([...t.regression.subarray((7 * 32 + 15) * 4, (7 * 32 + 15) * 4 + 2)]).toEqual([-1, 0]);
    expect([...t.regression.subarray((8 * 32 + 13) * 4, (8 * 32 + 13) * 4 + 2)]).toEqual([1, -1]);
    expect(t.regressionWeight[7 * 32 + 16]).toBe(0);
    expect([...t.regression.subarray((7 * 32 + 14) * 4, (7 * 32 + 15) * 4)]).toEqual([0, 0, Math.log(8), Math.log(4)].map((v) => expect.closeTo(v, 6)));
    // σx = 0.54·32/(6·4) = 0.72 cells: one cell right is exp(−1/(2·0.72²)).
    expect(t.heat[at(7, 15, 0)]).toBeCloseTo(Math.exp(-1 / (2 * 0.72 ** 2)), 5);
    // σy = 0.36 cells: one cell down is exp(−1/(2·0.36²)).
    expect(t.heat[at(8, 14, 0)]).toBeCloseTo(Math.exp(-1 / (2 * 0.36 ** 2)), 5);
    // Other classes stay empty.
    expect(t.heat[at(7, 14, 1)]).toBe(0);
  });

  it('keeps the larger value where Gaussians overlap and clears the buffers between images', () => {
    const t = allocTargets(G);
    encodeTargets([{ bbox: [40, 20, 32, 16], classIndex: 0 }, { bbox: [44, 20, 32, 16], classIndex: 0 }], G, t);
    expect(t.heat[at(7, 14, 0)]).toBe(1);
    expect(t.heat[at(7, 15, 0)]).toBe(1);
    encodeTargets([{ bbox: [0, 0, 8, 8], classIndex: 2 }], G, t);
    expect(t.heat[at(7, 14, 0)]).toBe(0);
    expect(t.regressionWeight.filter((v) => v === 1).length).toBe(1);
    expect(t.regressionWeight.filter((v) => v === 0.5).length).toBe(8);
    // A centre keeps its own regression where another object's neighbourhood reaches it.
    encodeTargets([{ bbox: [40, 20, 32, 16], classIndex: 0 }, { bbox: [44, 20, 32, 16], classIndex: 1 }], G, t);
    expect(t.regressionWeight[7 * 32 + 14]).toBe(1);
    expect(t.regression[(7 * 32 + 14) * 4]).toBe(0);
  });
});

describe('detector decoding', () => {
  it('gives back the boxes a perfect output encodes, with their classes', () => {
    const boxes = [
      { bbox: [10.5, 30.25, 20, 12], classIndex: 0 },
      { bbox: [80, 40, 6, 14], classIndex: 1 },
      { bbox: [100, 60, 10, 9], classIndex: 2 },
    ];
    const out = perfectOutput(encodeTargets(boxes, G, allocTargets(G)));
    const found = decodeDetections(out, 0, G, CLASSES, { threshold: 0.5, maxDetections: 100, imageSize: [128, 96] });
    expect(found).toHaveLength(3);
    for (const b of boxes) {
      const d = found.find((x) => x.label === CLASSES[b.classIndex])!;
      d.bbox.forEach((v, k) => expect(v).toBeCloseTo(b.bbox[k], 4));
      expect(d.score).toBeGreaterThan(0.99);
    }
  });

  it('keeps only local maxima above the threshold, best first, at most maxDetections', () => {
    const C = G.classes + 4;
    // Logits −20 everywhere, boxes one cell wide.
    const out = new Float32Array(G.gridH * G.gridW * C).map((_, k) => (k % C < G.classes ? -20 : 0));
    out[(5 * 32 + 5) * C] = 2; // a peak
    out[(5 * 32 + 6) * C] = 1; // its neighbour: not a peak
    out[(10 * 32 + 20) * C] = 3; // a stronger peak
    out[(20 * 32 + 2) * C] = -3; // below a 0.1 threshold (σ(−3) = 0.047)
    const found = decodeDetections(out, 0, G, CLASSES, { threshold: 0.1, maxDetections: 100, imageSize: [128, 96] });
    expect(found.map((d) => d.score)).toEqual([1 / (1 + Math.exp(-3)), 1 / (1 + Math.exp(-2))]);
    expect(decodeDetections(out, 0, G, CLASSES, { threshold: 0.1, maxDetections: 1, imageSize: [128, 96] })).toHaveLength(1);
  });

  it('clips boxes to the image and reads the image at its offset in a batch', () => {
    const t = encodeTargets([{ bbox: [0, 0, 12, 12], classIndex: 0 }], G, allocTargets(G));
    const one = perfectOutput(t);
    // The box's centre cell is (1, 1): widen the box past the left edge.
    one[(1 * 32 + 1) * 7 + 5] = Math.log(40 / 4);
    const batch = new Float32Array(one.length * 2).fill(-20);
    batch.set(one, one.length);
    const found = decodeDetections(batch, one.length, G, CLASSES, { threshold: 0.5, maxDetections: 10, imageSize: [128, 96] });
    expect(found).toHaveLength(1);
    expect(found[0].bbox[0]).toBe(0);
    expect(found[0].bbox[2]).toBeCloseTo(6 + 20, 4);
    expect(decodeDetections(batch, 0, G, CLASSES, { threshold: 0.5, maxDetections: 10, imageSize: [128, 96] })).toEqual([]);
  });
});
