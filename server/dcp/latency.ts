import * as tf from '@tensorflow/tfjs';
import { checkCancelled, yieldToLoop } from './cancel';

/** Median wall time of `model.predict` (inference, data read back) at one batch size, in milliseconds. */
export async function measureLatency(
  model: tf.LayersModel,
  inputShape: [number, number, number],
  batch: number,
  repeats: number,
  signal?: AbortSignal,
): Promise<number> {
  const x = tf.randomUniform([batch, ...inputShape], 0, 1, 'float32', 7);
  const times: number[] = [];
  try {
    // The first call compiles kernels and allocates; it is not part of the measure.
    for (let i = 0; i < repeats + 1; i++) {
      checkCancelled(signal);
      const t0 = performance.now();
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      const dt = performance.now() - t0;
      y.dispose();
      if (i > 0) times.push(dt);
      await yieldToLoop();
    }
  } finally {
    x.dispose();
  }
  return median(times);
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
