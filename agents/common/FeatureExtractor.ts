/**
 * The feature extractor in front of a policy's or Q-function's MLP, as Stable-Baselines3's
 * `features_extractor`: for vector observations the flattened observation itself; when the
 * observation holds a camera image ([height, width, 3]), the perception CNN backbone over the image,
 * concatenated with the flattened rest (features, lidar, ...). Rows arrive flattened in the
 * observation space's key order (`flattenInto`), so the image is a fixed column range.
 */
import * as tf from '@tensorflow/tfjs';
import type { Space } from '../../sim/env/spaces.ts';
import { flatSize } from '../../sim/env/spaces.ts';
import { CnnConfig, createCnn, type Cnn } from '../../perception/backbones/cnn.ts';
import type { NamedArray } from './arrayFile.ts';

interface Part {
  offset: number;
  size: number;
}

/** Where the image and the vector parts sit in a flattened row */
export interface ObservationLayout {
  /** Numbers per flattened row */
  size: number;
  image: (Part & { key: string; shape: [number, number, number] }) | null;
  /** Column ranges of everything else, in order */
  vector: Part[];
}

export function observationLayout(space: Space): ObservationLayout {
  const size = flatSize(space);
  if (space.type !== 'dict') return { size, image: null, vector: [{ offset: 0, size }] };
  let offset = 0;
  let image: ObservationLayout['image'] = null;
  const vector: Part[] = [];
  for (const [key, s] of Object.entries(space.spaces)) {
    const n = flatSize(s);
    if (s.type === 'box' && s.shape.length === 3) {
      if (image) throw new Error(`observation keys "${image.key}" and "${key}" are both images; a policy takes one camera`);
      image = { key, offset, size: n, shape: s.shape as [number, number, number] };
    } else if (n > 0) {
      vector.push({ offset, size: n });
    }
    offset += n;
  }
  return { size, image, vector };
}

export class FeatureExtractor {
  readonly layout: ObservationLayout;
  readonly cnn: Cnn | null;
  /** Features per row out of `apply` */
  readonly outputSize: number;
  private readonly vectorSize: number;

  /**
   * `cnn`: fields of the CNN config to change from the Nature-DQN default (the input shape comes
   * from the observation), or null for the default; used only when there is an image.
   */
  constructor(space: Space, cnn: Record<string, unknown> | null, seed: number) {
    this.layout = observationLayout(space);
    this.vectorSize = this.layout.vector.reduce((s, p) => s + p.size, 0);
    const image = this.layout.image;
    if (!image) {
      this.cnn = null;
      this.outputSize = this.layout.size;
      return;
    }
    const parsed = CnnConfig.safeParse({ ...(cnn ?? {}), input: image.shape });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`args.cnn.${issue.path.join('.')}: ${issue.message}`);
    }
    this.cnn = createCnn(parsed.data, seed);
    this.outputSize = this.cnn.outputSize + this.vectorSize;
  }

  /** [batch, outputSize] from flattened rows [batch, layout.size] */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const image = this.layout.image;
    if (!image || !this.cnn) return x;
    const n = x.shape[0];
    const frames = tf.reshape(tf.slice(x, [0, image.offset], [n, image.size]), [n, ...image.shape]) as tf.Tensor4D;
    const features = this.cnn.apply(frames);
    if (this.vectorSize === 0) return features;
    const parts = this.layout.vector.map((p) => tf.slice(x, [0, p.offset], [n, p.size]));
    return tf.concat([features, ...parts], 1);
  }

  get variables(): tf.Variable[] {
    return this.cnn ? this.cnn.variables : [];
  }

  arrays(prefix: string): Record<string, NamedArray> {
    const out: Record<string, NamedArray> = {};
    this.variables.forEach((v, i) => (out[`${prefix}/cnn/${i}`] = { shape: [...v.shape], data: v.dataSync() as Float32Array }));
    return out;
  }

  restore(prefix: string, read: (name: string, shape: readonly number[]) => Float32Array): void {
    tf.tidy(() => this.variables.forEach((v, i) => v.assign(tf.tensor(read(`${prefix}/cnn/${i}`, v.shape), v.shape))));
  }

  dispose(): void {
    this.cnn?.dispose();
  }
}
