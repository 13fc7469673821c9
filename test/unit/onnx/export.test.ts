import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeModel } from '../../../server/onnx/proto';
import { encodeModel } from '../../../server/onnx/proto-encode';
import type { OnnxModel } from '../../../server/onnx/proto';
import { importOnnx } from '../../../server/onnx/import';
import { exportOnnx } from '../../../server/onnx/export';
import { analyzeGraph } from '../../../server/dcp/graph/graph';
import { cutsFor } from '../../../server/dcp/graph/plan';
import { pruneModel } from '../../../server/dcp/surgery/surgery';
import { GraphBuilder, float, int, ints, maxAbsDiff, randomInput, runLayers, runOrt, str } from './onnx-builder';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'onnx');

before(async () => {
  await tf.setBackend('cpu');
});

/** Every prunable conv keeps its even-numbered input channels, through the engine's own surgery. */
async function pruneEveryOther(model: tf.LayersModel): Promise<{ pruned: tf.LayersModel; convs: number }> {
  const graph = analyzeGraph(model);
  const cuts = graph.prunable.flatMap((c) => cutsFor({ ...c, conv: c.layer, stage: 0 }, Array.from({ length: Math.ceil(c.inChannels / 2) }, (_, i) => 2 * i)));
  return { pruned: await pruneModel(model, cuts), convs: graph.prunable.length };
}

function paramCount(m: OnnxModel): number {
  return m.graph.initializers.reduce((s, t) => s + (t.floats?.length ?? 0), 0);
}

/** Unpruned export ≡ the original under onnxruntime; pruned export ≡ the pruned Layers model. */
async function roundTrip(bytes: Uint8Array, shape: number[], label: string, minConvs: number): Promise<void> {
  const original = decodeModel(bytes);
  const input = randomInput(shape, 5);
  const model = importOnnx(original, label);
  const before = tf.memory().numTensors;
  try {
    const same = encodeModel(exportOnnx(model, original));
    const d0 = maxAbsDiff((await runOrt(bytes, input, shape)).data, (await runOrt(same, input, shape)).data);
    assert.ok(d0 < 1e-4, `${label}: unpruned export vs original: max |diff| ${d0}`);
    const { pruned, convs } = await pruneEveryOther(model);
    assert.ok(convs >= minConvs, `${label}: ${convs} prunable convs`);
    try {
      const exported = exportOnnx(pruned, original);
      const out = encodeModel(exported);
      const back = decodeModel(out);
      assert.equal(back.opsets[0]!.version, original.opsets[0]!.version);
      assert.deepEqual(back.graph.inputs.map((v) => [v.name, v.dims]), original.graph.inputs.filter((v) => !original.graph.initializers.some((t) => t.name === v.name)).map((v) => [v.name, v.dims]));
      assert.deepEqual(back.graph.outputs.map((v) => v.name), original.graph.outputs.map((v) => v.name));
      assert.ok(paramCount(back) < paramCount(original), `${label}: ${paramCount(back)} weights after pruning vs ${paramCount(original)}`);
      const d1 = maxAbsDiff((await runOrt(out, input, shape)).data, runLayers(pruned, input, shape));
      assert.ok(d1 < 1e-4, `${label}: pruned export vs pruned Layers model: max |diff| ${d1}`);
    } finally {
      pruned.dispose();
    }
  } finally {
    model.dispose();
  }
  assert.ok(tf.memory().numTensors <= before, 'export leaks no tensors');
}

describe('ONNX export: same opset, names and NCHW layout; numerically the Layers model within 1e-4', () => {
  for (const file of ['tiny_resnet.onnx', 'tiny_mobilenetv2.onnx']) {
    it(`${file} (PyTorch), unpruned and with every other channel removed`, async () => {
      await roundTrip(new Uint8Array(await fs.readFile(path.join(FIXTURES, file))), [3, 1, 28, 28], file, 2);
    });
  }

  it('a squeeze-and-excitation block (GAP → 1×1 convs → Sigmoid → broadcast Mul) at opset 13', async () => {
    const g = new GraphBuilder([2, 3, 8, 8], 12);
    const x = g.node('Relu', [g.bn(g.conv(g.inputName, 3, 8, 3, [ints('pads', [1, 1, 1, 1])]), 8)]);
    const s1 = g.node('Relu', [g.conv(g.node('GlobalAveragePool', [x]), 8, 4, 1)]);
    const gate = g.node('Sigmoid', [g.conv(s1, 4, 8, 1)]);
    const y = g.node('Relu', [g.bn(g.conv(g.node('Mul', [x, gate]), 8, 6, 3, [ints('pads', [1, 1, 1, 1])]), 6)]);
    const z = g.node('Relu', [g.conv(y, 6, 6, 3, [ints('pads', [1, 1, 1, 1])])]);
    const out = g.node('Gemm', [g.node('Flatten', [g.node('GlobalAveragePool', [z])]), g.weight([6, 3]), g.weight([3])]);
    await roundTrip(g.encode([out], 13), [2, 3, 8, 8], 'se', 1);
  });

  it('a synthetic net with SAME padding, depthwise, Pad, pools, concat, LeakyRelu, Flatten of a map and Gemm (opset 11)', async () => {
    const g = new GraphBuilder([2, 3, 10, 10], 9);
    let x = g.node('Relu', [g.bn(g.conv(g.inputName, 3, 8, 3, [str('auto_pad', 'SAME_UPPER')]), 8)]);
    x = g.node('Clip', [g.conv(x, 8, 8, 3, [ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])], 8), g.scalar(0), g.scalar(6)]);
    const y = g.node('LeakyRelu', [g.conv(x, 8, 6, 1)], [float('alpha', 0.1)]);
    const z = g.node('Relu', [g.conv(x, 8, 4, 3, [str('auto_pad', 'SAME_UPPER')])]);
    x = g.node('Concat', [y, z], [int('axis', 1)]);
    x = g.node('MaxPool', [g.node('Pad', [x, g.int64([0, 0, 1, 1, 0, 0, 0, 0])])], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
    x = g.node('Relu', [g.conv(x, 10, 5, 1)]);
    x = g.node('Gemm', [g.node('Flatten', [x]), g.weight([5 * 3 * 3, 4], -1, 1), g.weight([4])]);
    await roundTrip(g.encode([x], 11), [2, 3, 10, 10], 'synthetic', 1);
  });
});
