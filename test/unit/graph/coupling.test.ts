/**
 * The coupling the summary reports for the panel's graph view: what a prunable conv removes with its input channels,
 * which layers are the producers of whom, concat slices, depthwise pairs and residual width groups.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { summarizeModel } from '../../../server/dcp/graph/graph';
import type { ModelSummary } from '../../../protocol/model';
import { buildInception } from '../../fixtures/models/inception';
import { buildMobileNetV1 } from '../../fixtures/models/mobilenet';
import { buildResNet } from '../../fixtures/models/resnet';
import { buildVgg } from '../../fixtures/models/plain';
import { useCpu } from './helpers';

const layer = (s: ModelSummary, name: string) => {
  const l = s.layers.find((x) => x.name === name);
  assert.ok(l, `no layer ${name}`);
  return l;
};

describe('layer coupling in the model summary', () => {
  before(useCpu);

  it('ResNet: conv2 removes conv1 filters and its BN; the stage width is one group per resolution', () => {
    const s = summarizeModel(buildResNet());
    assert.deepEqual(layer(s, 's1b1_conv2').coupling?.removesWith?.map((p) => `${p.layer}:${p.kind}`), ['s1b1_conv1:conv-filters', 's1b1_conv1_bn:batchnorm']);
    assert.equal(layer(s, 's1b1_conv1').coupling?.prunedBy, 's1b1_conv2');
    assert.equal(layer(s, 's1b1_conv1_bn').coupling?.prunedBy, 's1b1_conv2');
    // Stage 1: the stem and both blocks' conv2 outputs meet in Adds; stage 2 (after the stride-2 shortcut) is another.
    const g = (n: string) => layer(s, n).coupling?.widthGroup;
    assert.equal(typeof g('conv1'), 'number');
    assert.equal(g('conv1'), g('s1b1_conv2'));
    assert.equal(g('s1b1_conv2'), g('s1b2_conv2'));
    assert.equal(g('s1b1_add'), g('s1b2_add'));
    assert.equal(g('s2b1_sc'), g('s2b1_conv2'));
    assert.notEqual(g('s1b1_conv2'), g('s2b1_conv2'));
    // The inner conv's output is not part of any residual width.
    assert.equal(g('s1b1_conv1'), undefined);
  });

  it('a plain stack has producers but no width groups', () => {
    const s = summarizeModel(buildVgg());
    assert.ok(s.layers.every((l) => l.coupling?.widthGroup === undefined));
    for (const p of s.prunable) assert.ok((layer(s, p).coupling?.removesWith?.length ?? 0) > 0, p);
  });

  it('concat slices carry their offsets; depthwise convs are paired with their pointwise conv', () => {
    const inc = summarizeModel(buildInception());
    const sliced = inc.layers.find((l) => (l.coupling?.removesWith ?? []).some((p) => p.offset > 0));
    assert.ok(sliced, 'no prunable conv reads a concatenation');
    const offsets = sliced.coupling!.removesWith!.filter((p) => p.kind === 'conv-filters').map((p) => p.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    assert.equal(offsets[0], 0);
    const mob = summarizeModel(buildMobileNetV1());
    const pw = mob.layers.find((l) => (l.coupling?.removesWith ?? []).some((p) => p.kind === 'depthwise'));
    assert.ok(pw, 'no pointwise conv removes depthwise channels');
    const dw = pw.coupling!.removesWith!.find((p) => p.kind === 'depthwise')!;
    assert.equal(layer(mob, dw.layer).coupling?.prunedBy, pw.name);
  });
});
