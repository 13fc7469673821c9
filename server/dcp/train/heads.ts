import * as tf from '@tensorflow/tfjs';
import type { HeadWeighting } from '../../../protocol/model';

/**
 * An auxiliary classifier attached after a block (DCP-SPEC §2): BatchNorm → ReLU → global average
 * pool → Dense(num classes, zero bias). It exists only during the run; surgery drops it.
 */
export interface Head {
  index: number;
  /** Layer whose output feeds the head. */
  after: string;
  /** Block index the head follows (for the v2 weights). */
  block: number;
  weight: number;
  bn: tf.layers.Layer;
  dense: tf.layers.Layer;
}

export interface HeadPosition {
  after: string;
  blockIndex: number;
}

/**
 * The authors' v2 weights make deeper heads count more: w_i = max(0.01, ((pivot_i·Lb+1)/(pivot_P·Lb+1))²)
 * (DCP-SPEC §2), with pivot_i the number of blocks before head i, pivot_P that of the last head (so the deepest head
 * weighs 1) and Lb the layers per block. `sum` weighs all 1.
 */
export function headWeight(weighting: HeadWeighting, pivot: number, lastPivot: number, layersPerBlock: number): number {
  if (weighting === 'sum') return 1;
  const r = (pivot * layersPerBlock + 1) / (lastPivot * layersPerBlock + 1);
  return Math.max(0.01, r * r);
}

/** Creates the heads with seeded initial weights and builds them for the given feature shapes. */
export function createHeads(
  positions: HeadPosition[],
  featureChannels: number[],
  numClasses: number,
  seed: number,
  weighting: HeadWeighting,
  layersPerBlock: number,
): Head[] {
  // A head after block index b has b+1 blocks before it: that count is the authors' pivot.
  const lastPivot = (positions.at(-1)?.blockIndex ?? 0) + 1;
  return positions.map((p, i) => {
    // Momentum 0.9 (not Keras' 0.99) so the moving statistics settle within the one short epoch heads get;
    // selection then runs the heads in inference mode on those statistics.
    const bn = tf.layers.batchNormalization({ axis: -1, momentum: 0.9, name: `dcp_head${i}_bn` });
    const dense = tf.layers.dense({
      units: numClasses,
      name: `dcp_head${i}_fc`,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 7919 + i }),
      biasInitializer: 'zeros',
    });
    bn.build([null, null, null, featureChannels[i]]);
    dense.build([null, featureChannels[i]]);
    return { index: i, after: p.after, block: p.blockIndex, weight: headWeight(weighting, p.blockIndex + 1, lastPivot, layersPerBlock), bn, dense };
  });
}

/** Logits of a head on a feature map [N, H, W, C] (or [N, C] after a pooling layer). */
export function headLogits(head: Head, feature: tf.Tensor, training: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    let x = head.bn.apply(feature, { training }) as tf.Tensor;
    x = tf.relu(x);
    if (x.rank === 4) x = tf.mean(x, [1, 2]);
    return head.dense.apply(x) as tf.Tensor2D;
  });
}

/** The trainable variables of every head (BN gamma/beta and the dense layer). */
export function headVariables(heads: Head[]): tf.Variable[] {
  return heads.flatMap((h) => [...h.bn.trainableWeights, ...h.dense.trainableWeights].map((w) => w.read() as tf.Variable));
}

/** Plain copies of the heads' weights (moving statistics included), for checkpoints. */
export async function headWeightsData(heads: Head[]): Promise<{ shape: number[]; values: number[] }[][]> {
  const out: { shape: number[]; values: number[] }[][] = [];
  for (const h of heads) {
    const ws = [...h.bn.getWeights(), ...h.dense.getWeights()];
    const rows: { shape: number[]; values: number[] }[] = [];
    for (const w of ws) rows.push({ shape: w.shape, values: Array.from(await w.data()) });
    out.push(rows);
  }
  return out;
}

/** Restores weights written by `headWeightsData`. */
export function setHeadWeights(heads: Head[], data: { shape: number[]; values: number[] }[][]): void {
  heads.forEach((h, i) => {
    const rows = data[i];
    const nBn = h.bn.getWeights().length;
    const ts = rows.map((r) => tf.tensor(r.values, r.shape));
    h.bn.setWeights(ts.slice(0, nBn));
    h.dense.setWeights(ts.slice(nBn));
    ts.forEach((t) => t.dispose());
  });
}

export function disposeHeads(heads: Head[]): void {
  // The heads are applied eagerly, never connected symbolically, so Layer.dispose() refuses them: free the weights.
  for (const h of heads) for (const w of [...h.bn.weights, ...h.dense.weights]) w.dispose();
}
