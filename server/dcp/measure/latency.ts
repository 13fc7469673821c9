import * as tf from '@tensorflow/tfjs';
import { checkCancelled, yieldToLoop } from '../run/cancel';

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Latency of two models measured interleaved (A, B, A, B, …) so that load from other processes hits both
 * alike; medians per model at batch 1 and at `batch`.
 */
export async function compareLatency(
  a: tf.LayersModel,
  b: tf.LayersModel,
  inputShape: [number, number, number],
  batch: number,
  repeats: number,
  signal?: AbortSignal,
): Promise<{ a: [number, number]; b: [number, number] }> {
  const out: { a: [number, number]; b: [number, number] } = { a: [NaN, NaN], b: [NaN, NaN] };
  for (const [i, size] of [1, batch].entries()) {
    const x = tf.randomUniform([size, ...inputShape], 0, 1, 'float32', 7);
    const times: [number[], number[]] = [[], []];
    try {
      for (let r = 0; r < repeats + 2; r++) {
        for (const [m, model] of [a, b].entries()) {
          checkCancelled(signal);
          const t0 = performance.now();
          const y = model.predict(x) as tf.Tensor;
          await y.data();
          const dt = performance.now() - t0;
          y.dispose();
          // The first two rounds compile kernels and warm caches.
          if (r >= 2) times[m].push(dt);
        }
        await yieldToLoop();
      }
    } finally {
      x.dispose();
    }
    out.a[i] = median(times[0]);
    out.b[i] = median(times[1]);
  }
  return out;
}
