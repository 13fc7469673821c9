import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { outputDirFromSettings, resolveDataset, runConfigFromSettings, runsDirFromSettings, serverExecArgv } from '../../../extension/settings';

const reader = (values: Record<string, unknown>) => (key: string): unknown => values[key];
const ws = path.resolve('/ws');

test('unset settings leave the run config empty, so the server defaults apply', () => {
  assert.deepEqual(runConfigFromSettings(reader({}), ws), {});
});

test('settings map onto RunConfig fields', () => {
  const config = runConfigFromSettings(reader({
    method: 'dkp', rate: 0.3, lambda: 2, stop: 'adaptive', heads: 2, selectionSamples: 64,
    finetuneEpochs: 0, headEpochs: 1, backend: 'wasm', maxTrainSamples: 500, stageFinetune: false, dataset: 'mnist',
    headTraining: 'joint', headLearningRate: 0.05, score: 'paper',
  }), ws);
  assert.deepEqual(config, {
    method: 'dkp', rate: 0.3, lambda: 2, stop: 'adaptive', heads: 2, selectionSamples: 64,
    finetuneEpochs: 0, headEpochs: 1, backend: 'wasm', maxTrainSamples: 500, stageFinetune: false, data: 'mnist',
    headTraining: 'joint', headLearningRate: 0.05, score: 'paper',
  });
});

test('values of the wrong type or outside the enums are dropped, not forwarded', () => {
  const config = runConfigFromSettings(reader({ method: 'magic', rate: '0.5', heads: null, backend: 42, seed: Number.NaN }), ws);
  assert.deepEqual(config, {});
});

test('dataset paths resolve against the workspace folder', () => {
  assert.equal(resolveDataset('mnist', ws), 'mnist');
  assert.equal(resolveDataset('folder:data/cifar', ws), `folder:${path.join(ws, 'data/cifar')}`);
  assert.equal(resolveDataset('npz:/abs/x.npz', ws), 'npz:/abs/x.npz');
  assert.equal(resolveDataset('data/x.npz', ws), path.join(ws, 'data/x.npz'));
  assert.equal(resolveDataset('data/x.npz', undefined), 'data/x.npz');
});

test('output folder: per-run sub-folder under the setting, or the server default', () => {
  const now = new Date(Date.UTC(2026, 10, 21, 9, 5, 7));
  const model = path.join(ws, 'examples', 'vgg', 'model.json');
  assert.equal(outputDirFromSettings(reader({}), ws, model, 'dcp', now), undefined);
  assert.equal(outputDirFromSettings(reader({ outputFolder: 'pruned' }), ws, model, 'l1', now), path.join(ws, 'pruned', 'vgg-l1-20261121-090507'));
});

test('memory cap becomes a Node heap flag; 0 means the default', () => {
  assert.deepEqual(serverExecArgv(reader({ memoryCapMB: 4096 })), ['--max-old-space-size=4096']);
  assert.deepEqual(serverExecArgv(reader({ memoryCapMB: 0 })), []);
  assert.deepEqual(serverExecArgv(reader({})), []);
});

test('runs folder is absolute or unset', () => {
  assert.equal(runsDirFromSettings(reader({ runsFolder: 'runs' }), ws), path.join(ws, 'runs'));
  assert.equal(runsDirFromSettings(reader({ runsFolder: '' }), ws), undefined);
  assert.equal(runsDirFromSettings(reader({ runsFolder: 'runs' }), undefined), undefined);
});
