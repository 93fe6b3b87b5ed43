/**
 * Fast transposed matrix products on the wasm backend. Its `BatchMatMul` runs XNNPACK only when
 * neither operand is transposed; with `transposeA` or `transposeB` it falls back to a scalar loop
 * about 15× slower (a [64, 256] × [256, 256]ᵀ product: 3.9 ms against 0.28 ms). Every matMul
 * gradient asks for a transposed product, so training spent most of its time there.
 *
 * These kernels transpose the operand explicitly (a cheap copy) and run the fast path. For
 * `A·Bᵀ` with a large B and a small A, `(B·Aᵀ)ᵀ` moves fewer numbers, and is used instead.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info>; backend: tf.KernelBackend & { disposeData(id: object): void }; attrs?: Record<string, unknown> };
type Run = (args: KernelArgs) => Info;

let registered = false;

/** Replaces the wasm `BatchMatMul` and `_FusedMatMul` kernels with transposing ones; idempotent. */
export function registerWasmMatMul(): void {
  if (registered) return;
  const batch = tf.getKernel('BatchMatMul', 'wasm');
  const fused = tf.getKernel('_FusedMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!batch || !fused || !transposeKernel) return; // the wasm backend is not loaded
  const runBatch = batch.kernelFunc as unknown as Run;
  const runFused = fused.kernelFunc as unknown as Run;
  const runTranspose = transposeKernel.kernelFunc as unknown as Run;

  /** The last two axes of `x` swapped, as a new buffer the caller disposes */
  const swapLast = (x: Info, backend: KernelArgs['backend']): Info => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return runTranspose({ inputs: { x }, backend, attrs: { perm } });
  };

  const batchMatMul = (args: KernelArgs): Info => {
    const { inputs, backend, attrs } = args;
    const transposeA = attrs?.transposeA === true, transposeB = attrs?.transposeB === true;
    if (!transposeA && !transposeB) return runBatch(args);
    const { a, b } = inputs;
    const size = (x: Info) => x.shape.reduce((p, d) => p * d, 1);
    // A·Bᵀ = (B·Aᵀ)ᵀ: two transposes of A-sized and out-sized buffers instead of one of B.
    if (!transposeA && a.shape.length === 2 && b.shape.length === 2) {
      const outSize = a.shape[0] * b.shape[0];
      if (size(a) + outSize < size(b)) {
        const at = swapLast(a, backend);
        const prod = runBatch({ inputs: { a: b, b: at }, backend, attrs: { transposeA: false, transposeB: false } });
        backend.disposeData(at.dataId);
        const out = swapLast(prod, backend);
        backend.disposeData(prod.dataId);
        return out;
      }
    }
    const a2 = transposeA ? swapLast(a, backend) : a;
    const b2 = transposeB ? swapLast(b, backend) : b;
    const out = runBatch({ inputs: { a: a2, b: b2 }, backend, attrs: { transposeA: false, transposeB: false } });
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
    return out;
  };

  const fusedMatMul = (args: KernelArgs): Info => {
    const { inputs, backend, attrs } = args;
    const transposeA = attrs?.transposeA === true, transposeB = attrs?.transposeB === true;
    if (!transposeA && !transposeB) return runFused(args);
    const a2 = transposeA ? swapLast(inputs.a, backend) : inputs.a;
    const b2 = transposeB ? swapLast(inputs.b, backend) : inputs.b;
    const out = runFused({ inputs: { ...inputs, a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    if (a2 !== inputs.a) backend.disposeData(a2.dataId);
    if (b2 !== inputs.b) backend.disposeData(b2.dataId);
    return out;
  };

  for (const [config, kernelFunc] of [[batch, batchMatMul], [fused, fusedMatMul]] as const) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  registered = true;
}
