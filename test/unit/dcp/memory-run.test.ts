import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs, existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { loadLayersModel, saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { analyzeGraph, summarizeModel } from '../../../server/dcp/graph/graph';
import { makePlan } from '../../../server/dcp/graph/plan';
import { planRunMemory } from '../../../server/dcp/run/phases/load';
import { resolveConfig } from '../../../server/dcp/run/config';
import { tinyResNet } from '../../fixtures/tiny/tiny-models';

const TINY: Partial<RunConfig> = { heads: 1, data: 'mnist', maxTrainSamples: 96, selectionSamples: 32, headEpochs: 1, finetuneEpochs: 1, batchSize: 32, backend: 'wasm' };
const EXAMPLE = path.join(__dirname, '..', '..', '..', 'examples', 'resnet', 'model.json');

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-memrun-'));
});

async function collect(config: Partial<RunConfig>, modelPath: string, outDir: string, memoryCapMB: number | null): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const e of runPruning(config, { modelPath, outDir, memoryCapMB })) events.push(e);
  return events;
}

test('a run that cannot fit fails before any work, naming the phase, the estimate and the budget', async () => {
  const tensors = tf.memory().numTensors;
  const out = path.join(dir, 'refused');
  const t0 = Date.now();
  const events = await collect({ ...TINY, batchSize: 64 }, EXAMPLE, out, 1);
  assert.equal(events.length, 1, JSON.stringify(events.map((e) => e.type)));
  const e = events[0];
  assert.equal(e.type, 'runFailed');
  assert.match(e.type === 'runFailed' ? e.message : '', /not enough memory for a training step: it needs about [\d.]+ MiB even at batch 1, and the budget is 0\.9 MiB \(90% of dcp\.memoryCapMB/);
  assert.ok(Date.now() - t0 < 5000, 'refused without loading data or training');
  assert.ok(!existsSync(out), 'nothing written');
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
});

test('under a tight cap the run micro-batches training, announces its plan in runStarted, and finishes', async () => {
  const modelPath = await saveLayersModel(tinyResNet(), path.join(dir, 'res'));
  // The smallest cap whose plan fits and still splits the batch of 32.
  const model = await loadLayersModel(modelPath);
  const graph = analyzeGraph(model);
  const summary = summarizeModel(model, graph);
  const cfg = resolveConfig(TINY);
  let cap = 0;
  for (let mb = 1; mb <= 64 && cap === 0; mb++) {
    try {
      if (planRunMemory(cfg, graph, summary, makePlan(graph, null), 'wasm', mb).accumulationSteps > 1) cap = mb;
    } catch {
      // Too small for batch 1: try the next cap.
    }
  }
  model.dispose();
  assert.ok(cap > 0, 'some cap micro-batches the tiny net');
  const tensors = tf.memory().numTensors;
  const events = await collect(TINY, modelPath, path.join(dir, 'res-out'), cap);
  const started = events[0];
  assert.equal(started.type, 'runStarted');
  const plan = started.type === 'runStarted' ? started.memory! : null;
  assert.ok(plan && plan.microBatch < 32 && plan.accumulationSteps === Math.ceil(32 / plan.microBatch), JSON.stringify(plan));
  assert.equal(plan.budgetBytes, Math.floor(cap * 2 ** 20 * 0.9));
  assert.equal(events.at(-1)!.type, 'runFinished', JSON.stringify(events.at(-1)));
  // The effective batch is unchanged: as many optimiser steps per epoch as with the full batch (96 / 32 = 3).
  const heads = events.filter((e) => e.type === 'trainProgress' && e.phase === 'heads');
  assert.equal(heads.length, 3);
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
});
