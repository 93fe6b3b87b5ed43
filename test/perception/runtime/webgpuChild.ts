/**
 * Child process of webgpu.test.ts (run with the Vulkan environment set): computes the same ops on
 * the webgpu backend and on cpu from the same fixed inputs, and prints one JSON line: the adapter,
 * and per case the largest absolute difference, that difference relative to the cpu result's
 * largest magnitude, and the webgpu time [ms].
 */
import { initTf, tf } from '../../../perception/runtime/tfjs.ts';
import { createDetectorNet, weightSpecs, DetectorNetConfig } from '../../../perception/detectors/cnn/net.ts';

/** Uniform values in [lo, hi) from a fixed LCG, the same on every backend */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 2 ** 32);
  }
  return out;
}
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const input = (shape: number[], seed: number, lo?: number, hi?: number) => tf.tensor(values(size(shape), seed, lo, hi), shape);

const netConfig = DetectorNetConfig.parse({});
/** The detector's weights, as the seeded initialisation gives them on cpu, with non-zero biases */
let netWeights: Record<string, Float32Array> = {};

/** Each case builds its inputs from the fixed values, on whichever backend is active */
const CASES: Record<string, () => tf.Tensor> = {
  'conv2d 3×3 stride 2 same': () => tf.conv2d(input([2, 33, 47, 5], 1) as tf.Tensor4D, input([3, 3, 5, 7], 2) as tf.Tensor4D, 2, 'same'),
  'matMul 67×129·129×45': () => tf.matMul(input([67, 129], 3), input([129, 45], 4)),
  'matMul transposed b': () => tf.matMul(input([67, 129], 5), input([45, 129], 6), false, true),
  'createDetectorNet forward': () => {
    const weights = Object.fromEntries(weightSpecs(netConfig).map(({ name, shape }) => [name, tf.tensor(netWeights[name], shape)]));
    const net = createDetectorNet(netConfig, 0, weights);
    const out = net.apply(input([2, ...netConfig.input, 3], 7, 0, 255) as tf.Tensor4D);
    net.dispose();
    Object.values(weights).forEach((w) => w.dispose());
    return out;
  },
};

async function run(backend: string, f: () => tf.Tensor): Promise<{ data: Float32Array; ms: number }> {
  await tf.setBackend(backend);
  const t0 = performance.now();
  const y = f();
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return { data, ms: performance.now() - t0 };
}

await initTf('webgpu');
const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
await tf.setBackend('cpu');
const seeded = createDetectorNet(netConfig, 11);
netWeights = Object.fromEntries(seeded.names.map((name, i) => [name, seeded.variables[i].dataSync() as Float32Array]));
for (const [name, w] of Object.entries(netWeights)) if (name.endsWith('/bias')) netWeights[name] = values(w.length, w.length, -0.1, 0.1);
seeded.dispose();

const cases: Record<string, { maxAbs: number; rel: number; ms: number; n: number }> = {};
for (const [name, f] of Object.entries(CASES)) {
  const ref = await run('cpu', f);
  await run('webgpu', f); // the first run compiles the shaders: time the second
  const got = await run('webgpu', f);
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < ref.data.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(got.data[i] - ref.data[i]) || (got.data[i] === ref.data[i] ? 0 : Infinity));
    scale = Math.max(scale, Math.abs(ref.data[i]));
  }
  cases[name] = { maxAbs, rel: maxAbs / scale, ms: Math.round(got.ms), n: got.data.length === ref.data.length ? ref.data.length : -1 };
}
console.log(JSON.stringify({ backend: 'webgpu', adapter: info ? `${info.vendor} ${info.architecture}` : 'unknown', cases }));
// Dawn's instance (navigator.gpu) keeps Node alive: leave once done.
process.exit(0);
