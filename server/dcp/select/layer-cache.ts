import * as tf from '@tensorflow/tfjs';
import type { Split } from '../../data/dataset';
import { batches } from '../../data/dataset';
import type { GraphRunner } from '../exec/executor';
import { type Head, headLogits } from '../train/heads';
import { convSpec, rawConv } from '../exec/layers';
import { inputOnlyGradOverrides } from '../exec/input-grad';
import type { SelectionBatch } from './selection';
import type { Network } from '../train/train';
import { checkCancelled, yieldToLoop } from '../run/cancel';
import { SpillStore, spillBatch, spillStoreOf } from './spill';

/**
 * Caches, for one conv, what its selection needs on the fixed selection set: the pruned network's
 * input to the conv and the rest of its cut, the baseline's raw conv output (from the baseline's own
 * input: pitfall 5) and the labels. They change only when an earlier layer is pruned, so they are
 * built once per layer instead of once per pass.
 */
export async function buildSelectionBatches(
  pruned: Network,
  baseline: GraphRunner,
  conv: string,
  stageTarget: string,
  selection: Split,
  batchSize: number,
  signal?: AbortSignal,
  memory: CacheMemory = {},
): Promise<SelectionBatch[]> {
  const runner = pruned.runner;
  const cut = runner.cutFor(conv, stageTarget);
  const convInput = runner.inputsOf(conv)[0];
  if (!cut.includes(convInput)) cut.push(convInput);
  const baseSpec = convSpec(baseline.layer(conv));
  const [h, w, c] = pruned.inputShape;
  const out: SelectionBatch[] = [];
  const store = memory.spillBytes !== undefined ? new SpillStore(memory.spillBytes) : null;
  const sampleLen = h * w * c;
  try {
    for (const batch of batches(selection, batchSize, null)) {
      checkCancelled(signal);
      const [target, labels, ...cutValues] = inChunks(batch.n, memory.buildBatch ?? batch.n, (start, n) => tf.tidy(() => {
        const x = tf.tensor4d(batch.x.subarray(start * sampleLen, (start + n) * sampleLen), [n, h, w, c]);
        const prunedOut = runner.run(new Map([[runner.inputNames[0], x]]), cut, { training: false });
        const baseIn = baseline.run(new Map([[baseline.inputNames[0], x]]), [baseline.inputsOf(conv)[0]], { training: false });
        const y = rawConv(baseIn.values().next().value!, baseSpec.kernel.read(), baseSpec.bias?.read() ?? null, baseSpec);
        return [y, tf.tensor1d(batch.y.subarray(start, start + n), 'int32'), ...cut.map((name) => prunedOut.get(name)!)];
      }));
      // The conv's own input stays in the cut too: another layer of the stage may read it.
      const cutMap = new Map(cut.map((name, i) => [name, cutValues[i]]));
      const cached: SelectionBatch = { n: batch.n, x: cutMap.get(convInput)! as tf.Tensor4D, target: target as tf.Tensor4D, labels: labels as tf.Tensor1D, cut: cutMap };
      out.push(store ? await spillOrFree(store, cached, convInput) : cached);
      await yieldToLoop();
    }
  } catch (e) {
    disposeBatches(out);
    store?.dispose();
    throw e;
  }
  return out;
}

/** The memory plan's choices for one layer's cache (LayerMemory). */
export interface CacheMemory {
  /** Keep the cache in temp files (spill.ts) instead of memory; the cache's size in bytes, checked against free disk. */
  spillBytes?: number;
  /** Compute each cached batch in forward passes of at most this many samples (both networks keep every intermediate). */
  buildBatch?: number;
}

/** `compute(start, n)` over chunks of at most `chunk` of `total` samples, each output concatenated along the batch. */
function inChunks(total: number, chunk: number, compute: (start: number, n: number) => tf.Tensor[]): tf.Tensor[] {
  if (chunk >= total) return compute(0, total);
  const parts: tf.Tensor[][] = [];
  try {
    for (let start = 0; start < total; start += chunk) parts.push(compute(start, Math.min(chunk, total - start)));
    return parts[0].map((_, i) => tf.concat(parts.map((p) => p[i])));
  } finally {
    for (const p of parts) tf.dispose(p);
  }
}

/** A spilled copy of `b`; if spilling fails, `b`'s tensors are freed before the error goes on. */
async function spillOrFree(store: SpillStore, b: SelectionBatch, convInput: string): Promise<SelectionBatch> {
  try {
    return await spillBatch(store, b, convInput);
  } catch (e) {
    b.labels.dispose();
    throw e;
  }
}

export function disposeBatches(batchesList: SelectionBatch[]): void {
  for (const b of batchesList) {
    const store = spillStoreOf(b);
    // A spilled batch holds only its labels in memory; its files go with the store.
    if (store) {
      b.labels.dispose();
      store.dispose();
      continue;
    }
    // `x` is one of the cut's tensors.
    tf.dispose([b.target, b.labels, ...b.cut.values()]);
  }
}

/**
 * L_S^p's forward: from the conv's activated output through the rest of its stage to head `p`
 * (or to the network's own classifier in the last stage), every BatchNorm in inference mode.
 */
export function stageRest(
  pruned: Network,
  conv: string,
  head: Head | null,
): (activated: tf.Tensor, cut: Map<string, tf.Tensor>) => tf.Tensor {
  const runner = pruned.runner;
  // Same values, but the rest's convs skip their filter gradients (exec/input-grad.ts); the logits' own override wins.
  const overrides = new Map([...inputOnlyGradOverrides(runner), ...pruned.logits.overrides]);
  return (activated, cut) => {
    const feeds = new Map(cut);
    feeds.set(conv, activated);
    if (head) {
      const o = runner.run(feeds, [head.after], { training: false, overrides });
      return headLogits(head, o.get(head.after)!, false);
    }
    const o = runner.run(feeds, [pruned.logits.target], { training: false, overrides });
    return o.get(pruned.logits.target)!;
  };
}
