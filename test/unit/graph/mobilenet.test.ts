import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { analyzeGraph, summarizeModel } from '../../../server/dcp/graph/graph';
import { loadKerasFixture } from '../../fixtures/models/keras';
import { buildMobileNetV1, buildMobileNetV2 } from '../../fixtures/models/mobilenet';
import { blocks, producers, prunableConv, prunableNames, reason, useCpu } from './helpers';

/** What DCP-SPEC §5 says of a depthwise-separable block k: conv_pw_k removes conv_dw_k and the conv before it. */
function separable(prev: string, k: number, c: number): string[] {
  return [`${prev}:conv-filters@0+${c}`, `${prev}_bn:batchnorm@0+${c}`, `conv_dw_${k}:depthwise@0+${c}`, `conv_dw_${k}_bn:batchnorm@0+${c}`];
}

describe('MobileNet v1 style (built like keras.applications.MobileNet)', () => {
  before(useCpu);

  it('prunes every pointwise conv with its depthwise conv and the conv before it', () => {
    const g = analyzeGraph(buildMobileNetV1());
    assert.deepEqual(prunableNames(g), ['conv_pw_1', 'conv_pw_2', 'conv_pw_3', 'conv_pw_4']);
    assert.deepEqual(producers(g, 'conv_pw_1'), separable('conv1', 1, 8));
    assert.deepEqual(producers(g, 'conv_pw_2'), separable('conv_pw_1', 2, 16));
    assert.deepEqual(producers(g, 'conv_pw_4'), separable('conv_pw_3', 4, 32));
    // ZeroPadding2D and ReLU(6) pass channels through.
    assert.deepEqual(prunableConv(g, 'conv_pw_2').through, ['conv_pw_1_relu', 'conv_pad_2', 'conv_dw_2_relu']);
  });

  it('explains the stem, the depthwise convs and the conv_preds classifier', () => {
    const g = analyzeGraph(buildMobileNetV1());
    assert.match(reason(g, 'conv1'), /^stem convolution: its input channels are the image channels \('input_1'\)/);
    assert.match(reason(g, 'conv_dw_3'), /^depthwise convolution: .*pointwise conv 'conv_pw_3'/);
    // GlobalPool → Reshape → Dropout → 1×1 conv → Reshape → softmax: a conv used as the classifier.
    assert.match(reason(g, 'conv_preds'), /^classifier/);
    assert.deepEqual(blocks(g), [
      '0:plain:conv_pw_1_relu[conv_pw_1]', '1:plain:conv_pw_2_relu[conv_pw_2]',
      '2:plain:conv_pw_3_relu[conv_pw_3]', '3:plain:conv_pw_4_relu[conv_pw_4]',
    ]);
  });

  it('counts depthwise FLOPs as kh·kw·cin·Ho·Wo and params like TF.js', () => {
    const m = buildMobileNetV1();
    const s = summarizeModel(m);
    const row = (n: string) => s.layers.find((l) => l.name === n);
    assert.equal(s.totalParams, m.countParams());
    assert.equal(row('conv1')?.flops, 3 * 3 * 3 * 8 * 16 * 16);
    assert.equal(row('conv_dw_2')?.flops, 3 * 3 * 16 * 8 * 8);
    assert.equal(row('conv_pw_2')?.flops, 16 * 32 * 8 * 8);
    assert.equal(row('conv_preds')?.flops, 64 * 10);
    assert.equal(s.numClasses, 10);
  });
});

describe('Keras-converted MobileNet v1 model.json', () => {
  before(useCpu);

  it('finds the same structure under Keras names and axis: [3] BatchNorms', async () => {
    const m = await loadKerasFixture('mobilenet-v1-tiny');
    const g = analyzeGraph(m);
    assert.deepEqual(prunableNames(g), ['conv_pw_1', 'conv_pw_2']);
    assert.deepEqual(producers(g, 'conv_pw_2'), separable('conv_pw_1', 2, 16));
    assert.match(reason(g, 'conv1'), /^stem/);
    assert.match(reason(g, 'conv_preds'), /^classifier/);
    const s = summarizeModel(m, g, 'mobilenet');
    // By hand: conv1 216, BNs 4·(8+8+16+16+32), dw 72 + 144, pw 128 + 512, conv_preds 320 + 10.
    assert.equal(s.totalParams, 216 + 4 * 80 + 72 + 144 + 128 + 512 + 330);
    assert.equal(s.totalParams, m.countParams());
    // conv1 on the padded 17×17 input, stride 2 valid → 8×8; dw_2 on 9×9 padded, stride 2 → 4×4.
    assert.equal(s.totalFlops, 9 * 3 * 8 * 64 + 9 * 8 * 64 + 8 * 16 * 64 + 9 * 16 * 16 + 16 * 32 * 16 + 32 * 10);
    assert.equal(s.name, 'mobilenet');
    m.dispose();
  });
});

describe('MobileNet v2 style inverted residuals', () => {
  before(useCpu);

  it('prunes each projection conv; expansion convs read the residual width', () => {
    const g = analyzeGraph(buildMobileNetV2());
    assert.deepEqual(prunableNames(g), ['block_1_project', 'block_2_project', 'block_3_project', 'block_4_project']);
    assert.deepEqual(producers(g, 'block_3_project'), [
      'block_3_expand:conv-filters@0+16', 'block_3_expand_bn:batchnorm@0+16',
      'block_3_depthwise:depthwise@0+16', 'block_3_depthwise_bn:batchnorm@0+16',
    ]);
    assert.match(reason(g, 'block_2_expand'), /^residual width: its input 'block_1_add'/);
    assert.match(reason(g, 'block_3_expand'), /^residual width: its input comes from the residual Add 'block_2_add'/);
    assert.match(reason(g, 'block_4_expand'), /^residual width: its input 'block_3_project_bn'/);
    // Stride-2 block without an Add still counts as a block.
    assert.deepEqual(blocks(g).map((b) => b.split('[')[0]), ['0:residual:block_1_add', '1:residual:block_2_add', '2:plain:block_3_project_bn', '3:residual:block_4_add']);
  });
});

describe('depthwise convs that cannot be followed', () => {
  before(useCpu);

  it('refuses a depth multiplier above 1', () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'in' });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }).apply(input) as tf.SymbolicTensor;
    const d = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' }).apply(c) as tf.SymbolicTensor;
    const p = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'pw' }).apply(d) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(p) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'fc' }).apply(pooled) as tf.SymbolicTensor;
    const g = analyzeGraph(tf.model({ inputs: input, outputs: out }));
    assert.match(reason(g, 'pw'), /'dw' \(DepthwiseConv2D\) has depth multiplier 2/);
    assert.match(reason(g, 'dw'), /^depthwise convolution: .*no input channels to select/);
  });
});
