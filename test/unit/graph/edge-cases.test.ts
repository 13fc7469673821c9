import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { analyzeGraph, summarizeModel } from '../../../server/dcp/graph/graph';
import { prunableNames, reason, useCpu } from './helpers';

type T = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: T | T[]): T => l.apply(x) as T;
const conv = (x: T, filters: number, name: string, k = 3): T => ap(tf.layers.conv2d({ filters, kernelSize: k, padding: 'same', name }), x);
/** GAP → Dense head so the conv under test is never the classifier. */
function head(x: T): T {
  return ap(tf.layers.dense({ units: 3, name: 'fc' }), ap(tf.layers.globalAveragePooling2d({ name: 'gap' }), x));
}

describe('layers whose channel mapping DCP cannot follow', () => {
  before(useCpu);

  it('refuses a shared conv and what reads it', () => {
    const input = tf.input({ shape: [8, 8, 4], name: 'in' });
    const shared = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'shared' });
    const twice = ap(shared, ap(shared, input));
    const g = analyzeGraph(tf.model({ inputs: input, outputs: head(conv(twice, 4, 'c')) }));
    assert.match(reason(g, 'shared'), /called 2 times \(shared weights\)/);
    assert.match(reason(g, 'c'), /'shared' \(Conv2D\) is called 2 times/);
    // FLOPs count both calls.
    const row = summarizeModel(tf.model({ inputs: input, outputs: twice })).layers[0];
    assert.equal(row.flops, 2 * 9 * 4 * 4 * 64);
  });

  it('refuses a conv after a squeeze-and-excitation Multiply', () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'in' });
    const a = conv(input, 4, 'a');
    const s = ap(tf.layers.reshape({ targetShape: [1, 1, 4], name: 'se_reshape' }), ap(tf.layers.globalAveragePooling2d({ name: 'se_pool' }), a));
    const gate = ap(tf.layers.activation({ activation: 'sigmoid', name: 'se_gate' }), conv(s, 4, 'se_conv', 1));
    const scaled = ap(tf.layers.multiply({ name: 'se_mul' }), [a, gate]);
    const g = analyzeGraph(tf.model({ inputs: input, outputs: head(conv(scaled, 4, 'b')) }));
    assert.match(reason(g, 'b'), /'se_mul' \(Multiply\) combines its inputs channel by channel/);
    // The SE conv reads a pooled copy of 'a', which the Multiply also reads.
    assert.match(reason(g, 'se_conv'), /^shared channels: 'a' also feeds 'se_mul'/);
  });

  it('refuses channels that are also a model output', () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'in' });
    const a = conv(input, 4, 'a');
    const b = conv(a, 4, 'b');
    const g = analyzeGraph(tf.model({ inputs: input, outputs: [a, head(b)] }));
    assert.match(reason(g, 'b'), /^shared channels: 'a' is also a model output/);
  });

  it('refuses reshapes that mix space and channels, softmax over channels, and nested models', () => {
    const input = tf.input({ shape: [8, 8, 4], name: 'in' });
    const a = conv(input, 4, 'a');
    const r = ap(tf.layers.reshape({ targetShape: [4, 16, 4], name: 'r' }), a);
    const b = conv(r, 4, 'b');
    const sm = ap(tf.layers.activation({ activation: 'softmax', name: 'sm' }), conv(b, 4, 'c'));
    const d = conv(sm, 4, 'd');
    const inner = tf.sequential({ name: 'inner', layers: [tf.layers.conv2d({ inputShape: [4, 16, 4], filters: 4, kernelSize: 1, name: 'inner_conv' })] });
    const e = conv(ap(inner as unknown as tf.layers.Layer, d), 4, 'e');
    const m = tf.model({ inputs: input, outputs: head(e) });
    const g = analyzeGraph(m);
    assert.match(reason(g, 'b'), /'r' \(Reshape\) mixes spatial positions and channels/);
    assert.match(reason(g, 'd'), /softmax 'sm' \(Activation\) normalises across channels/);
    assert.match(reason(g, 'e'), /'inner' \(Sequential\) is a nested model/);
    assert.match(reason(g, 'inner'), /^nested model: its layers are not analysed here/);
    assert.deepEqual(prunableNames(g), ['c']);
    // A nested model counts its own params and FLOPs.
    const s = summarizeModel(m);
    assert.equal(s.totalParams, m.countParams());
    assert.equal(s.layers.find((l) => l.name === 'inner')?.flops, 4 * 4 * 4 * 16);
  });

  it('ignores calls made by other models, e.g. heads built on the network tensors', () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'in' });
    const a = conv(input, 4, 'a');
    const m = tf.model({ inputs: input, outputs: head(conv(a, 4, 'b')) });
    const auxHead = ap(tf.layers.dense({ units: 3, name: 'aux' }), ap(tf.layers.globalAveragePooling2d({ name: 'aux_pool' }), a));
    const withHead = tf.model({ inputs: input, outputs: [m.outputs[0], auxHead] });
    assert.deepEqual(prunableNames(analyzeGraph(m)), ['b']);
    // Inside a model that outputs the head too, 'a' has a second reader.
    assert.match(reason(analyzeGraph(withHead), 'b'), /^shared channels: 'a' also feeds 'aux_pool'/);
  });

  it('names unsupported convolution kinds', () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'in' });
    const sep = ap(tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'sep' }), input);
    const up = ap(tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, name: 'up' }), sep);
    const c = conv(up, 4, 'c');
    const hidden = ap(tf.layers.dense({ units: 8, name: 'hidden' }), ap(tf.layers.globalAveragePooling2d({ name: 'gap' }), c));
    const m = tf.model({ inputs: input, outputs: ap(tf.layers.dense({ units: 3, name: 'out' }), hidden) });
    const g = analyzeGraph(m);
    assert.match(reason(g, 'sep'), /^separable convolution/);
    assert.match(reason(g, 'up'), /^transposed convolution/);
    assert.match(reason(g, 'c'), /DCP cannot follow channels through 'up' \(Conv2DTranspose\)/);
    assert.match(reason(g, 'hidden'), /^dense layer: DCP selects input channels of convolutions only/);
    assert.match(reason(g, 'out'), /^classifier/);
    const rows = new Map(summarizeModel(m).layers.map((l) => [l.name, l.flops]));
    assert.equal(rows.get('sep'), (9 * 3 + 3 * 4) * 64);
    assert.equal(rows.get('up'), 4 * 4 * 4 * 64);
  });
});
