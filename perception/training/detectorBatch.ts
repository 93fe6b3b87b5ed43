/**
 * Training batches for the detector: images drawn from a dataset, augmented, with their targets.
 * Augmentations, each drawn per image from a seeded stream:
 *   flip        mirror left–right with probability ½ (boxes mirrored too);
 *   brightness  multiply by a factor in [1 − b, 1 + b];
 *   contrast    scale about the image mean by a factor in [1 − c, 1 + c];
 *   noise       add Gaussian noise of standard deviation up to `noise` grey levels.
 * Pixel values are clipped to 0..255 after all of them.
 */
import { Rng } from '../../sim/rng.ts';
import { allocTargets, encodeTargets, type GridShape, type LabelledBox, type Targets } from '../detectors/cnn/boxes.ts';
import type { DetectionDataset } from './captureDataset.ts';

export interface Augmentation {
  flip: boolean;
  brightness: number;
  contrast: number;
  noise: number;
}

export const DEFAULT_AUGMENTATION: Augmentation = { flip: true, brightness: 0.4, contrast: 0.3, noise: 6 };
export const NO_AUGMENTATION: Augmentation = { flip: false, brightness: 0, contrast: 0, noise: 0 };

/** One batch in the layout the loss takes (see loss.ts) */
export interface DetectorBatch {
  size: number;
  /** [size, H, W, 3], 0..255 */
  pixels: Float32Array;
  positive: Float32Array;
  negativeWeight: Float32Array;
  regression: Float32Array;
  regressionWeight: Float32Array;
  objects: number;
}

const NORMALS = 1 << 16;

export class BatchMaker {
  private readonly targets: Targets;
  private readonly normals = new Float32Array(NORMALS);
  private readonly batch: DetectorBatch;

  constructor(
    private readonly data: DetectionDataset,
    private readonly grid: GridShape,
    readonly size: number,
    private readonly augmentation: Augmentation,
    /** Draws the augmentations; its state is all a checkpoint needs to continue them */
    readonly rng: Rng,
    noiseSeed = 0,
    /**
     * Objects lower than this [px] are neither positives nor negatives: too few pixels to learn
     * from, they would teach the heatmap to fire on texture. Their cells carry no loss.
     */
    private readonly ignoreBelow = 0,
  ) {
    this.targets = allocTargets(grid);
    // Noise comes from a fixed table of normals read at random offsets: a fresh normal per pixel
    // would cost more than the training step it feeds.
    const table = Rng.seeded(noiseSeed);
    for (let i = 0; i < NORMALS; i++) this.normals[i] = table.normal();
    const cells = grid.gridH * grid.gridW;
    this.batch = {
      size,
      pixels: new Float32Array(size * data.width * data.height * 3),
      positive: new Float32Array(size * cells * grid.classes),
      negativeWeight: new Float32Array(size * cells * grid.classes),
      regression: new Float32Array(size * cells * 4),
      regressionWeight: new Float32Array(size * cells),
      objects: 0,
    };
  }

  /** A batch of `indices` (length `size`) into the dataset; the buffers are reused by the next call */
  make(indices: readonly number[]): DetectorBatch {
    const { data, grid, batch, augmentation: a, rng } = this;
    const frame = data.width * data.height * 3;
    const cells = grid.gridH * grid.gridW;
    batch.objects = 0;
    for (const [slot, index] of indices.entries()) {
      const flip = a.flip && rng.next() < 0.5;
      const gain = 1 + rng.uniform(-a.brightness, a.brightness);
      const contrast = 1 + rng.uniform(-a.contrast, a.contrast);
      const sigma = rng.uniform(0, a.noise);
      const src = data.pixels.subarray(index * frame, (index + 1) * frame);
      let mean = 0;
      for (let i = 0; i < frame; i++) mean += src[i];
      mean /= frame;
      const out = batch.pixels.subarray(slot * frame, (slot + 1) * frame);
      let n = rng.int(0, NORMALS - 1);
      const row = data.width * 3;
      for (let y = 0; y < data.height; y++) {
        for (let x = 0; x < data.width; x++) {
          const from = y * row + (flip ? data.width - 1 - x : x) * 3, to = y * row + x * 3;
          for (let c = 0; c < 3; c++) {
            const v = ((src[from + c] - mean) * contrast + mean) * gain + sigma * this.normals[n++ & (NORMALS - 1)];
            out[to + c] = v < 0 ? 0 : v > 255 ? 255 : v;
          }
        }
      }
      const boxes: LabelledBox[] = flip ? data.boxes[index].map((b) => ({ bbox: [data.width - b.bbox[0] - b.bbox[2], b.bbox[1], b.bbox[2], b.bbox[3]], classIndex: b.classIndex })) : data.boxes[index];
      encodeTargets(this.ignoreBelow > 0 ? boxes.filter((b) => b.bbox[3] >= this.ignoreBelow) : boxes, grid, this.targets);
      const t = this.targets;
      const K = grid.classes;
      for (let i = 0; i < cells * K; i++) {
        const y = t.heat[i];
        const isCentre = y === 1 ? 1 : 0;
        batch.positive[slot * cells * K + i] = isCentre;
        batch.negativeWeight[slot * cells * K + i] = isCentre ? 0 : (1 - y) ** 4;
        batch.objects += isCentre;
      }
      for (const { bbox: [x, y, w, h], classIndex } of boxes) {
        if (h >= this.ignoreBelow) continue;
        // Every cell the box touches, the centre's cell at least.
        const i0 = Math.max(0, Math.floor(x / grid.stride)), i1 = Math.min(grid.gridW - 1, Math.floor((x + w) / grid.stride));
        const j0 = Math.max(0, Math.floor(y / grid.stride)), j1 = Math.min(grid.gridH - 1, Math.floor((y + h) / grid.stride));
        for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) batch.negativeWeight[slot * cells * K + (j * grid.gridW + i) * K + classIndex] = 0;
      }
      batch.regression.set(t.regression, slot * cells * 4);
      batch.regressionWeight.set(t.regressionWeight, slot * cells);
    }
    return batch;
  }
}
