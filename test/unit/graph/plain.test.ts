import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { analyzeGraph, summarizeModel } from '../../../server/dcp/graph/graph';
import { buildVgg } from '../../fixtures/models/plain';
import { blocks, producers, prunableConv, prunableNames, reason, useCpu } from './helpers';

describe('plain VGG-style stack (Sequential)', () => {
  before(useCpu);

  it('prunes every conv but the stem, with the previous conv filters and BN', () => {
    const g = analyzeGraph(buildVgg());
    assert.deepEqual(prunableNames(g), ['conv2', 'conv3', 'conv4']);
    assert.deepEqual(producers(g, 'conv2'), ['conv1:conv-filters@0+8', 'bn1:batchnorm@0+8']);
    assert.deepEqual(producers(g, 'conv3'), ['conv2:conv-filters@0+8', 'bn2:batchnorm@0+8']);
    assert.deepEqual(producers(g, 'conv4'), ['conv3:conv-filters@0+16', 'bn3:batchnorm@0+16']);
    // ReLU, max pooling and dropout pass channels through; they only need rebuilding with the new width.
    assert.deepEqual(prunableConv(g, 'conv3').through, ['relu2', 'pool2']);
    assert.deepEqual(prunableConv(g, 'conv4').through, ['relu3', 'drop3']);
    assert.equal(prunableConv(g, 'conv3').inChannels, 8);
    assert.equal(prunableConv(g, 'conv3').outChannels, 16);
  });

  it('gives readable reasons for the stem, the Dense after Flatten and the classifier', () => {
    const g = analyzeGraph(buildVgg());
    assert.match(reason(g, 'conv1'), /^stem convolution: its input channels are the image channels/);
    assert.match(reason(g, 'fc1'), /after Flatten: each of the 16 channels of 'pool4' feeds 16 rows/);
    assert.match(reason(g, 'fc2'), /^classifier/);
  });

  it('has one block per prunable conv, ending after its BN, ReLU and pooling', () => {
    const g = analyzeGraph(buildVgg());
    assert.deepEqual(blocks(g), ['0:plain:pool2[conv2]', '1:plain:drop3[conv3]', '2:plain:pool4[conv4]']);
    assert.deepEqual(g.prunable.map((p) => [p.index, p.block]), [[0, 0], [1, 1], [2, 2]]);
    // A Sequential's input layer is not in model.layers, but the graph names it.
    assert.equal(g.inputs.length, 1);
    assert.equal(g.order[0], g.inputs[0]);
    assert.deepEqual(g.layers.conv1.inputs, g.inputs);
  });

  it('counts params like TF.js and conv FLOPs as kh·kw·cin·cout·Ho·Wo', () => {
    const m = buildVgg();
    const s = summarizeModel(m);
    assert.equal(s.totalParams, m.countParams());
    const row = (n: string) => s.layers.find((l) => l.name === n);
    assert.equal(row('conv1')?.flops, 3 * 3 * 3 * 8 * 16 * 16);
    assert.equal(row('conv3')?.flops, 3 * 3 * 8 * 16 * 8 * 8);
    // Dilation changes the receptive field, not the multiply-adds.
    assert.equal(row('conv4')?.flops, 3 * 3 * 16 * 16 * 8 * 8);
    assert.equal(row('fc1')?.flops, 4 * 4 * 16 * 32);
    assert.equal(row('bn1')?.flops, 0);
    assert.equal(row('conv2')?.params, 3 * 3 * 8 * 8 + 8);
    assert.deepEqual(row('pool2')?.outputShape, [8, 8, 8]);
    assert.deepEqual(row('conv2')?.inboundLayers, ['relu1']);
    assert.deepEqual([row('conv3')?.prunable, row('conv3')?.inChannels, row('conv3')?.outChannels], [true, 8, 16]);
    assert.equal(row('conv1')?.prunable, false);
    assert.equal(s.totalFlops, s.layers.reduce((a, l) => a + l.flops, 0));
    assert.equal(s.numClasses, 10);
    assert.deepEqual(s.inputShape, [16, 16, 3]);
    assert.deepEqual(s.prunable, ['conv2', 'conv3', 'conv4']);
    assert.equal(s.name, 'vgg_tiny');
    assert.ok(!s.layers.some((l) => l.className === 'InputLayer'));
  });
});
