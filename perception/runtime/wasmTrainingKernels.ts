/**
 * Training kernels that the wasm backend of TensorFlow.js ships without, built from kernels it has.
 *
 * tfjs-backend-wasm 4.22 registers 157 kernels; of those the cpu backend has, it lacks:
 * - `Conv2DBackpropFilter`: the filter gradient of every conv2d, so no CNN can train on wasm;
 * - `UnsortedSegmentSum`: the gradient of `tf.gather`, e.g. picking Q(s, a) of the taken actions;
 * - the depthwise-conv backprops, complex numbers, FFT, ragged and string kernels, which drivelab's
 *   networks do not use and which stay missing.
 * Everything else a conv net with fused conv2d + bias + relu, residual adds, flatten and a dense
 * layer needs for training (`Conv2DBackpropInput`, `Step` for the relu gradient, `Sum` for the bias
 * gradient, `BatchMatMul`, `_FusedMatMul`) is there.
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

const KERNELS: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2DBackpropFilter as tf.KernelFunc },
  { kernelName: 'UnsortedSegmentSum', backendName: BACKEND, kernelFunc: unsortedSegmentSum as tf.KernelFunc },
];

/**
 * Registers the kernels above for the 'wasm' backend. Safe to call more than once, and before or
 * after the backend is initialised: the kernels are looked up when they run. A kernel that a later
 * tfjs-backend-wasm brings itself is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, BACKEND) === undefined) tf.registerKernel(config);
  }
}
