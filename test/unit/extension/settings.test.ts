import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  describeSettingErrors, outputDirFromSettings, resolveDataset, runConfigFromSettings, runsDirFromSettings, serverExecArgv, settingKeyOf,
} from '../../../extension/settings';
import { RUN_SETTINGS, RUN_SETTING_KEYS } from '../../../protocol/settings';

const reader = (values: Record<string, unknown>) => (key: string): unknown => values[key];
const ws = path.resolve('/ws');

test('unset settings leave the run config empty, so the server defaults apply', () => {
  assert.deepEqual(runConfigFromSettings(reader({}), ws), { config: {}, errors: [] });
});

test('settings map onto RunConfig fields', () => {
  const { config, errors } = runConfigFromSettings(reader({
    method: 'dkp', rate: 0.3, lambda: 2, stop: 'adaptive', heads: 2, selectionSamples: 64,
    finetuneEpochs: 0, headEpochs: 1, backend: 'wasm', maxTrainSamples: 500, stageFinetune: false, dataset: 'mnist',
    headTraining: 'joint', headLearningRate: 0.05, score: 'paper',
  }), ws);
  assert.deepEqual(config, {
    method: 'dkp', rate: 0.3, lambda: 2, stop: 'adaptive', heads: 2, selectionSamples: 64,
    finetuneEpochs: 0, headEpochs: 1, backend: 'wasm', maxTrainSamples: 500, stageFinetune: false, data: 'mnist',
    headTraining: 'joint', headLearningRate: 0.05, score: 'paper',
  });
  assert.deepEqual(errors, []);
});

test('every run setting is read under its table key, and only run settings are', () => {
  const asked: string[] = [];
  runConfigFromSettings((key) => { asked.push(key); return undefined; }, ws);
  assert.deepEqual(asked, RUN_SETTING_KEYS.map((k) => RUN_SETTINGS[k].setting));
  // A setting the table declares is forwarded, with no list of names here to forget it in.
  assert.deepEqual(runConfigFromSettings(reader({ kernelsPerStep: 8, selectionLearningRate: 0.02 }), ws).config, { kernelsPerStep: 8, selectionLearningRate: 0.02 });
});

test('a bad setting value is an error naming dcp.<key> and what it expects, and is not forwarded', () => {
  const { config, errors } = runConfigFromSettings(reader({ headLearningRate: 50, rate: 0.3 }), ws);
  assert.deepEqual(config, { rate: 0.3 });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].message, 'dcp.headLearningRate must be a number in [0, 10] (got 50)');
  assert.equal(settingKeyOf(errors[0]), 'dcp.headLearningRate');
  const dataset = runConfigFromSettings(reader({ dataset: '  ' }), ws).errors;
  assert.match(dataset[0].message, /^dcp\.dataset must be a non-empty string/, 'the setting key, not the field name `data`');
  assert.equal(settingKeyOf(dataset[0]), 'dcp.dataset');
});

test('values of the wrong type or outside the enums are reported, one error each, and not forwarded', () => {
  const { config, errors } = runConfigFromSettings(reader({ method: 'magic', rate: '0.5', backend: 42, seed: Number.NaN, stageFinetune: 'false' }), ws);
  assert.deepEqual(config, {});
  assert.deepEqual(errors.map((e) => e.message), [
    'dcp.method must be one of dcp, dkp, random, l1, recon, disc (got "magic")',
    'dcp.rate must be a number in [0, 1) (got "0.5")',
    'dcp.stageFinetune must be true or false (got "false")',
    'dcp.seed must be an integer in [0, 4294967295] (got NaN)',
    'dcp.backend must be one of auto, node, wasm, cpu (got 42)',
  ]);
  assert.match(describeSettingErrors(errors), /^no run started: 5 invalid settings\. dcp\.method must be one of .*; dcp\.rate must be/);
  assert.equal(describeSettingErrors(errors.slice(0, 1)), 'no run started: an invalid setting. dcp.method must be one of dcp, dkp, random, l1, recon, disc (got "magic").');
});

test('heads: null (choose from depth) is a valid value and forwarded as such', () => {
  assert.deepEqual(runConfigFromSettings(reader({ heads: null }), ws), { config: { heads: null }, errors: [] });
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
