import * as tf from '@tensorflow/tfjs';
import type { RunEvent, TrainPhase, EpochPoint } from '../../../protocol/model';
import type { Split } from '../../data/dataset';
import { batches } from '../../data/dataset';
import type { Batch } from '../../data/batches';
import { microBatchSizes } from '../measure/memory';
import type { GraphRunner, LayerOverride } from '../exec/executor';
import { type Head, headLogits, headVariables } from './heads';
import { crossEntropy, countCorrect } from '../exec/layers';
import { checkCancelled, yieldToLoop } from '../run/cancel';

/** A network under training: the graph, how to get its logits, its auxiliary heads and the masks pruning imposed. */
export interface Network {
  runner: GraphRunner;
  logits: { target: string; overrides: Map<string, LayerOverride> };
  heads: Head[];
  /** Conv layer name → 0/1 mask broadcastable to its kernel; masked weights stay exactly zero. */
  masks: Map<string, tf.Tensor>;
  inputShape: [number, number, number];
}

export interface TrainOptions {
  phase: TrainPhase;
  stage: number | null;
  epochs: number;
  learningRate: number;
  batchSize: number;
  seed: number;
  /** Include the auxiliary heads' losses (head training, stage fine-tune) or only the final loss. */
  withHeads: boolean;
  /**
   * Update the network's own weights (BN in training mode). False trains only the heads on the frozen
   * network (BN in inference mode), which keeps the baseline exactly as the user trained it.
   */
  trainNetwork?: boolean;
  /** Step the learning rate down ×0.1 at 40% and ×0.01 at 60% of the epochs, as the authors' schedule does. */
  stepSchedule?: boolean;
  validation: Split | null;
  /** Called after each epoch (1-based); resolving true ends training before `epochs` (a plateau rule). */
  stopAfter?: (epoch: number) => Promise<boolean>;
  signal?: AbortSignal;
  /**
   * Largest batch one forward/backward pass may hold (the memory plan's); larger batches are split and their
   * gradients summed into one optimiser step. Default: `batchSize`.
   */
  microBatch?: number;
  /** Batch of the validation passes; default `batchSize`. */
  inferenceBatch?: number;
}

const MOMENTUM = 0.9;
const WEIGHT_DECAY = 1e-4;

/** The variables SGD updates: the network's trainable weights plus, when asked, the heads'. */
export function trainableVariables(net: Network, withHeads: boolean, trainNetwork = true): tf.Variable[] {
  const own = trainNetwork ? net.runner.model.trainableWeights.map((w) => w.read() as tf.Variable) : [];
  return withHeads ? [...own, ...headVariables(net.heads)] : own;
}

/** Loss on one batch: final cross-entropy plus Σ w_p·L_S^p over the heads when `withHeads`. */
export function batchLoss(net: Network, x: tf.Tensor4D, labels: tf.Tensor1D, withHeads: boolean, training: boolean, networkTraining = training): tf.Scalar {
  return tf.tidy(() => {
    const heads = withHeads ? net.heads : [];
    const targets = [net.logits.target, ...heads.map((h) => h.after)];
    const out = net.runner.run(new Map([[net.runner.inputNames[0], x]]), targets, { training: networkTraining, overrides: net.logits.overrides });
    let loss = crossEntropy(labels, out.get(net.logits.target)!);
    // With the network frozen the heads are independent problems: their weights would only rescale each one's learning rate.
    for (const h of heads) loss = tf.add(loss, tf.mul(networkTraining ? h.weight : 1, crossEntropy(labels, headLogits(h, out.get(h.after)!, training))));
    return loss as tf.Scalar;
  });
}

/** Re-zeroes masked kernels after an update so pruned channels never come back. */
export function applyMasks(net: Network): void {
  for (const [name, mask] of net.masks) {
    const kernel = (net.runner.layer(name) as unknown as { kernel: tf.LayerVariable }).kernel;
    tf.tidy(() => {
      kernel.write(tf.mul(kernel.read(), mask));
    });
  }
}

/**
 * SGD with Nesterov momentum 0.9 and weight decay 1e-4 (the authors' optimiser), BatchNorm in
 * training mode. Yields progress per batch and a point per epoch (with validation accuracy).
 */
export async function* train(net: Network, data: Split, opts: TrainOptions): AsyncGenerator<RunEvent, EpochPoint[]> {
  const points: EpochPoint[] = [];
  if (opts.epochs <= 0 || data.count === 0) return points;
  const trainNetwork = opts.trainNetwork ?? true;
  const vars = trainableVariables(net, opts.withHeads, trainNetwork);
  const optimizer = new NesterovSgd(vars, opts.learningRate);
  const nBatches = Math.ceil(data.count / opts.batchSize);
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      if (opts.stepSchedule) optimizer.lr = opts.learningRate * scheduleFactor(epoch, opts.epochs);
      let lossSum = 0;
      let seen = 0;
      let b = 0;
      for (const batch of batches(data, opts.batchSize, opts.seed * 1009 + epoch)) {
        checkCancelled(opts.signal);
        const { loss, grads } = await batchGradients(net, batch, opts.microBatch ?? opts.batchSize, vars, opts.withHeads, trainNetwork);
        optimizer.step(grads);
        applyMasks(net);
        tf.dispose(Object.values(grads));
        lossSum += loss * batch.n;
        seen += batch.n;
        b++;
        yield { type: 'trainProgress', phase: opts.phase, stage: opts.stage, epoch, epochs: opts.epochs, batch: b, batches: nBatches, loss, time: Date.now() };
        await yieldToLoop();
      }
      const valAccuracy = opts.validation ? await accuracy(net, opts.validation, opts.inferenceBatch ?? opts.batchSize, opts.signal) : null;
      const point: EpochPoint = { epoch, loss: lossSum / Math.max(1, seen), accuracy: null, valAccuracy };
      points.push(point);
      yield { type: 'epochDone', phase: opts.phase, stage: opts.stage, point, time: Date.now() };
      if (opts.stopAfter && epoch < opts.epochs && await opts.stopAfter(epoch)) break;
    }
  } finally {
    optimizer.dispose();
  }
  return points;
}

/**
 * The mean loss of one batch and its gradients, from micro-batches of at most `micro` samples: each micro-batch's
 * mean loss is weighted by its share of the batch, so the summed gradient is the full batch's. Exact except for
 * BatchNorm in training mode, which normalises with each micro-batch's statistics and updates its moving averages
 * once per micro-batch (a deviation the memory plan only makes when the full batch does not fit).
 */
export async function batchGradients(
  net: Network, batch: Batch, micro: number, vars: tf.Variable[], withHeads: boolean, trainNetwork: boolean,
): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
  const [h, w, c] = net.inputShape;
  const sampleLen = h * w * c;
  const sizes = microBatchSizes(batch.n, micro);
  let sum: tf.NamedTensorMap = {};
  let loss = 0;
  let start = 0;
  try {
    for (const m of sizes) {
      const x = tf.tensor4d(batch.x.subarray(start * sampleLen, (start + m) * sampleLen), [m, h, w, c]);
      const y = tf.tensor1d(batch.y.subarray(start, start + m), 'int32');
      const share = m / batch.n;
      let step: { value: tf.Scalar; grads: tf.NamedTensorMap };
      try {
        step = tf.variableGrads(() => {
          const l = batchLoss(net, x, y, withHeads, true, trainNetwork);
          return sizes.length === 1 ? l : (tf.mul(l, share) as tf.Scalar);
        }, vars);
      } finally {
        tf.dispose([x, y]);
      }
      const { value, grads } = step;
      if (sizes.length === 1) sum = grads;
      else {
        const next = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, sum[k] ? tf.add(sum[k], g) : g.clone()])));
        tf.dispose([...Object.values(sum), ...Object.values(grads)]);
        sum = next;
      }
      loss += (await value.data())[0];
      value.dispose();
      start += m;
    }
  } catch (e) {
    tf.dispose(Object.values(sum));
    throw e;
  }
  return { loss, grads: sum };
}

/** Accuracy of the final classifier (inference mode) on a split. */
export async function accuracy(net: Network, data: Split, batchSize: number, signal?: AbortSignal): Promise<number> {
  return (await headAccuracies(net, data, batchSize, [], signal)).final;
}

/** Accuracy of the final classifier and of the given heads, in one inference pass over the split. */
export async function headAccuracies(
  net: Network, data: Split, batchSize: number, heads: Head[], signal?: AbortSignal,
): Promise<{ final: number; heads: number[] }> {
  const [h, w, c] = net.inputShape;
  let final = 0;
  const perHead = heads.map(() => 0);
  for (const batch of batches(data, batchSize, null)) {
    checkCancelled(signal);
    const labels = tf.tensor1d(batch.y, 'int32');
    const outs = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [batch.n, h, w, c]);
      const targets = [net.logits.target, ...heads.map((hd) => hd.after)];
      const o = net.runner.run(new Map([[net.runner.inputNames[0], x]]), targets, { training: false, overrides: net.logits.overrides });
      return [o.get(net.logits.target)!, ...heads.map((hd) => headLogits(hd, o.get(hd.after)!, false))];
    });
    final += await countCorrect(labels, outs[0]);
    for (let i = 0; i < heads.length; i++) perHead[i] += await countCorrect(labels, outs[i + 1]);
    tf.dispose([labels, ...outs]);
    await yieldToLoop();
  }
  const n = Math.max(1, data.count);
  return { final: final / n, heads: perHead.map((v) => v / n) };
}

/**
 * SGD with Nesterov momentum and weight decay, as PyTorch defines it (the authors' optimiser):
 * g = ∇ + wd·w; buf = μ·buf + g; w −= lr·(g + μ·buf). Ours rather than tf.train.momentum, whose
 * dispose() leaks its learning-rate scalar in tfjs 4.22.
 */
export class NesterovSgd {
  private readonly buffers = new Map<string, tf.Tensor>();

  constructor(private readonly vars: tf.Variable[], public lr: number) {}

  step(grads: tf.NamedTensorMap): void {
    for (const v of this.vars) {
      const g = grads[v.name];
      if (!g) continue;
      const old = this.buffers.get(v.name);
      const buf = tf.tidy(() => {
        const d = tf.add(g, tf.mul(WEIGHT_DECAY, v));
        const b = old ? tf.add(tf.mul(MOMENTUM, old), d) : d;
        v.assign(tf.sub(v, tf.mul(this.lr, tf.add(d, tf.mul(MOMENTUM, b)))));
        return b;
      });
      old?.dispose();
      this.buffers.set(v.name, buf);
    }
  }

  dispose(): void {
    tf.dispose([...this.buffers.values()]);
    this.buffers.clear();
  }
}

/** The authors' step schedule (÷10 at 40% and 60% of training), by epoch (1-based). */
export function scheduleFactor(epoch: number, epochs: number): number {
  const progress = (epoch - 1) / epochs;
  return progress >= 0.6 ? 0.01 : progress >= 0.4 ? 0.1 : 1;
}
