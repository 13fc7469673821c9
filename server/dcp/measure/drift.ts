/**
 * Output drift per layer (RunReport.layerDiff[].drift): how far each layer's output moved between the unpruned and
 * the final pruned model on the selection set, ‖a − b‖ / ‖a‖ over every sample and position, where `a` is the
 * unpruned output restricted to the channels the pruned layer still has. Two forward passes over the selection set,
 * in batches, so it costs a fraction of one training epoch.
 */
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../../data/types';
import { GraphRunner } from '../exec/executor';
import type { LayerCut } from '../surgery/surgery';
import { checkCancelled } from '../run/cancel';

/** At most this many samples a batch; fewer when memory says so (below). */
export const DRIFT_BATCH = 32;

/**
 * The drift pass's batch: every layer's output of both networks is alive at once (twice what the memory plan's
 * inference batch is sized for), and it runs at the end of a run, in a heap fragmented by selection: a quarter of
 * the plan's inference batch. A 224×224 MobileNetV2 at 32 ran the 4 GiB WASM heap out of memory here.
 */
export function driftBatch(inferenceBatch: number): number {
  return Math.max(1, Math.min(DRIFT_BATCH, Math.floor(inferenceBatch / 4)));
}

/**
 * Which of the unpruned output channels each layer of the pruned model keeps: from the cuts for the layers that lost
 * filters or entries, passed on through layers whose output channel count equals their input's; null where unknown.
 */
export function keptOutputs(runner: GraphRunner, pruned: GraphRunner, cuts: readonly LayerCut[]): Map<string, number[] | null> {
  const cutKeep = new Map<string, number[]>();
  for (const c of cuts) if (c.role !== 'inputs') cutKeep.set(c.layer, c.keep);
  const channels = (r: GraphRunner, name: string): number => {
    const shape = r.layer(name).outputShape;
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
    return s.at(-1) ?? 0;
  };
  const kept = new Map<string, number[] | null>();
  for (const name of runner.order) {
    const before = channels(runner, name);
    const after = channels(pruned, name);
    const all = Array.from({ length: before }, (_, i) => i);
    if (cutKeep.has(name)) kept.set(name, cutKeep.get(name)!);
    else if (before === after) kept.set(name, all);
    else {
      const from = runner.inputsOf(name).map((i) => kept.get(i));
      const same = from.length > 0 && from.every((k) => k && k.length === after && channels(runner, runner.inputsOf(name)[0]) === before);
      kept.set(name, same ? from[0]! : null);
    }
  }
  return kept;
}

/** Relative drift per layer (model inputs left out); a layer whose kept channels cannot be traced is left out too. */
export async function layerDrift(
  original: tf.LayersModel, pruned: tf.LayersModel, data: Split, inputShape: readonly number[], cuts: readonly LayerCut[], signal?: AbortSignal,
  batch = DRIFT_BATCH,
): Promise<Map<string, number>> {
  const a = new GraphRunner(original);
  const b = new GraphRunner(pruned);
  const kept = keptOutputs(a, b, cuts);
  const inputs = new Set(a.inputNames);
  const targets = a.order.filter((n) => !inputs.has(n) && kept.get(n) && b.order.includes(n));
  if (targets.length === 0) return new Map();
  const err = new Float64Array(targets.length);
  const norm = new Float64Array(targets.length);
  const size = inputShape.reduce((p, d) => p * d, 1);
  for (let start = 0; start < data.count; start += batch) {
    checkCancelled(signal);
    const n = Math.min(batch, data.count - start);
    const sums = tf.tidy(() => {
      const x = tf.tensor4d(data.x.subarray(start * size, (start + n) * size), [n, ...inputShape] as [number, number, number, number]);
      const ya = a.run(new Map([[a.inputNames[0], x]]), targets, { training: false });
      const yb = b.run(new Map([[b.inputNames[0], x]]), targets, { training: false });
      // Each layer's gather, difference and squares are freed before the next layer's: kept to the outer tidy they
      // were 4 more copies of every activation (the 224×224 MobileNetV2 ran out of its 4 GiB heap here).
      return tf.stack(targets.map((t) => tf.tidy(() => {
        const keep = kept.get(t)!;
        const full = ya.get(t)!;
        const ref = keep.length === full.shape.at(-1) ? full : tf.gather(full, keep, full.rank - 1);
        return tf.stack([tf.sum(tf.square(tf.sub(ref, yb.get(t)!))), tf.sum(tf.square(ref))]);
      })));
    });
    const v = await sums.data();
    sums.dispose();
    for (let i = 0; i < targets.length; i++) {
      err[i] += v[2 * i];
      norm[i] += v[2 * i + 1];
    }
  }
  const out = new Map<string, number>();
  targets.forEach((t, i) => out.set(t, norm[i] > 0 ? Math.sqrt(err[i] / norm[i]) : 0));
  return out;
}
