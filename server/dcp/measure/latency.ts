import * as tf from '@tensorflow/tfjs';
import { checkCancelled, yieldToLoop } from '../run/cancel';

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rounds always timed; past them, a batch size stops at LATENCY_BUDGET_S (a 224×224 model at batch 64 takes seconds a round). */
export const MIN_ROUNDS = 5;
export const LATENCY_BUDGET_S = 30;

/**
 * Latency of two models measured interleaved (A, B, A, B, …) so that load from other processes hits both
 * alike; medians per model at batch 1 and at `batch`, over `repeats` rounds or as many (at least MIN_ROUNDS) as
 * fit `budgetSeconds` per batch size.
 */
export async function compareLatency(
  a: tf.LayersModel,
  b: tf.LayersModel,
  inputShape: [number, number, number],
  batch: number,
  repeats: number,
  signal?: AbortSignal,
  budgetSeconds = LATENCY_BUDGET_S,
): Promise<{ a: [number, number]; b: [number, number]; rounds: [number, number] }> {
  const t = await interleavedLatency([a, b], inputShape, batch, repeats, signal, budgetSeconds);
  return { a: t.models[0], b: t.models[1], rounds: t.rounds };
}

/** `compareLatency` for any number of models, every one timed once per round (the budget counts all of them). */
export async function interleavedLatency(
  models: readonly tf.LayersModel[],
  inputShape: [number, number, number],
  batch: number,
  repeats: number,
  signal?: AbortSignal,
  budgetSeconds = LATENCY_BUDGET_S,
): Promise<{ models: [number, number][]; rounds: [number, number] }> {
  const out = { models: models.map((): [number, number] => [NaN, NaN]), rounds: [0, 0] as [number, number] };
  for (const [i, size] of [1, batch].entries()) {
    const x = tf.randomUniform([size, ...inputShape], 0, 1, 'float32', 7);
    const times: number[][] = models.map(() => []);
    const started = performance.now();
    try {
      for (let r = 0; r < repeats + 2; r++) {
        if (r >= 2 + MIN_ROUNDS && performance.now() - started > budgetSeconds * 1000) break;
        for (const [m, model] of models.entries()) {
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
    out.rounds[i] = times[0].length;
    times.forEach((t, m) => { out.models[m][i] = median(t); });
  }
  return out;
}
