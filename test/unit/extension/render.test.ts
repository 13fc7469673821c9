import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ModelStats, ModelSummary, PruneMethod, RunReport } from '../../../protocol/model';
import { COMPARE_COLUMNS } from '../../../protocol/compare';
import { resolveRunConfig } from '../../../protocol/settings-validate';
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

test('comparison has the CLI table\'s columns, ± over seeds, and a line for each run that did not finish', () => {
  const stats = (params: number, flops: number, accuracy: number): ModelStats => ({ params, flops, accuracy, latencyMs1: null, latencyMsBatch: null, latencyBatch: 32 });
  const report = (method: PruneMethod, seed: number, sel: number, ft: number): RunReport => ({
    schema: 'dcp-report/1', config: resolveRunConfig({ method, seed }), before: stats(20_000, 400_000, 0.99),
    afterSelection: stats(9_000, 150_000, sel), after: stats(9_000, 150_000, ft), seconds: 30,
  }) as unknown as RunReport;
  const md = compareMarkdown('vgg', [
    { method: 'dcp', status: 'finished', report: report('dcp', 1, 0.95, 0.98) },
    { method: 'random', status: 'finished', report: report('random', 1, 0.8, 0.97) },
    { method: 'random', status: 'finished', report: report('random', 2, 0.9, 0.97) },
    { method: 'l1', status: 'cancelled', report: null },
  ]);
  assert.ok(md.includes(`| ${COMPARE_COLUMNS.join(' | ')} |`), md);
  assert.match(md, /\| \(unpruned\) \|  \| 20\.0 k \| 400\.0 k \| 99\.00% \|/);
  assert.match(md, /\| dcp \| 1 \| 9\.0 k \| 150\.0 k \| 95\.00% \| 98\.00% \| 30 s \|/);
  assert.match(md, /\| random \| 2 \| 9\.0 k \| 150\.0 k \| 85\.00% ± 7\.07 \| 97\.00% \| 30 s \|/);
  assert.match(md, /mean ± sample standard deviation/);
  assert.match(md, /- l1: cancelled/);
  assert.match(compareMarkdown('vgg', [{ method: 'l1', status: 'failed', report: null }]), /No run finished\.[\s\S]*- l1: failed/);
});
