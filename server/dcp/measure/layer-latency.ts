/**
 * Per-layer latency: every convolution timed on its own (its `call` on a random input of its input shape), in the
 * unpruned and the pruned model, interleaved like compareLatency so machine load hits both alike. Whole-model
 * latency hides where time goes; this shows which layers got faster and which a channel count did not help
 * (a kernel that works on blocks of 8 channels costs the same at 13 and 16).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerLatency } from '../../../protocol/model';
import { CONV_CLASSES } from '../graph/analyze';
import { checkCancelled, yieldToLoop } from '../run/cancel';
import { median } from './latency';

/** Fewer rounds than the whole model's: a run times every conv twice at two batch sizes. */
export const LAYER_REPEATS = 7;
const WARMUP = 2;

/** Input shape of a layer's first call, without the batch axis. */
function inputShapeOf(layer: tf.layers.Layer): number[] {
  const shapes = layer.inboundNodes[0]?.inputShapes;
  const first = (Array.isArray(shapes?.[0]) ? shapes[0] : shapes) as (number | null)[] | undefined;
  if (!first || first.slice(1).some((d) => d === null)) throw new Error(`layer '${layer.name}' has no fixed input shape to time it with`);
  return first.slice(1) as number[];
}

async function timeOnce(layer: tf.layers.Layer, x: tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = layer.apply(x) as tf.Tensor;
  await y.data();
  const dt = performance.now() - t0;
  y.dispose();
  return dt;
}

/**
 * Medians in ms of each conv layer of `before` and of the same layer in `after`, at batch 1 and `batch`. Layers
 * are matched by name (surgery keeps names); every conv of the unpruned model appears, in model order.
 */
export async function compareLayerLatency(
  before: tf.LayersModel, after: tf.LayersModel, batch: number, repeats = LAYER_REPEATS, signal?: AbortSignal,
): Promise<LayerLatency[]> {
  const out: LayerLatency[] = [];
  for (const a of before.layers) {
    if (!CONV_CLASSES.has(a.getClassName())) continue;
    const b = after.getLayer(a.name);
    const shapes = [inputShapeOf(a), inputShapeOf(b)];
    const row: LayerLatency = {
      layer: a.name, className: a.getClassName(), inputShape: [shapes[0], shapes[1]],
      outChannels: [a.outputShape.at(-1) as number, b.outputShape.at(-1) as number],
      before: [NaN, NaN], after: [NaN, NaN],
    };
    for (const [i, size] of [1, batch].entries()) {
      const xs = shapes.map((s, k) => tf.randomUniform([size, ...s], 0, 1, 'float32', 11 + k));
      const times: [number[], number[]] = [[], []];
      try {
        for (let r = 0; r < repeats + WARMUP; r++) {
          for (const [m, layer] of [a, b].entries()) {
            checkCancelled(signal);
            const dt = await timeOnce(layer, xs[m]);
            if (r >= WARMUP) times[m].push(dt);
          }
          await yieldToLoop();
        }
      } finally {
        tf.dispose(xs);
      }
      row.before[i] = median(times[0]);
      row.after[i] = median(times[1]);
    }
    out.push(row);
  }
  return out;
}
