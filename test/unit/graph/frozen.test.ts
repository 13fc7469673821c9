/** `trainable: false` convolutions: not selected (selection would re-fit their kernels), with the reason; a frozen conv may still lose filters. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { analyzeGraph } from '../../../server/dcp/graph/graph';
import { producers, prunableNames, reason, useCpu } from './helpers';

function stack(frozen: string): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1], name: 'in' });
  let x: tf.SymbolicTensor = input;
  for (const name of ['c1', 'c2', 'c3']) {
    x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name, trainable: name !== frozen }).apply(x) as tf.SymbolicTensor;
  }
  const out = tf.layers.dense({ units: 2, name: 'fc' }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('trainable: false', () => {
  before(useCpu);

  it('a frozen conv is not selected, and says why', () => {
    const g = analyzeGraph(stack('c2'));
    assert.deepEqual(prunableNames(g), ['c3']);
    assert.match(reason(g, 'c2'), /^trainable: false: its weights are frozen/);
  });

  it('survives a save/load round trip of the config', async () => {
    const m = stack('c3');
    const json = m.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];
    const copy = await tf.models.modelFromJSON({ modelTopology: json });
    const g = analyzeGraph(copy);
    assert.deepEqual(prunableNames(g), ['c2']);
    assert.deepEqual(producers(g, 'c2'), ['c1:conv-filters@0+4']);
    assert.match(reason(g, 'c3'), /^trainable: false/);
  });

  it('a frozen producer still loses the filters its consumer drops (slicing changes no kept value)', () => {
    const g = analyzeGraph(stack('c1'));
    assert.deepEqual(prunableNames(g), ['c2', 'c3']);
    assert.deepEqual(producers(g, 'c2'), ['c1:conv-filters@0+4']);
  });
});
