import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { decodeModel } from '../../../server/onnx/proto';
import { importOnnx, onnxProblems } from '../../../server/onnx/import';
import { GraphBuilder, float, int, ints, maxAbsDiff, randomInput, runLayers, runOrt, str } from './onnx-builder';

before(async () => {
  await tf.setBackend('cpu');
});

/** Imports the graph, runs both on one random input, returns the largest difference and the model's layer classes. */
async function compare(bytes: Uint8Array, shape: number[]): Promise<{ diff: number; classes: string[]; scale: number }> {
  const input = randomInput(shape);
  const ref = await runOrt(bytes, input, shape);
  const before = tf.memory().numTensors;
  const model = importOnnx(decodeModel(bytes), 'test.onnx');
  const ours = runLayers(model, input, shape);
  const classes = model.layers.map((l) => l.getClassName());
  model.dispose();
  assert.equal(tf.memory().numTensors, before, 'import + predict + dispose leaks no tensors');
  const scale = ref.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return { diff: maxAbsDiff(ref.data, ours), classes, scale };
}

describe('ONNX import matches onnxruntime within 1e-4', () => {
  for (const opset of [11, 13, 19]) {
    it(`conv/BN/ReLU/MaxPool/asymmetric pads/Clip/GAP/Flatten/Gemm/Softmax at opset ${opset}`, async () => {
      const g = new GraphBuilder([2, 3, 12, 12]);
      let x = g.conv(g.inputName, 3, 8, 3, [ints('pads', [1, 1, 1, 1])]);
      x = g.node('Relu', [g.bn(x, 8)]);
      x = g.node('MaxPool', [x], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
      x = g.conv(x, 8, 6, 3, [ints('strides', [2, 2]), ints('pads', [1, 1, 0, 0])]);
      const clip = opset >= 11 ? g.node('Clip', [x, g.scalar(0), g.scalar(6)]) : x;
      x = g.node('GlobalAveragePool', [clip]);
      x = g.node('Flatten', [x], [int('axis', 1)]);
      x = g.node('Gemm', [x, g.weight([5, 6]), g.weight([5])], [int('transB', 1), float('alpha', 0.7), float('beta', 1.5)]);
      x = g.node('Softmax', [x], [int('axis', opset >= 13 ? -1 : 1)]);
      const r = await compare(g.encode([x], opset), [2, 3, 12, 12]);
      assert.ok(r.diff < 1e-4, `max |diff| ${r.diff}`);
      assert.ok(r.classes.includes('ZeroPadding2D') && r.classes.includes('DepthwiseConv2D') === false);
    });
  }

  it('depthwise (multiplier 2), SAME_LOWER/SAME_UPPER, LeakyRelu, Sigmoid gate, residual Add, Concat, AveragePool, Pad, Dropout, Identity, Flatten + MatMul + Add, Reshape', async () => {
    const g = new GraphBuilder([1, 4, 9, 9], 3);
    const a = g.conv(g.inputName, 4, 8, 3, [str('auto_pad', 'SAME_LOWER'), ints('strides', [2, 2])], 4);
    const b = g.node('LeakyRelu', [a], [float('alpha', 0.2)]);
    const gate = g.node('Mul', [b, g.node('Sigmoid', [b])]);
    const c = g.conv(gate, 8, 8, 3, [str('auto_pad', 'SAME_UPPER')], 1, false);
    const res = g.node('Add', [g.node('Relu', [g.bn(c, 8)]), gate]);
    const cat = g.node('Concat', [res, g.node('Identity', [g.conv(res, 8, 4, 1)])], [int('axis', 1)]);
    const avg = g.node('AveragePool', [cat], [ints('kernel_shape', [2, 2]), ints('strides', [1, 1]), ints('pads', [0, 0, 1, 1]), int('count_include_pad', 1)]);
    const avg2 = g.node('AveragePool', [g.node('Pad', [avg, g.int64([0, 0, 1, 0, 0, 0, 1, 2])])], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
    const drop = g.node('Dropout', [avg2]);
    const flat = g.node('Flatten', [drop]);
    const dense = g.node('Add', [g.node('MatMul', [flat, g.weight([12 * 4 * 4, 7])]), g.weight([7])]);
    const out = g.node('Reshape', [dense, g.int64([0, -1])]);
    const r = await compare(g.encode([out], 13), [1, 4, 9, 9]);
    assert.ok(r.diff < 1e-4 * Math.max(1, r.scale), `max |diff| ${r.diff} (scale ${r.scale})`);
    for (const cls of ['DepthwiseConv2D', 'LeakyReLU', 'Multiply', 'Add', 'Concatenate', 'AveragePooling2D', 'Flatten', 'Dense']) assert.ok(r.classes.includes(cls), cls);
  });

  it('Flatten of a C×H×W map permutes the Dense rows (a wrong order would not match)', async () => {
    const g = new GraphBuilder([1, 2, 4, 4], 5);
    const x = g.node('Relu', [g.conv(g.inputName, 2, 3, 3, [ints('pads', [1, 1, 1, 1])])]);
    const out = g.node('Gemm', [g.node('Flatten', [x]), g.weight([48, 4], -1, 1)]);
    const r = await compare(g.encode([out], 17), [1, 2, 4, 4]);
    assert.ok(r.diff < 1e-4, `max |diff| ${r.diff}`);
  });
});

describe('shape arithmetic of x.view(x.size(0), -1) folds into a flatten', () => {
  for (const opset of [11, 13]) {
    it(`Shape → Gather → Unsqueeze → Concat → Reshape at opset ${opset}`, async () => {
      const g = new GraphBuilder([3, 2, 6, 6], 4);
      const x = g.node('Relu', [g.conv(g.inputName, 2, 4, 3)]);
      const n = g.node('Gather', [g.node('Shape', [x]), g.int64Scalar(0)], [int('axis', 0)]);
      const u = opset >= 13 ? g.node('Unsqueeze', [n, g.int64([0])]) : g.node('Unsqueeze', [n], [ints('axes', [0])]);
      const flat = g.node('Reshape', [x, g.node('Concat', [u, g.int64([-1])], [int('axis', 0)])]);
      const out = g.node('Gemm', [flat, g.weight([4 * 4 * 4, 5]), g.weight([5])]);
      const r = await compare(g.encode([out], opset), [3, 2, 6, 6]);
      assert.ok(r.diff < 1e-4, `max |diff| ${r.diff}`);
      assert.ok(r.classes.includes('Flatten'));
    });
  }

  it('Gather on data (not a shape) fails naming the node', () => {
    const g = new GraphBuilder([1, 2, 4, 4]);
    const x = g.node('Gather', [g.node('Relu', [g.inputName]), g.int64([0])], [], 'pick');
    assert.throws(() => importOnnx(decodeModel(g.encode([x], 13)), 'd.onnx'), /d\.onnx: node pick \(Gather\) is supported on constant shapes only/);
  });
});

describe('unsupported graphs are refused before any work, naming each node', () => {
  it('lists every unsupported op and attribute at once', () => {
    const g = new GraphBuilder([1, 4, 8, 8]);
    const a = g.conv(g.inputName, 4, 4, 3, [], 2);
    const b = g.node('Resize', [a], [], 'up1');
    g.node('MaxPool', [b], [ints('kernel_shape', [2, 2]), ints('dilations', [2, 2])], 'pool1');
    const m = decodeModel(g.encode([b], 13));
    const problems = onnxProblems(m);
    assert.deepEqual(problems.map((p) => `${p.node}:${p.op}`), ['up1:Resize', 'pool1:MaxPool']);
    const before = tf.memory().numTensors;
    assert.throws(() => importOnnx(m, 'bad.onnx'), /bad\.onnx: 2 nodes cannot be imported:\n {2}up1 \(Resize\): op is not supported\n {2}pool1 \(MaxPool\): dilated pooling/);
    assert.equal(tf.memory().numTensors, before);
  });

  it('a grouped (non-depthwise) conv fails naming the node, and frees the layers built before it', () => {
    const g = new GraphBuilder([1, 4, 8, 8]);
    const a = g.conv(g.inputName, 4, 4, 3);
    g.conv(a, 4, 4, 3, [], 2);
    const before = tf.memory().numTensors;
    assert.throws(() => importOnnx(decodeModel(g.encode([a], 13)), 'g.onnx'), /g\.onnx: node conv_\d+ \(Conv\) group = 2 with 4 input channels/);
    assert.equal(tf.memory().numTensors, before);
  });

  it('an opset outside 11-19 and a file that is not protobuf are clear errors', () => {
    const g = new GraphBuilder([1, 1, 4, 4]);
    const a = g.node('Relu', [g.inputName]);
    assert.match(onnxProblems(decodeModel(g.encode([a], 9)))[0]!.why, /opset 9 is outside the supported 11-19/);
    assert.throws(() => decodeModel(new TextEncoder().encode('{"modelTopology": {}}')), /./);
  });
});
