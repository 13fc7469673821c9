import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { promises as fs, existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent, RunReport } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { loadLayersModel, saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { tinyPlain, tinyResNet } from '../../fixtures/tiny/tiny-models';

/** A few seconds per run: 128 training digits, 32 for selection, one epoch of each training phase. */
const TINY: Partial<RunConfig> = { data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, headEpochs: 1, finetuneEpochs: 1, batchSize: 32, backend: 'wasm' };

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-engine-'));
});

async function saved(model: tf.LayersModel, name: string): Promise<string> {
  const p = await saveLayersModel(model, path.join(dir, name));
  model.dispose();
  return p;
}

async function collect(config: Partial<RunConfig>, modelPath: string, outDir: string, signal?: AbortSignal, onEvent?: (e: RunEvent) => void): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const e of runPruning(config, { modelPath, outDir, signal })) {
    events.push(e);
    onEvent?.(e);
  }
  return events;
}

async function hashFolder(folder: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of (await fs.readdir(folder)).sort()) h.update(f).update(await fs.readFile(path.join(folder, f)));
  return h.digest('hex');
}

test('a run streams events in order and writes a smaller model that loads, leaving the input untouched', async () => {
  const modelPath = await saved(tinyResNet(), 'res');
  const inputHash = await hashFolder(path.dirname(modelPath));
  const tensorsBefore = tf.memory().numTensors;
  const out = path.join(dir, 'res-out');
  const events = await collect(TINY, modelPath, out);
  const types = events.filter((e) => e.type !== 'trainProgress' && e.type !== 'epochDone').map((e) => e.type);
  assert.equal(types[0], 'runStarted');
  assert.equal(types.at(-1), 'runFinished', JSON.stringify(events.at(-1)));
  assert.ok(types.indexOf('headsTrained') < types.indexOf('stageStarted'));
  assert.ok(types.lastIndexOf('layerDone') < types.indexOf('surgeryDone'));
  // Each layer: selectionStarted, then its iterations, then layerDone.
  const layers = events.filter((e) => e.type === 'layerDone');
  assert.equal(layers.length, 2, 'tinyResNet has two prunable convs');
  for (const l of layers) {
    if (l.type !== 'layerDone') continue;
    assert.equal(l.result.kept.length, 6 - Math.floor(0.5 * 6));
    const its = events.filter((e) => e.type === 'selectionIteration' && e.layer === l.result.layer);
    assert.equal(its.length, l.result.kept.length);
  }
  const report = (events.at(-1) as { report: RunReport }).report;
  assert.equal(report.schema, 'dcp-report/1');
  assert.ok(report.after.params < report.before.params);
  assert.ok(report.after.flops < report.before.flops);
  assert.ok(report.before.latencyMs1! > 0 && report.after.latencyMsBatch! > 0);
  assert.ok(report.selectionCost.referenceEpochEquivalents === 2 * 6);
  // The output loads as a normal Layers model with the params the report claims.
  const pruned = await loadLayersModel(report.model.output!);
  assert.equal(pruned.countParams(), report.after.params);
  const onDisk = JSON.parse(await fs.readFile(path.join(out, 'report.json'), 'utf8')) as RunReport;
  assert.deepEqual(onDisk.layers.map((l) => l.kept), report.layers.map((l) => l.kept));
  pruned.dispose();
  assert.equal(await hashFolder(path.dirname(modelPath)), inputHash, 'input model unchanged');
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no leaked tensors');
});

test('cancelling mid-selection ends with runCancelled and writes nothing', async () => {
  const modelPath = await saved(tinyPlain(), 'plain-cancel');
  const out = path.join(dir, 'cancel-out');
  const controller = new AbortController();
  const tensorsBefore = tf.memory().numTensors;
  const events = await collect(TINY, modelPath, out, controller.signal, (e) => {
    if (e.type === 'selectionIteration') controller.abort();
  });
  assert.equal(events.at(-1)!.type, 'runCancelled');
  assert.ok(!events.some((e) => e.type === 'surgeryDone'));
  assert.ok(!existsSync(out), 'no output folder');
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no leaked tensors after cancel');
});

test('an option out of range fails before any work, naming the option', async () => {
  const events = await collect({ ...TINY, rate: 1.2 }, '/nonexistent/model.json', path.join(dir, 'x'));
  assert.equal(events.length, 1);
  assert.equal(events[0].type, 'runFailed');
  assert.match((events[0] as { message: string }).message, /rate must be a number in \[0, 1\) \(got 1.2\)/);
  const neg = await collect({ ...TINY, finetuneEpochs: -1 }, '/nonexistent/model.json', path.join(dir, 'x'));
  assert.match((neg[0] as { message: string }).message, /finetuneEpochs must be an integer in \[0, 10000\]/);
});

test('a model with nothing prunable fails with the reasons', async () => {
  const input = tf.input({ shape: [28, 28, 1] });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'only_conv' }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(tf.layers.globalAveragePooling2d({}).apply(c)) as tf.SymbolicTensor;
  const modelPath = await saved(tf.model({ inputs: input, outputs: out }), 'nothing');
  const events = await collect(TINY, modelPath, path.join(dir, 'nothing-out'));
  const last = events.at(-1)!;
  assert.equal(last.type, 'runFailed');
  assert.match((last as { message: string }).message, /nothing to prune.*only_conv: stem convolution/);
});

test('data whose class count does not fit the model is refused before training', async () => {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c2' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(tf.layers.globalAveragePooling2d({}).apply(x)) as tf.SymbolicTensor;
  const modelPath = await saved(tf.model({ inputs: input, outputs: out }), 'three-classes');
  const events = await collect(TINY, modelPath, path.join(dir, 'three-out'));
  assert.equal(events.at(-1)!.type, 'runFailed');
  assert.ok(!events.some((e) => e.type === 'runStarted'));
  assert.match((events.at(-1) as { message: string }).message, /10 classes.*outputs 3/);
});

test('DKP keeps its kernel budget and its zeros survive saving and reloading', async () => {
  const modelPath = await saved(tinyPlain(), 'plain-dkp');
  const out = path.join(dir, 'dkp-out');
  const events = await collect({ ...TINY, method: 'dkp', kernelRate: 0.5, kernelsPerStep: 3 }, modelPath, out);
  assert.equal(events.at(-1)!.type, 'runFinished', JSON.stringify(events.at(-1)));
  const report = (events.at(-1) as { report: RunReport }).report;
  const pruned = await loadLayersModel(report.model.output!);
  for (const l of report.layers) {
    assert.ok(l.kernelMask && l.keptKernels !== undefined && l.totalKernels !== undefined);
    assert.equal(l.keptKernels, l.totalKernels - Math.floor(0.5 * l.totalKernels), `${l.layer} budget`);
    // Zeros where the mask says so, in the reloaded model's index space (rows = kept inputs).
    const kernel = (await pruned.getLayer(l.layer).getWeights()[0].array()) as number[][][][];
    const filters = report.layers.find((o) => o.removedWith.includes(l.layer));
    const cols = filters ? filters.kept : l.kernelMask[0].map((_, j) => j);
    l.kept.forEach((k, i) => cols.forEach((j, jj) => {
      const zero = kernel.every((row) => row.every((px) => px[i][jj] === 0));
      if (l.kernelMask![k][j] === 0) assert.ok(zero, `${l.layer} kernel (${k},${j}) should be zero`);
    }));
  }
  assert.ok(report.after.flops < report.afterSelection.flops * 1.0001);
  pruned.dispose();
});

test('a cancelled run resumed from its checkpoint gives the same result as an uninterrupted run', async () => {
  const modelPath = await saved(tinyResNet(3), 'res-resume');
  const whole = await collect(TINY, modelPath, path.join(dir, 'resume-whole'));
  const wholeReport = (whole.at(-1) as { report: RunReport }).report;

  const ckpt = path.join(dir, 'ckpt');
  const controller = new AbortController();
  const first = await collect(TINY, modelPath, path.join(dir, 'resume-a'), controller.signal, (e) => {
    if (e.type === 'layerDone') controller.abort();
  });
  assert.equal(first.at(-1)!.type, 'runCancelled');
  const events: RunEvent[] = [];
  for await (const e of runPruning(TINY, { modelPath, outDir: path.join(dir, 'resume-b'), checkpointDir: ckpt, resume: true })) events.push(e);
  // Without a checkpoint there is nothing to resume: the first run above had no checkpointDir.
  assert.equal(events.at(-1)!.type, 'runFailed');

  const c2 = new AbortController();
  const partial: RunEvent[] = [];
  for await (const e of runPruning(TINY, { modelPath, outDir: path.join(dir, 'resume-d'), checkpointDir: ckpt, signal: c2.signal })) {
    partial.push(e);
    if (e.type === 'layerDone') c2.abort();
  }
  assert.equal(partial.at(-1)!.type, 'runCancelled');
  const resumed: RunEvent[] = [];
  for await (const e of runPruning(TINY, { modelPath, outDir: path.join(dir, 'resume-e'), checkpointDir: ckpt, resume: true })) resumed.push(e);
  assert.equal(resumed.at(-1)!.type, 'runFinished', JSON.stringify(resumed.at(-1)));
  const r = (resumed.at(-1) as { report: RunReport }).report;
  assert.deepEqual(r.layers.map((l) => [l.layer, l.kept]), wholeReport.layers.map((l) => [l.layer, l.kept]));
  assert.equal(r.afterSelection.accuracy, wholeReport.afterSelection.accuracy);
  assert.equal(r.after.accuracy, wholeReport.after.accuracy);
  // Resuming with other options is refused rather than mixing two configurations.
  const other: RunEvent[] = [];
  for await (const e of runPruning({ ...TINY, rate: 0.3 }, { modelPath, outDir: path.join(dir, 'resume-f'), checkpointDir: ckpt, resume: true })) other.push(e);
  assert.match((other.at(-1) as { message: string }).message, /different options \(rate\)/);
});

test('a Sequential model read from disk prunes like a functional one', async () => {
  const seq = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 1 }), name: 'sc1' }),
      tf.layers.batchNormalization({ name: 'sbn1' }),
      tf.layers.reLU({ name: 'sr1' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 2 }), name: 'sc2' }),
      tf.layers.reLU({ name: 'sr2' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 3 }), name: 'sc3' }),
      tf.layers.globalAveragePooling2d({ name: 'sgap' }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'sfc' }),
    ],
  });
  const modelPath = await saved(seq, 'seq');
  const events = await collect(TINY, modelPath, path.join(dir, 'seq-out'));
  assert.equal(events.at(-1)!.type, 'runFinished', JSON.stringify(events.at(-1)));
  const report = (events.at(-1) as { report: RunReport }).report;
  assert.deepEqual(report.layers.map((l) => l.layer), ['sc2', 'sc3']);
  const pruned = await loadLayersModel(report.model.output!);
  assert.equal(pruned.countParams(), report.after.params);
  pruned.dispose();
});
