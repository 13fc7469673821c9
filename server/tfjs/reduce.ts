/**
 * Sum and Mean over leading axes for the `wasm` backend, as one XNNPACK average pooling.
 *
 * The stock kernels reduce only innermost axes: for axes [0,1,2] of an NHWC tensor (bias and batch-norm
 * gradients, batch statistics) they first transpose the whole tensor to [C, N·H·W], which is slow for few
 * channels. Viewing the tensor as [1, R, 1, C] (R = product of the reduced leading dims) and average-pooling with
 * an R×1 window reads it once, vectorised over C: 2.5-4.5× faster on the shapes of a small ResNet. Sum is the mean
 * times R. Other axes, other dtypes and full reductions keep the stock path.
 *
 * XNNPACK's multipass average pooling (measured: windows of 9 rows and more; 2-4 rows were fine) keeps one row of `channels` floats on the wasm
 * stack, so past about 16,300 channels it writes beyond the stack into the heap, and a later `free` traps with
 * "memory access out of bounds" (InceptionV3's 3×3×192×320 kernel gradient, 552,960 columns, did). Wide blocks are
 * therefore pooled as [1, R, C/c, c] with c a divisor of C of at most MAX_POOL_CHANNELS; a C with no such divisor
 * keeps the stock path.
 *
 * Also the gradients of Mean and Sum (registered for every backend): the stock ones build `ones(x.shape)` as a JS
 * array and upload it (a full-size allocation and copy per call, plus garbage), multiply, and for Mean divide the
 * full-size product. Here the small dy is scaled first and multiplied by a `tf.fill` made by the backend (on wasm
 * a fill inside the heap). Batch-norm statistics take two Means per layer, so this runs twice per BN layer and step.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { captureStock, withOps } from './wasm-ops';

/** Sizes of the [rows, cols] view when `axis` is exactly the leading axes 0..k−1 (0 < k < rank, rows > 1). */
export function leadingBlock(shape: number[], axis: number | number[]): { rows: number; cols: number; k: number } | null {
  const axes = [...new Set(tf.util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  const k = axes.length;
  if (k === 0 || k >= shape.length || axes.some((a, i) => a !== i)) return null;
  const rows = shape.slice(0, k).reduce((p, q) => p * q, 1);
  const cols = shape.slice(k).reduce((p, q) => p * q, 1);
  return rows > 1 && cols > 0 ? { rows, cols, k } : null;
}

/** Channels one XNNPACK pooling may have: well below the ~16,300 where its stack row overflows (see above). */
export const MAX_POOL_CHANNELS = 8192;

/** The [width, channels] the `cols` of a block are pooled as: channels ≤ MAX_POOL_CHANNELS, or null for the stock path. */
export function poolLayout(cols: number): [number, number] | null {
  if (cols <= MAX_POOL_CHANNELS) return [1, cols];
  // The smallest width whose channels fit; a width past 64·(cols/MAX) would mean channels too few to vectorise well.
  const limit = Math.min(cols, 64 * Math.ceil(cols / MAX_POOL_CHANNELS));
  for (let w = Math.ceil(cols / MAX_POOL_CHANNELS); w <= limit; w++) if (cols % w === 0) return [w, cols / w];
  return null;
}

function makeReduceConfig(kernelName: string, isSum: boolean): KernelConfig | undefined {
  const stock = captureStock(kernelName);
  if (stock === undefined) return undefined;
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const block = x.dtype === 'float32' ? leadingBlock(x.shape, axis) : null;
    const layout = block === null ? null : poolLayout(block.cols);
    if (block === null || layout === null) return stock(args);
    const { rows, k } = block;
    const outShape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    return withOps(args.backend, (ops) => {
      const view = ops.reshape(x, [1, rows, ...layout]);
      const mean = ops.avgPool(view, [rows, 1]);
      ops.free(view);
      if (!isSum) return ops.reshape(mean, outShape);
      const count = ops.fill([1], rows);
      const sum = ops.mul(mean, count);
      return ops.reshape(sum, outShape);
    });
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/** Replacement Sum and Mean kernels (each wraps the stock kernel, captured before registration). */
export function makeReduceConfigs(): KernelConfig[] {
  return [makeReduceConfig(tf.Sum, true), makeReduceConfig(tf.Mean, false)].filter((c): c is KernelConfig => c !== undefined);
}

function broadcastGrad(dyIn: Tensor | Tensor[], x: Tensor, axis: number | number[], mean: boolean): Tensor {
  const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((p, a) => p * x.shape[a], 1);
  const small = tf.reshape(mean ? tf.div(dy, count) : dy, expanded);
  return tf.mul(small, tf.fill(x.shape, 1, 'float32'));
}

export const meanGradConfig: GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const { axis } = attrs as unknown as tf.MeanAttrs;
    return { x: () => broadcastGrad(dy, saved[0], axis, true) };
  },
};

export const sumGradConfig: GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const { axis } = attrs as unknown as tf.SumAttrs;
    return { x: () => broadcastGrad(dy, saved[0], axis, false) };
  },
};
