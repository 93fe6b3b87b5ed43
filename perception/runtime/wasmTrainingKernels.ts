/**
 * Training kernels for the wasm backend of TensorFlow.js, built from kernels it has.
 *
 * tfjs-backend-wasm 4.22 registers 157 kernels. Of those the cpu backend has, it lacks:
 * - `Conv2DBackpropFilter`: the filter gradient of every conv2d, so no CNN can train on wasm;
 * - `UnsortedSegmentSum`: the gradient of `tf.gather`, e.g. picking Q(s, a) of the taken actions;
 * - the depthwise-conv backprops, complex numbers, FFT, ragged and string kernels, which drivelab's
 *   networks do not use and which stay missing.
 * The rest of what a conv net with fused conv2d + bias + relu, residual adds, flatten and dense
 * layers needs to train is there (`Step` for the relu gradient, `Sum` for the bias gradient), but
 * two shipped kernels run as plain loops where the XNNPACK-backed ones are 5–20× faster, and they
 * took three quarters of a Nature-CNN training step (batch 32, 84×84): `Conv2DBackpropInput`, and
 * `BatchMatMul` with a transposed operand. Both are replaced; the step went from about 0.5 s to
 * about 0.15 s.
 *
 * The kernels below call the wasm backend's own kernel functions directly, not through the engine:
 * nothing is taped or tracked, and every intermediate is freed with `backend.disposeData`.
 */
import * as tf from '@tensorflow/tfjs';

const BACKEND = 'wasm';

type Shape4 = [number, number, number, number];

/** Runs one kernel of the wasm backend on backend-side tensor infos. */
function run(
  backend: tf.KernelBackend,
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, BACKEND);
  if (kernel === undefined) {
    throw new Error(`wasm training kernels: the wasm backend has no '${kernelName}' kernel to build on`);
  }
  return kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/**
 * dW[p, q, c, o] = Σ_{b, i, j} xPadded[b, i·s + p, j·s + q, c] · dy[b, i, j, o].
 *
 * With the input's channels as the batch and its batch as the channels, that sum is a plain
 * convolution: xT = [inC, H', W', batch] convolved with the filter dyT = [outH, outW, batch, outC]
 * at dilation s (the forward stride), stride 1, no padding, gives [inC, fh, fw, outC]. The input is
 * padded as the forward pass padded it and cut to H' = (outH − 1)·s + fh rows (W' likewise), the rows
 * the last window reaches, so that the result is exactly fh × fw and needs no crop.
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const dilations = (attrs as { dilations?: number | [number, number] }).dilations;
  if (dataFormat !== 'NHWC') {
    throw new Error(`wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  if (dilations !== undefined && [dilations].flat().some((d) => d !== 1)) {
    throw new Error(`wasm Conv2DBackpropFilter supports dilations 1 only, got ${String(dilations)}`);
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(`wasm Conv2DBackpropFilter needs rank-4 x and dy, got [${x.shape}] and [${dy.shape}]`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  if (dy.shape[1] !== outHeight || dy.shape[2] !== outWidth || dy.shape[3] !== outChannels) {
    throw new Error(
      `wasm Conv2DBackpropFilter: dy is [${dy.shape}], the forward output is [${info.outShape}]`);
  }

  const temps: tf.TensorInfo[] = [];
  try {
    // Rows and columns of the padded input that the forward windows read.
    const needH = (outHeight - 1) * strideHeight + filterHeight;
    const needW = (outWidth - 1) * strideWidth + filterWidth;
    const bottom = needH - inHeight - padInfo.top;
    const right = needW - inWidth - padInfo.left;
    let xPadded = x;
    if (padInfo.top > 0 || padInfo.left > 0 || bottom > 0 || right > 0) {
      const paddings = [[0, 0], [padInfo.top, Math.max(0, bottom)], [padInfo.left, Math.max(0, right)], [0, 0]];
      xPadded = run(backend, 'PadV2', { x: xPadded }, { paddings, constantValue: 0 });
      temps.push(xPadded);
    }
    if (xPadded.shape[1] !== needH || xPadded.shape[2] !== needW) {
      // 'valid' or explicit padding whose last rows/columns no window reaches.
      xPadded = run(backend, 'Slice', { x: xPadded },
        { begin: [0, 0, 0, 0], size: [batchSize, needH, needW, inChannels] });
      temps.push(xPadded);
    }
    const xT = run(backend, 'Transpose', { x: xPadded }, { perm: [3, 1, 2, 0] }); // [inC, needH, needW, batch]
    temps.push(xT);
    const dyT = run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [outH, outW, batch, outC]
    temps.push(dyT);
    const dwT = run(backend, 'Conv2D', { x: xT, filter: dyT }, {
      strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: [strideHeight, strideWidth],
    }); // [inC, fh, fw, outC]
    temps.push(dwT);
    return run(backend, 'Transpose', { x: dwT }, { perm: [1, 2, 0, 3] }); // [fh, fw, inC, outC]
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * dx[b, y, x, c] = Σ dy[b, i, j, o] · w[p, q, c, o] over y + top = i·s + p, x + left = j·s + q.
 *
 * The shipped wasm kernel runs this as plain loops: 75 and 110 ms for the third and second layers
 * of a Nature CNN at batch 32, against 8 and 30 ms here. Here it is wasm's XNNPACK Conv2D: dy
 * spread out by the stride (s − 1 zeros between rows and columns), padded by fh − 1 − top rows on
 * top and to H + fh − 1 rows in all, convolved 'valid' with the filter flipped in space and with
 * its channels swapped. The spreading wastes s² of the multiplies on zeros; a polyphase split
 * into s² smaller convolutions would not, and is what to try if strided layers dominate.
 */
function conv2DBackpropInput({ inputs, backend, attrs }: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`wasm Conv2DBackpropInput supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize, inHeight, inWidth, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  if (dy.shape[1] !== outHeight || dy.shape[2] !== outWidth || dy.shape[3] !== outChannels) {
    throw new Error(
      `wasm Conv2DBackpropInput: dy is [${dy.shape}], the forward output is [${info.outShape}]`);
  }

  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temps.push(t), t);
  try {
    // [B, oh·sh, ow·sw, O]: dy row i at row i·sh, zeros between and after.
    let spread = dy;
    if (strideHeight > 1 || strideWidth > 1) {
      const r6 = keep(run(backend, 'Reshape', { x: dy }, { shape: [batchSize, outHeight, 1, outWidth, 1, outChannels] }));
      const paddings = [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]];
      const p6 = keep(run(backend, 'PadV2', { x: r6 }, { paddings, constantValue: 0 }));
      spread = keep(run(backend, 'Reshape', { x: p6 },
        { shape: [batchSize, outHeight * strideHeight, outWidth * strideWidth, outChannels] }));
    }
    // Rows [r0, r0 + H + fh − 1) of spread, zeros outside it; columns likewise.
    const r0 = padInfo.top - (filterHeight - 1);
    const c0 = padInfo.left - (filterWidth - 1);
    const rows = inHeight + filterHeight - 1;
    const cols = inWidth + filterWidth - 1;
    const [spreadH, spreadW] = [spread.shape[1], spread.shape[2]];
    const [top, left] = [Math.max(0, r0), Math.max(0, c0)];
    const [bottom, right] = [Math.min(spreadH, r0 + rows), Math.min(spreadW, c0 + cols)];
    let framed = spread;
    if (top > 0 || left > 0 || bottom < spreadH || right < spreadW) {
      framed = keep(run(backend, 'Slice', { x: framed },
        { begin: [0, top, left, 0], size: [batchSize, bottom - top, right - left, outChannels] }));
    }
    if (framed.shape[1] !== rows || framed.shape[2] !== cols) {
      const paddings = [[0, 0], [top - r0, r0 + rows - bottom], [left - c0, c0 + cols - right], [0, 0]];
      framed = keep(run(backend, 'PadV2', { x: framed }, { paddings, constantValue: 0 }));
    }
    const flipped = keep(run(backend, 'Reverse', { x: filter }, { dims: [0, 1] }));
    const swapped = keep(run(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] })); // [fh, fw, O, C]
    return run(backend, 'Conv2D', { x: framed, filter: swapped },
      { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 }); // [B, H, W, C]
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * out[s, ...] = Σ_{n : ids[n] = s} x[n, ...] for s in [0, numSegments); ids outside that range drop
 * out, as in TensorFlow. Computed as oneHot(ids)ᵀ · x: [S, N] · [N, R]. N·S floats of one-hot is
 * small for what drivelab gathers (a batch of actions, a few hundred rows).
 */
function unsortedSegmentSum({ inputs, backend, attrs }: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
    throw new Error(`wasm UnsortedSegmentSum supports 1-D segmentIds as long as x's first axis only, ` +
      `got segmentIds [${segmentIds.shape}] for x [${x.shape}]`);
  }
  if (x.dtype !== 'float32') {
    throw new Error(`wasm UnsortedSegmentSum supports float32 x only, got ${x.dtype}`);
  }
  const n = x.shape[0];
  const rest = x.shape.slice(1);
  const r = rest.reduce((a, b) => a * b, 1);
  const temps: tf.TensorInfo[] = [];
  try {
    let ids = segmentIds;
    if (ids.dtype !== 'int32') {
      ids = run(backend, 'Cast', { x: ids }, { dtype: 'int32' });
      temps.push(ids);
    }
    // wasm's OneHot writes int32 whatever dtype it is asked for: ask for int32, then cast.
    const oneHotInt = run(backend, 'OneHot', { indices: ids },
      { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' }); // [N, S]
    temps.push(oneHotInt);
    const oneHot = run(backend, 'Cast', { x: oneHotInt }, { dtype: 'float32' });
    temps.push(oneHot);
    const a = run(backend, 'Reshape', { x: oneHot }, { shape: [1, n, numSegments] });
    temps.push(a);
    const b = run(backend, 'Reshape', { x }, { shape: [1, n, r] });
    temps.push(b);
    const sums = run(backend, 'BatchMatMul', { a, b }, { transposeA: true, transposeB: false }); // [1, S, R]
    temps.push(sums);
    return run(backend, 'Reshape', { x: sums }, { shape: [numSegments, ...rest] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Perm that swaps the last two axes of a rank-`rank` tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * wasm's BatchMatMul is fast (XNNPACK, packing its right operand) only without transposes; with
 * transposeA or transposeB, which every matMul gradient uses, it falls back to loops about 15–25×
 * slower: 85 ms instead of 5 for the [32, 3136] × [3136, 512] dense layer of a Nature CNN. This
 * wrapper transposes explicitly and calls the shipped kernel without flags, in whichever of two
 * equal forms moves fewer floats:
 *   1. op(A) · op(B), transposing what is flagged;
 *   2. (opᵀ(B) · opᵀ(A))ᵀ, transposing what is not flagged, and the result.
 * XNNPACK repacks the right operand whenever its buffer is new, so that counts as moved too.
 */
function fastTransposedBatchMatMul(shipped: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return shipped(args);
    const multiply = (left: tf.TensorInfo, right: tf.TensorInfo) =>
      shipped({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    const transpose = (x: tf.TensorInfo) => run(backend, 'Transpose', { x }, { perm: swapLastTwo(x.shape.length) });
    const sizeA = size(a.shape);
    const sizeB = size(b.shape);
    const m = a.shape[a.shape.length - (transposeA ? 1 : 2)];
    const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
    const sizeC = Math.max(sizeA / (m * a.shape[a.shape.length - (transposeA ? 2 : 1)]),
      sizeB / (n * b.shape[b.shape.length - (transposeB ? 1 : 2)])) * m * n;
    const moved1 = (transposeA ? sizeA : 0) + (transposeB ? sizeB : 0) + sizeB;
    const moved2 = (transposeA ? 0 : sizeA) + (transposeB ? 0 : sizeB) + sizeC + sizeA;
    const temps: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo) => (temps.push(t), t);
    try {
      if (moved1 <= moved2) {
        return multiply(transposeA ? keep(transpose(a)) : a, transposeB ? keep(transpose(b)) : b);
      }
      const cT = keep(multiply(transposeB ? b : keep(transpose(b)), transposeA ? a : keep(transpose(a))));
      return transpose(cT);
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }) as tf.KernelFunc;
}

const MISSING: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2DBackpropFilter as tf.KernelFunc },
  { kernelName: 'UnsortedSegmentSum', backendName: BACKEND, kernelFunc: unsortedSegmentSum as tf.KernelFunc },
];

/** Shipped kernels that are replaced by faster ones built on XNNPACK-backed kernels */
const REPLACED: { kernelName: string; make(shipped: tf.KernelFunc): tf.KernelFunc }[] = [
  { kernelName: 'BatchMatMul', make: fastTransposedBatchMatMul },
  { kernelName: 'Conv2DBackpropInput', make: () => conv2DBackpropInput as tf.KernelFunc },
];

/** kernelFuncs this module installed, so that a second registration leaves them alone */
const installed = new WeakSet<tf.KernelFunc>();

/**
 * Registers the kernels above for the 'wasm' backend. Safe to call more than once, and before or
 * after the backend is initialised: the kernels are looked up when they run. A missing kernel that
 * a later tfjs-backend-wasm brings itself is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of MISSING) {
    if (tf.getKernel(config.kernelName, BACKEND) === undefined) tf.registerKernel(config);
  }
  for (const { kernelName, make } of REPLACED) {
    const shipped = tf.getKernel(kernelName, BACKEND);
    if (shipped === undefined || installed.has(shipped.kernelFunc)) continue;
    const kernelFunc = make(shipped.kernelFunc);
    installed.add(kernelFunc);
    tf.unregisterKernel(kernelName, BACKEND);
    // Keeps the shipped setupFunc, which the backend runs when it initialises.
    tf.registerKernel({ ...shipped, kernelFunc });
  }
}
