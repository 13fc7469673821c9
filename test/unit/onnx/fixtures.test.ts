import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeModel } from '../../../server/onnx/proto';
import { importOnnx } from '../../../server/onnx/import';
import { maxAbsDiff, randomInput, runLayers, runOrt } from './onnx-builder';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'onnx');

before(async () => {
  await tf.setBackend('cpu');
});

describe('PyTorch exports (test/fixtures/onnx) import and match onnxruntime within 1e-4', () => {
  for (const [file, classes] of [
    ['tiny_resnet.onnx', ['Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Add', 'GlobalAveragePooling2D', 'Dense']],
    ['tiny_mobilenetv2.onnx', ['Conv2D', 'DepthwiseConv2D', 'ZeroPadding2D', 'ReLU', 'Add', 'GlobalAveragePooling2D', 'Dense']],
  ] as const) {
    it(file, async () => {
      const bytes = new Uint8Array(await fs.readFile(path.join(FIXTURES, file)));
      const shape = [4, 1, 28, 28];
      const input = randomInput(shape, 11).map((v) => (v + 1) / 2);
      const ref = await runOrt(bytes, input, shape);
      const model = importOnnx(decodeModel(bytes), file);
      try {
        assert.deepEqual(model.inputs[0]!.shape, [null, 28, 28, 1]);
        const ours = runLayers(model, input, shape);
        assert.equal(ours.length, 40);
        const diff = maxAbsDiff(ref.data, ours);
        assert.ok(diff < 1e-4, `max |diff| ${diff}`);
        const have = new Set(model.layers.map((l) => l.getClassName()));
        for (const c of classes) assert.ok(have.has(c), `${c} in ${[...have].join(', ')}`);
      } finally {
        model.dispose();
      }
    });
  }
});
