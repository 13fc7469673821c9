import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel, readModelArtifacts, validateModelJsonText } from '../../../server/io/model-files';
import { fixtureValue, KERAS_FIXTURE_DIR, kerasFixtureShard } from '../../fixtures/io/generate';
import { hashTree, useCpu, withoutLeaks } from './helpers';

const MODEL_JSON = path.join(KERAS_FIXTURE_DIR, 'model.json');

before(useCpu);

describe('Keras-converter model.json (model_config, keras_version, training_config)', () => {
  it('has a committed shard that matches its generator', () => {
    assert.deepEqual(new Uint8Array(readFileSync(path.join(KERAS_FIXTURE_DIR, 'group1-shard1of1.bin'))), kerasFixtureShard());
  });

  it('validates without problems', () => {
    assert.deepEqual(validateModelJsonText(readFileSync(MODEL_JSON, 'utf8')), []);
  });

  it('loads ZeroPadding2D, ReLU(6), DepthwiseConv2D, frozen BN, Add, Concatenate, Flatten, GAP and Dropout', async () => {
    const hashes = await hashTree(KERAS_FIXTURE_DIR);
    await withoutLeaks(async () => {
      const model = await loadLayersModel(MODEL_JSON);
      assert.equal(model.name, 'mobilenet_like');
      assert.deepEqual(model.outputs[0].shape, [null, 3]);
      const classes = new Set(model.layers.map((l) => l.getClassName()));
      for (const c of ['ZeroPadding2D', 'ReLU', 'DepthwiseConv2D', 'BatchNormalization', 'Add', 'Concatenate', 'Flatten', 'GlobalAveragePooling2D', 'Dropout']) {
        assert.ok(classes.has(c), `missing ${c}`);
      }
      assert.equal(model.getLayer('bn_Conv1').trainable, false);
      assert.equal(model.getLayer('Conv1_relu').getConfig().maxValue, 6);
      const dw = model.getLayer('expanded_conv_depthwise').getWeights()[0];
      assert.deepEqual(dw.shape, [3, 3, 8, 1]);
      const values = dw.dataSync();
      for (const i of [0, 17, 71]) assert.equal(values[i], Math.fround(fixtureValue('expanded_conv_depthwise/depthwise_kernel', i)));

      // Same outputs as TF.js's own loader on the same artifacts; softmax rows sum to 1.
      const reference = await tf.loadLayersModel(tf.io.fromMemory(await readModelArtifacts(MODEL_JSON)));
      tf.tidy(() => {
        const x = tf.randomUniform([2, 8, 8, 3], 0, 10, 'float32', 5);
        const ours = (model.predict(x) as tf.Tensor).arraySync() as number[][];
        const theirs = (reference.predict(x) as tf.Tensor).arraySync() as number[][];
        assert.deepEqual(ours, theirs);
        for (const row of ours) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      });
      reference.dispose();
      model.dispose();
    });
    assert.deepEqual(await hashTree(KERAS_FIXTURE_DIR), hashes);
  });

  it('clips at the ReLU max_value of 6', async () => {
    await withoutLeaks(async () => {
      const model = await loadLayersModel(KERAS_FIXTURE_DIR);
      const relu = model.getLayer('Conv1_relu');
      const y = tf.tidy(() => (relu.apply(tf.tensor1d([-3, 2, 9])) as tf.Tensor).arraySync());
      assert.deepEqual(y, [0, 2, 6]);
      model.dispose();
    });
  });
});
