/**
 * The gradient of a capped ReLU (tfjs-layers' `ReLU` layer with `maxValue`, e.g. MobileNet's ReLU 6) as one pass.
 * The layer computes clipByValue(relu(x), 0, max); its stock gradient is clipByValue's where(x ≥ 0 ∧ x ≤ max, dy, 0)
 * (GreaterEqual, LessEqual, LogicalAnd, ZerosLike, Select) followed by relu's dy·step(x) (Step, Multiply): seven
 * full-size passes, most with scalar broadcasting, which took ~30% of a MobileNetV2-224 selection's kernel time.
 * This kernel gives the same values bit for bit: dy where 0 < x ≤ max, 0 above max, dy·0 (a signed zero) at x ≤ 0.
 * A JavaScript loop over the heap (heap.ts): one read of x and dy, one write, instead of seven kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { allocate, views } from './heap';

/** Kernel name; inputs { dy, x } (x = the layer's input), attribute { max }. Registered on `wasm` only. */
export const RELU_CLIP_GRAD = 'DcpReluClipGrad';

const reluClipGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const max = (attrs as unknown as { max: number }).max;
  const [out] = allocate(backend, x.shape);
  const [o, d, v] = views(backend, out, dy, x);
  for (let i = 0; i < o.length; i++) {
    const xi = v[i];
    o[i] = xi > 0 ? (xi <= max ? d[i] : 0) : d[i] * 0;
  }
  return out;
};

export const reluClipGradConfig: KernelConfig = { kernelName: RELU_CLIP_GRAD, backendName: 'wasm', kernelFunc: reluClipGrad };
