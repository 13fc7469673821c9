import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ModelSummary } from '../../../protocol/model';
import { compact, compareMarkdown, inspectMarkdown, reduction } from '../../../extension/render';

test('numbers are compact and reductions signed', () => {
  assert.equal(compact(950), '950');
  assert.equal(compact(12_345), '12.3 k');
  assert.equal(compact(2_500_000), '2.50 M');
  assert.equal(reduction(200, 50), '−75.0%');
  assert.equal(reduction(0, 0), '–');
});

test('inspect table lists convolutions with why they are not prunable, and escapes pipes', () => {
  const summary: ModelSummary = {
    name: 'vgg', inputShape: [28, 28, 1], numClasses: 10, totalParams: 1234, totalFlops: 99999, prunable: ['conv2'],
    layers: [
      { name: 'conv1', className: 'Conv2D', inboundLayers: ['input'], outputShape: [28, 28, 8], params: 80, flops: 56448, prunable: false, reason: 'first conv | input image', inChannels: 1, outChannels: 8 },
      { name: 'conv2', className: 'Conv2D', inboundLayers: ['conv1'], outputShape: [28, 28, 8], params: 584, flops: 451584, prunable: true, inChannels: 8, outChannels: 8 },
      { name: 'flatten', className: 'Flatten', inboundLayers: ['conv2'], outputShape: [6272], params: 0, flops: 0 },
    ],
  };
  const md = inspectMarkdown(summary, 'examples/vgg/model.json');
  assert.match(md, /\*\*1 of 2 convolutions are prunable\.\*\*/);
  assert.match(md, /\| conv1 \| 1 → 8 \| 80 \| 56\.4 k \| no: first conv \\\| input image \|/);
  assert.match(md, /\| flatten \| Flatten \| \[6272\] \| 0 \| conv2 \|/);
});

test('comparison shows rows for runs that did not finish', () => {
  const md = compareMarkdown('vgg', [{ method: 'l1', status: 'cancelled', report: null }]);
  assert.match(md, /\| l1 \| cancelled \| – \|/);
});
