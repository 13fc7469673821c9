import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { analyzeGraph, producerChannels, summarizeModel } from '../../../server/dcp/graph/graph';
import { buildInception } from '../../fixtures/models/inception';
import { loadKerasFixture } from '../../fixtures/models/keras';
import { blocks, producers, prunableConv, prunableNames, reason, useCpu } from './helpers';

describe('Inception-style blocks with Concatenate', () => {
  before(useCpu);

  it('prunes branch convs after a reduction conv, and the conv reading the concat slice by slice', () => {
    const g = analyzeGraph(buildInception());
    assert.deepEqual(prunableNames(g), ['b2b', 'b3b', 'after0', 'r2b']);
    assert.deepEqual(producers(g, 'b2b'), ['b2a:conv-filters@0+4', 'b2a_bn:batchnorm@0+4']);
    // mixed0 = [b1 (4) | b2b (6) | b3b (4) | b4 (2)]: each slice maps to its branch's last conv and BN.
    assert.deepEqual(producers(g, 'after0'), [
      'b1:conv-filters@0+4', 'b1_bn:batchnorm@0+4', 'b2b:conv-filters@4+6', 'b2b_bn:batchnorm@4+6',
      'b3b:conv-filters@10+4', 'b3b_bn:batchnorm@10+4', 'b4:conv-filters@14+2', 'b4_bn:batchnorm@14+2',
    ]);
    assert.equal(prunableConv(g, 'after0').inChannels, 16);
    assert.deepEqual(prunableConv(g, 'after0').through, ['b1_relu', 'b2b_relu', 'b3b_relu', 'b4_relu', 'mixed0']);
  });

  it('refuses convs whose input is shared, and a concat slice that comes from a shared tensor', () => {
    const g = analyzeGraph(buildInception());
    for (const c of ['b1', 'b2a', 'b3a']) assert.match(reason(g, c), /^shared channels: 'conv1_relu' also feeds /);
    // b4 reads an average pool of the shared stem output: the pool passes the sharing through.
    assert.match(reason(g, 'b4'), /^shared channels: 'conv1_relu'/);
    assert.match(reason(g, 'after1'), /^concatenated channels 14-25 come from 'r_pool' through 'mixed1': shared channels: 'after0_relu'/);
  });

  it('maps kept consumer channels to each producer through the offsets', () => {
    const g = analyzeGraph(buildInception());
    const [b1, , b2b, , b3b, , b4] = prunableConv(g, 'after0').producers;
    const kept = [0, 3, 4, 9, 12, 15];
    assert.deepEqual(producerChannels(b1, kept), [0, 3]);
    assert.deepEqual(producerChannels(b2b, kept), [0, 5]);
    assert.deepEqual(producerChannels(b3b, kept), [2]);
    assert.deepEqual(producerChannels(b4, kept), [1]);
  });

  it('groups the branches of a block into one block ending at the concat', () => {
    const g = analyzeGraph(buildInception());
    assert.deepEqual(blocks(g), ['0:plain:mixed0[b2b,b3b]', '1:plain:after0_relu[after0]', '2:plain:mixed1[r2b]']);
  });
});

describe('Keras-converted Inception-style model.json (BatchNorm without gamma, axis 3)', () => {
  before(useCpu);

  it('finds the prunable convs and concat slices', async () => {
    const m = await loadKerasFixture('inception-tiny');
    const g = analyzeGraph(m);
    assert.deepEqual(prunableNames(g), ['conv2d_3', 'conv2d_5']);
    assert.deepEqual(producers(g, 'conv2d_3'), ['conv2d_2:conv-filters@0+3', 'batch_normalization_2:batchnorm@0+3']);
    assert.deepEqual(producers(g, 'conv2d_5'), [
      'conv2d_1:conv-filters@0+4', 'batch_normalization_1:batchnorm@0+4', 'conv2d_3:conv-filters@4+4',
      'batch_normalization_3:batchnorm@4+4', 'conv2d_4:conv-filters@8+2', 'batch_normalization_4:batchnorm@8+2',
    ]);
    assert.match(reason(g, 'conv2d'), /^stem/);
    assert.match(reason(g, 'conv2d_4'), /^shared channels: 'activation'/);
    const s = summarizeModel(m);
    // By hand: convs 216+32+24+108+16+80, BNs 3·(8+4+3+4+2+8) (no gamma), Dense 8·10+10.
    assert.equal(s.totalParams, 476 + 3 * 29 + 90);
    assert.equal(s.totalParams, m.countParams());
    m.dispose();
  });
});
