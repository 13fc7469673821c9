/**
 * Layer sensitivity on a tiny real model: one point per layer and rate with losses, accuracy and FLOPs; the prefix
 * claim (the channels kept at rate 0.5 are those of a real run pruning only that layer at 0.5), also for a conv
 * reading a Concatenate; the result file; no tensor leaks, also when cancelled.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent, RunReport } from '../../../protocol/model';
import { parseSensitivityResult, type SensitivityEvent, type SensitivityResult } from '../../../protocol/sensitivity';
import { runPruning } from '../../../server/dcp/run/engine';
import { runSensitivity } from '../../../server/dcp/sensitivity/engine';
import { saveLayersModel } from '../../../server/io/model-files';
import { initBackend } from '../../../server/tfjs/backend';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';
import { buildInceptionLike } from '../../fixtures/models/build';

const TINY: Partial<RunConfig> = { data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, headEpochs: 1, finetuneEpochs: 0, stageFinetune: false, batchSize: 32, backend: 'wasm' };
const RATES = [0.25, 0.5, 0.75];

let dir = '';
let modelPath = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-sens-'));
  const model = tinyPlain();
  modelPath = await saveLayersModel(model, path.join(dir, 'plain'));
  model.dispose();
});

async function collect(gen: AsyncGenerator<SensitivityEvent>, onEvent?: (e: SensitivityEvent) => void): Promise<SensitivityEvent[]> {
  const out: SensitivityEvent[] = [];
  for await (const e of gen) {
    out.push(e);
    onEvent?.(e);
  }
  return out;
}

describe('layer sensitivity', () => {
  let result: SensitivityResult;

  test('measures every prunable layer at every rate, writes the result, leaks nothing', async () => {
    const tensors = tf.memory().numTensors;
    const outFile = path.join(dir, 'sensitivity.json');
    const events = await collect(runSensitivity(TINY, { modelPath, rates: RATES, target: { flopsReduction: 1.3 }, outFile }));
    const end = events.at(-1)!;
    assert.equal(end.type, 'sensitivityDone', JSON.stringify(end));
    result = (end as { result: SensitivityResult }).result;
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
    const started = events.find((e) => e.type === 'sensitivityStarted');
    assert.ok(started && started.type === 'sensitivityStarted');
    assert.ok(started.layers.length >= 2);
    assert.equal(result.layers.length, started.layers.length);
    assert.equal(events.filter((e) => e.type === 'sensitivityPoint').length, started.layers.length * RATES.length);
    for (const l of result.layers) {
      assert.deepEqual(l.points.map((p) => p.rate), RATES);
      for (const p of l.points) {
        assert.equal(p.keep, l.inChannels - Math.floor(p.rate * l.inChannels), `${l.layer} @${p.rate}`);
        assert.equal(p.kept.length, p.keep);
        assert.ok(Number.isFinite(p.jointLoss) && p.jointLoss >= p.reconLoss - 1e-9, `${l.layer}: L = L_M + λ·L_S`);
        assert.ok(p.flopsSaved > 0);
        assert.ok(Math.abs(p.accuracyDrop - (result.baseAccuracy - p.accuracy)) < 1e-12);
        assert.ok(p.exact, 'no concat: every snapshot is exact');
      }
      // Greedy adds channels: each larger rate's kept set is inside the smaller rate's, and saves more FLOPs.
      for (let i = 1; i < l.points.length; i++) {
        const bigger = new Set(l.points[i - 1].kept);
        assert.ok(l.points[i].kept.every((k) => bigger.has(k)), `${l.layer}: rate ${RATES[i]} ⊂ rate ${RATES[i - 1]}`);
        assert.ok(l.points[i].flopsSaved > l.points[i - 1].flopsSaved);
        assert.ok(l.points[i].reconLoss >= l.points[i - 1].reconLoss - 1e-6, `${l.layer}: fewer channels reconstruct worse`);
      }
    }
    const onDisk = parseSensitivityResult(JSON.parse(await fs.readFile(outFile, 'utf8')));
    assert.equal(onDisk.layers.length, result.layers.length);
    assert.ok(result.suggestion?.feasible, result.suggestion?.message);
    assert.ok(result.suggestion.reduction >= 1.3);
  });

  test('the prefix claim: rate 0.5 keeps what a real single-layer run at 0.5 keeps', async () => {
    assert.ok(result, 'needs the first test');
    for (const curve of result.layers) {
      const point = curve.points.find((p) => p.rate === 0.5)!;
      const others = Object.fromEntries(result.layers.filter((l) => l.layer !== curve.layer).map((l) => [l.layer, { prune: false as const }]));
      const recipe = path.join(dir, `${curve.layer}.dcp-recipe.json`);
      await fs.writeFile(recipe, JSON.stringify({ version: 1, layers: { [curve.layer]: { rate: 0.5 }, ...others } }));
      const events: RunEvent[] = [];
      for await (const e of runPruning({ ...TINY, rate: 0.5, stop: 'rate', recipe }, { modelPath, outDir: path.join(dir, `out-${curve.layer}`) })) events.push(e);
      const end = events.at(-1)!;
      assert.equal(end.type, 'runFinished', JSON.stringify(end));
      const layer = (end as { report: RunReport }).report.layers.find((l) => l.layer === curve.layer)!;
      assert.deepEqual(point.kept, layer.kept, `${curve.layer}: kept channels`);
      assert.ok(Math.abs(point.reconLoss - layer.lossM) <= 1e-6 * Math.max(1, layer.lossM), `${curve.layer}: L_M ${point.reconLoss} vs ${layer.lossM}`);
      assert.ok(Math.abs(point.discLoss - layer.lossS) <= 1e-6 * Math.max(1, layer.lossS), `${curve.layer}: L_S ${point.discLoss} vs ${layer.lossS}`);
    }
  });

  test('cancelling mid-analysis ends in sensitivityCancelled and leaks nothing', async () => {
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    const events = await collect(runSensitivity(TINY, { modelPath, rates: RATES, target: null, signal: controller.signal }), (e) => {
      if (e.type === 'sensitivityPoint') controller.abort();
    });
    assert.equal(events.at(-1)!.type, 'sensitivityCancelled');
    assert.equal(events.filter((e) => e.type === 'sensitivityPoint').length, 1);
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  });

  test('a bad method or rate fails with a clear message', async () => {
    const [bad] = await collect(runSensitivity({ ...TINY, method: 'l1' }, { modelPath, rates: RATES, target: null }));
    assert.equal(bad.type, 'sensitivityFailed');
    assert.match((bad as { message: string }).message, /method must be dcp, recon or disc/);
    const [rate] = await collect(runSensitivity(TINY, { modelPath, rates: [1.5], target: null }));
    assert.match((rate as { message: string }).message, /rates must be in \(0, 1\)/);
  });

  test('a conv reading a Concatenate keeps at every rate what a real run at that rate keeps', async () => {
    const model = buildInceptionLike({ alpha: 0.25 });
    const path2 = await saveLayersModel(model, path.join(dir, 'inception'));
    model.dispose();
    const rates = [0.3, 0.7];
    const tensors = tf.memory().numTensors;
    const events = await collect(runSensitivity(TINY, { modelPath: path2, rates, target: null }));
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked (with a re-selection)');
    const end = events.at(-1)!;
    assert.equal(end.type, 'sensitivityDone', JSON.stringify(end));
    const res = (end as { result: SensitivityResult }).result;
    const curve = res.layers.find((l) => l.layer === 'mixed0_mix');
    assert.ok(curve, `mixed0_mix is analysed (${res.layers.map((l) => l.layer).join(', ')})`);
    for (const point of curve.points) {
      const others = Object.fromEntries(res.layers.filter((l) => l.layer !== curve.layer).map((l) => [l.layer, { prune: false as const }]));
      const recipe = path.join(dir, `inception-${point.rate}.dcp-recipe.json`);
      await fs.writeFile(recipe, JSON.stringify({ version: 1, layers: { [curve.layer]: { rate: point.rate }, ...others } }));
      const runEvents: RunEvent[] = [];
      for await (const e of runPruning({ ...TINY, rate: point.rate, stop: 'rate', recipe }, { modelPath: path2, outDir: path.join(dir, `inc-out-${point.rate}`) })) runEvents.push(e);
      const last = runEvents.at(-1)!;
      assert.equal(last.type, 'runFinished', JSON.stringify(last));
      const real: RunReport['layers'][number] = (last as { report: RunReport }).report.layers.find((l) => l.layer === curve.layer)!;
      // At 0.7 the prefix of the 0.3 run leaves a branch empty (seen before the re-selection existed): it is re-selected.
      assert.ok(point.exact, `rate ${point.rate}`);
      assert.deepEqual(point.kept, real.kept, `rate ${point.rate}: the real run's channels`);
    }
  });
});
