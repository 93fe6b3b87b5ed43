/**
 * Fast transposed fused products on the wasm backend. Its `_FusedMatMul` (matMul + bias +
 * activation in one kernel) runs XNNPACK only when neither operand is transposed; with a flag it
 * falls back to scalar loops about 15× slower. This kernel transposes the flagged operand
 * explicitly (a cheap copy) and runs the fast path. `BatchMatMul` gets the same treatment in
 * wasmTrainingKernels.ts.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info>; backend: tf.KernelBackend & { disposeData(id: object): void }; attrs?: Record<string, unknown> };
type Run = (args: KernelArgs) => Info;

let registered = false;

/** Replaces the wasm `_FusedMatMul` kernel with one that transposes first; idempotent. */
export function registerWasmFusedMatMul(): void {
  if (registered) return;
  const fused = tf.getKernel('_FusedMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!fused || !transposeKernel) return; // the wasm backend is not loaded
  const runFused = fused.kernelFunc as unknown as Run;
  const runTranspose = transposeKernel.kernelFunc as unknown as Run;

  /** The last two axes of `x` swapped, as a new buffer the caller disposes */
  const swapLast = (x: Info, backend: KernelArgs['backend']): Info => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return runTranspose({ inputs: { x }, backend, attrs: { perm } });
  };

  const fusedMatMul = (args: KernelArgs): Info => {
    const { inputs, backend, attrs } = args;
    const transposeA = attrs?.transposeA === true, transposeB = attrs?.transposeB === true;
    if (!transposeA && !transposeB) return runFused(args);
    const a2 = transposeA ? swapLast(inputs.a, backend) : inputs.a;
    const b2 = transposeB ? swapLast(inputs.b, backend) : inputs.b;
    try {
      return runFused({ inputs: { ...inputs, a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (a2 !== inputs.a) backend.disposeData(a2.dataId);
      if (b2 !== inputs.b) backend.disposeData(b2.dataId);
    }
  };

  tf.unregisterKernel('_FusedMatMul', 'wasm');
  tf.registerKernel({ ...fused, kernelFunc: fusedMatMul as unknown as tf.KernelFunc });
  registered = true;
}
