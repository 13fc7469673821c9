import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { analyzeGraph } from '../../../server/dcp/graph/graph';
import { makePlan } from '../../../server/dcp/graph/plan';
import { createHeads, disposeHeads, headWeight } from '../../../server/dcp/train/heads';
import { loadLayersModel } from '../../../server/io/model-files';
import { classifier, conv, bn, relu, resetSeeds } from '../../fixtures/models/layers';
import { bottleneck } from '../../fixtures/models/resnet-variants';
import { buildVgg } from '../../fixtures/models/plain';
import { useCpu } from './helpers';

/** The v2 weights of P = 2 heads (the authors' default for shallow nets; ours is none up to 8 blocks), as the run creates them. */
function weightsOf(model: tf.LayersModel, heads: number | null = 2): { lb: number; pivots: number[]; weights: number[] } {
  const graph = analyzeGraph(model);
  const plan = makePlan(graph, heads);
  const channels = plan.heads.map((h) => graph.layers[h.after].outputShape.at(-1)!);
  const made = createHeads(plan.heads, channels, 10, 1, 'v2', plan.layersPerBlock);
  try {
    return { lb: plan.layersPerBlock, pivots: plan.heads.map((h) => h.blockIndex + 1), weights: made.map((h) => h.weight) };
  } finally {
    disposeHeads(made);
  }
}

/** Stem + five bottleneck blocks: P = 2 heads go after blocks 2 and 4 (per = ⌊5/3⌋+1 = 2). */
function fiveBottlenecks(): tf.LayersModel {
  resetSeeds();
  const input = tf.input({ shape: [8, 8, 3], name: 'input' });
  let x = relu(bn(conv(input, 8, 'stem'), 'stem_bn'), 'stem_relu');
  for (let i = 1; i <= 5; i++) x = bottleneck(x, 2, 1, `n${i}`);
  return tf.model({ inputs: input, outputs: classifier(x, 10), name: 'five_bottlenecks' });
}

describe('v2 head weights (DCP-SPEC §2: w_i = max(0.01, ((pivot_i·Lb+1)/(pivot_P·Lb+1))²))', () => {
  before(useCpu);

  it('example ResNet: 6 basic blocks, heads after blocks 3 and 5, Lb = 2 → 0.405 and 1', async () => {
    const model = await loadLayersModel(join(__dirname, '../../../examples/resnet/model.json'));
    try {
      const { lb, pivots, weights } = weightsOf(model);
      assert.equal(lb, 2);
      assert.deepEqual(pivots, [3, 5]);
      // By hand: ((3·2+1)/(5·2+1))² = (7/11)² = 49/121.
      assert.ok(Math.abs(weights[0] - 49 / 121) < 1e-12, `head 0 weight ${weights[0]}`);
      assert.equal(weights[1], 1);
      assert.equal(Math.round(weights[0] * 1000) / 1000, 0.405);
    } finally {
      model.dispose();
    }
  });

  it('bottleneck net: Lb = 3 (the 1×1 shortcut is a shorter path), heads after blocks 2 and 4 → (7/13)² and 1', () => {
    const model = fiveBottlenecks();
    try {
      const { lb, pivots, weights } = weightsOf(model);
      assert.equal(lb, 3);
      assert.deepEqual(pivots, [2, 4]);
      assert.ok(Math.abs(weights[0] - 49 / 169) < 1e-12, `head 0 weight ${weights[0]}`);
      assert.equal(weights[1], 1);
    } finally {
      model.dispose();
    }
  });

  it('plain stacks count one layer per block; the floor is 0.01; sum weighs 1', () => {
    const model = buildVgg();
    try {
      assert.equal(weightsOf(model).lb, 1);
    } finally {
      model.dispose();
    }
    assert.equal(headWeight('v2', 1, 100, 2), 0.01); // (3/201)² ≈ 0.0002 → floor
    assert.equal(headWeight('v2', 2, 4, 1), 9 / 25);
    assert.equal(headWeight('sum', 1, 100, 2), 1);
  });
});
