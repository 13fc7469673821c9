/**
 * BatchMatMul for the `wasm` backend with transposes made explicit.
 *
 * The stock kernel uses XNNPACK only when neither operand is transposed (and the batch is 1); otherwise it runs
 * a scalar loop. Dense-layer gradients are always transposed matmuls (dy·Wᵀ and xᵀ·dy), so transposing the
 * operand first (a memory-bound copy) and calling the untransposed path is much faster.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { captureStock, withOps, type Ops } from './wasm-ops';

function swapLastTwo(ops: Ops, t: TensorInfo): TensorInfo {
  const rank = t.shape.length;
  const perm = t.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return ops.transpose(t, perm);
}

/** Builds the replacement around the stock kernel function (captured before ours is registered). */
export function makeBatchMatMulConfig(): KernelConfig | undefined {
  const stock = captureStock(tf.BatchMatMul);
  if (stock === undefined) return undefined;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return stock(args);
    return withOps(args.backend, (ops) => {
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const a2 = transposeA ? swapLastTwo(ops, a) : a;
      const b2 = transposeB ? swapLastTwo(ops, b) : b;
      return ops.matMul(a2, b2);
    });
  };
  return { kernelName: tf.BatchMatMul, backendName: 'wasm', kernelFunc };
}
