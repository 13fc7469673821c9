import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { analyzeGraph, defaultHeads, summarizeModel } from '../../../server/dcp/graph/graph';
import { buildResNet } from '../../fixtures/models/resnet';
import { buildBottleneckResNet, buildPreActResNet } from '../../fixtures/models/resnet-variants';
import { blocks, producers, prunableConv, prunableNames, reason, useCpu } from './helpers';

describe('ResNet with basic blocks', () => {
  before(useCpu);

  it('prunes conv2 of each block, removing conv1 filters and bn1', () => {
    const g = analyzeGraph(buildResNet());
    assert.deepEqual(prunableNames(g), ['s1b1_conv2', 's1b2_conv2', 's2b1_conv2', 's2b2_conv2']);
    assert.deepEqual(producers(g, 's1b1_conv2'), ['s1b1_conv1:conv-filters@0+8', 's1b1_conv1_bn:batchnorm@0+8']);
    assert.deepEqual(producers(g, 's2b1_conv2'), ['s2b1_conv1:conv-filters@0+16', 's2b1_conv1_bn:batchnorm@0+16']);
    assert.deepEqual(prunableConv(g, 's2b1_conv2').through, ['s2b1_conv1_relu']);
  });

  it('never prunes the stem, the residual width or the shortcut convs', () => {
    const g = analyzeGraph(buildResNet());
    assert.match(reason(g, 'conv1'), /^stem convolution/);
    for (const c of ['s1b1_conv1', 's1b2_conv1', 's2b1_conv1', 's2b2_conv1']) assert.match(reason(g, c), /^residual width/);
    assert.match(reason(g, 's1b2_conv1'), /'s1b1_out' also feeds the residual Add 's1b2_add'/);
    // The first block of stage 2 reads the previous output, which also goes to the 1×1 shortcut conv.
    assert.match(reason(g, 's2b1_conv1'), /residual Add 's2b1_add'/);
    assert.match(reason(g, 's2b1_sc'), /^shortcut convolution: .*'s2b1_add'/);
    assert.match(reason(g, 'predictions'), /^classifier/);
  });

  it('has one block per residual Add, ending at the ReLU after it', () => {
    const g = analyzeGraph(buildResNet());
    assert.deepEqual(blocks(g), [
      '0:residual:s1b1_out[s1b1_conv2]', '1:residual:s1b2_out[s1b2_conv2]',
      '2:residual:s2b1_out[s2b1_conv2]', '3:residual:s2b2_out[s2b2_conv2]',
    ]);
    // Block 2 holds the whole stride-2 block, shortcut included.
    for (const l of ['s2b1_conv1', 's2b1_sc', 's2b1_sc_bn', 's2b1_add', 's2b1_out']) assert.ok(g.blocks[2].layers.includes(l), l);
    assert.equal(defaultHeads(g), 0, 'four blocks: the classifier is close enough');
  });

  it('uses 3 heads by default from 12 residual blocks on', () => {
    const g = analyzeGraph(buildResNet({ stages: 3, blocksPerStage: 4, width: 4, size: 8 }));
    assert.equal(g.blocks.length, 12);
    assert.equal(g.prunable.length, 12);
    assert.equal(defaultHeads(g), 3);
  });

  it('params equal countParams', () => {
    const m = buildResNet();
    assert.equal(summarizeModel(m).totalParams, m.countParams());
  });
});

describe('pre-activation ResNet', () => {
  before(useCpu);

  it('prunes conv2, removing conv1 filters and bn2', () => {
    const g = analyzeGraph(buildPreActResNet());
    assert.deepEqual(prunableNames(g), ['p1_conv2', 'p2_conv2']);
    assert.deepEqual(producers(g, 'p1_conv2'), ['p1_conv1:conv-filters@0+8', 'p1_bn2:batchnorm@0+8']);
    assert.deepEqual(producers(g, 'p2_conv2'), ['p2_conv1:conv-filters@0+16', 'p2_bn2:batchnorm@0+16']);
  });

  it('keeps conv1 (residual width, also through bn1-relu1) and the shortcut', () => {
    const g = analyzeGraph(buildPreActResNet());
    assert.match(reason(g, 'p1_conv1'), /^residual width: its input 'conv1' also feeds the residual Add 'p1_add'/);
    assert.match(reason(g, 'p2_conv1'), /^residual width: its input 'p2_relu1'/);
    assert.match(reason(g, 'p2_sc'), /^shortcut convolution/);
  });

  it('ends blocks at the Add: the BN after it belongs to the next block', () => {
    const g = analyzeGraph(buildPreActResNet());
    assert.deepEqual(blocks(g), ['0:residual:p1_add[p1_conv2]', '1:residual:p2_add[p2_conv2]']);
  });
});

describe('bottleneck ResNet', () => {
  before(useCpu);

  it('prunes conv2 (conv1 + bn1) and conv3 (conv2 + bn2) of each block', () => {
    const g = analyzeGraph(buildBottleneckResNet());
    assert.deepEqual(prunableNames(g), ['n1_conv2', 'n1_conv3', 'n2_conv2', 'n2_conv3']);
    assert.deepEqual(producers(g, 'n1_conv2'), ['n1_conv1:conv-filters@0+4', 'n1_bn1:batchnorm@0+4']);
    assert.deepEqual(producers(g, 'n1_conv3'), ['n1_conv2:conv-filters@0+4', 'n1_bn2:batchnorm@0+4']);
    assert.match(reason(g, 'n1_conv1'), /^residual width/);
    assert.match(reason(g, 'n2_conv1'), /^residual width/);
    assert.match(reason(g, 'n1_sc'), /^shortcut convolution/);
    assert.deepEqual(blocks(g), ['0:residual:n1_out[n1_conv2,n1_conv3]', '1:residual:n2_out[n2_conv2,n2_conv3]']);
  });
});
