import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { GraphRunner } from '../../../server/dcp/exec/executor';
import { analyzeGraph, summarizeModel } from '../../../server/dcp/graph/graph';
import { makePlan } from '../../../server/dcp/graph/plan';
import {
  MemoryPlanError, TRAIN_FACTOR, WASM_HEAP_BYTES, memoryBudget, microBatchSizes, planMemory, processHeapCapMB, type MemoryModel,
} from '../../../server/dcp/measure/memory';
import { memoryModelOf } from '../../../server/dcp/measure/memory-shapes';
import { tinyResNet } from '../../fixtures/tiny/tiny-models';
import { buildMobileNetV2Full } from '../../fixtures/models/mobilenet-v2-full';

before(async () => {
  await tf.setBackend('cpu');
});

const MiB = 2 ** 20;
/** 1 k params, 10 k activations per sample, one conv whose cache is 1 k elements per sample, step 2 k, build 4 k. */
const SMALL: MemoryModel = { params: 1000, activationElements: 10_000, layers: [{ layer: 'c', cacheElements: 1000, stepElements: 2000, buildElements: 4000 }] };
const trainBytes = (b: number): number => 5 * 4000 + TRAIN_FACTOR * 10_000 * b * 4;

test('the full batch is kept when everything fits', () => {
  const p = planMemory(SMALL, { batchSize: 64, selectionSamples: 256, budget: { bytes: 1024 * MiB, source: 'test' } });
  assert.equal(p.microBatch, 64);
  assert.equal(p.accumulationSteps, 1);
  assert.equal(p.inferenceBatch, 64);
  assert.deepEqual(p.layers.map((l) => [l.spill, l.batch, l.buildBatch]), [[false, 64, 64]]);
  assert.equal(p.layers[0].cacheBytes, 1000 * 256 * 4);
  assert.equal(p.spillBytes, 0);
  assert.deepEqual(p.phases.map((ph) => ph.phase), ['training', 'selection', 'inference']);
});

test('training is split into the largest micro-batches that fit, the effective batch unchanged', () => {
  // Room for exactly 20 samples of a training step.
  const budget = trainBytes(20) + 1;
  const p = planMemory(SMALL, { batchSize: 64, selectionSamples: 16, budget: { bytes: budget, source: 'test' } });
  assert.equal(p.microBatch, 20);
  assert.equal(p.accumulationSteps, 4);
  assert.equal(p.batchSize, 64);
  assert.ok(p.phases[0].bytes <= budget);
  assert.deepEqual(microBatchSizes(64, 20), [16, 16, 16, 16]);
  assert.deepEqual(microBatchSizes(10, 4), [4, 3, 3]);
  assert.deepEqual(microBatchSizes(5, 64), [5]);
});

test('a selection cache that does not fit beside the step is spilled to disk, and the plan says so', () => {
  // Big cache (100 k elements/sample × 1000 samples = 400 MB), small step: fits only spilled.
  const m: MemoryModel = { ...SMALL, layers: [{ layer: 'big', cacheElements: 100_000, stepElements: 100, buildElements: 100 }, { layer: 'small', cacheElements: 10, stepElements: 100, buildElements: 100 }] };
  const p = planMemory(m, { batchSize: 32, selectionSamples: 1000, budget: { bytes: 200 * MiB, source: 'test' } });
  assert.deepEqual(p.layers.map((l) => l.spill), [true, false]);
  assert.equal(p.layers[0].batch, 32, 'a spilled cache keeps the batch when one batch fits');
  assert.equal(p.spillBytes, 100_000 * 1000 * 4);
  assert.ok(p.layers.every((l) => l.peakBytes <= 200 * MiB));
});

test('a cache whose forward passes do not fit at the full batch is built in smaller passes, the batch unchanged', () => {
  // Building needs 2 · 1 M elements · 4 bytes = 8 MB per sample: 10 fit in 100 MiB beside the small cache.
  const m: MemoryModel = { ...SMALL, layers: [{ layer: 'late', cacheElements: 100, stepElements: 100, buildElements: 1_000_000 }] };
  const p = planMemory(m, { batchSize: 64, selectionSamples: 256, budget: { bytes: 100 * MiB, source: 't' } });
  assert.equal(p.layers[0].spill, false);
  assert.equal(p.layers[0].batch, 64);
  assert.ok(p.layers[0].buildBatch >= 10 && p.layers[0].buildBatch <= 13, String(p.layers[0].buildBatch));
  assert.ok(p.layers[0].peakBytes <= 100 * MiB);
});

test('when nothing fits, the plan refuses with the phase, the estimate and the budget', () => {
  assert.throws(
    () => planMemory(SMALL, { batchSize: 64, selectionSamples: 16, budget: { bytes: trainBytes(1) - 1, source: 'a 1 MB cap' } }),
    (e: unknown) => e instanceof MemoryPlanError && e.phase === 'a training step' && /needs about .* even at batch 1, and the budget is .*a 1 MB cap/.test(e.message),
  );
  // Training fits, but one sample of the sub-problem's step does not.
  const m: MemoryModel = { ...SMALL, layers: [{ layer: 'huge', cacheElements: 10, stepElements: 10_000_000, buildElements: 10 }] };
  assert.throws(() => planMemory(m, { batchSize: 8, selectionSamples: 16, budget: { bytes: 100 * MiB, source: 't' } }), /not enough memory for selecting huge/);
});

test('the budget is 90% of the WASM heap, or of a smaller cap; other backends only have the cap', () => {
  assert.equal(memoryBudget('wasm', null)!.bytes, Math.floor(WASM_HEAP_BYTES * 0.9));
  assert.equal(memoryBudget('wasm', 1024)!.bytes, Math.floor(1024 * MiB * 0.9));
  assert.match(memoryBudget('wasm', 1024)!.source, /memoryCapMB/);
  assert.equal(memoryBudget('wasm', 8192)!.bytes, Math.floor(WASM_HEAP_BYTES * 0.9), 'a cap above 4 GiB does not raise the heap');
  assert.equal(memoryBudget('cpu', null), null);
  assert.equal(memoryBudget('tensorflow', 2048)!.bytes, Math.floor(2048 * MiB * 0.9));
  assert.equal(processHeapCapMB(['--max-old-space-size=3072'], ''), 3072);
  assert.equal(processHeapCapMB([], '--max_old_space_size=512 --trace-warnings'), 512);
  assert.equal(processHeapCapMB([], ''), null);
});

test('cache shapes come from the same cut the selection caches (GraphRunner.cutFor)', () => {
  const model = tinyResNet();
  const graph = analyzeGraph(model);
  const summary = summarizeModel(model, graph);
  const plan = makePlan(graph, null);
  const mm = memoryModelOf(graph, summary, plan);
  const runner = new GraphRunner(model);
  const size = (name: string): number => graph.layers[name].outputShape.reduce((a, b) => a * b, 1);
  assert.equal(mm.layers.length, plan.convs.length);
  for (const c of plan.convs) {
    const target = plan.heads[c.stage]?.after ?? runner.outputName;
    const cut = runner.cutFor(c.conv, target);
    const input = runner.inputsOf(c.conv)[0];
    if (!cut.includes(input)) cut.push(input);
    const expected = cut.reduce((a, n) => a + size(n), 0) + size(c.conv);
    assert.equal(mm.layers.find((l) => l.layer === c.conv)!.cacheElements, expected, c.conv);
  }
  model.dispose();
});

test('issue 12: MobileNetV2 at 224×224 on the defaults gets a plan inside the WASM heap, not an abort', () => {
  const model = buildMobileNetV2Full();
  const graph = analyzeGraph(model);
  const summary = summarizeModel(model, graph);
  const p = planMemory(memoryModelOf(graph, summary, makePlan(graph, null)), { batchSize: 64, selectionSamples: 256, budget: memoryBudget('wasm', null) });
  model.dispose();
  const budget = p.budgetBytes!;
  assert.ok(p.microBatch < 64 && p.accumulationSteps > 1, `micro-batched: ${p.microBatch}`);
  assert.ok(p.layers.some((l) => l.spill), 'the early, large caches are spilled');
  assert.ok(p.layers.some((l) => !l.spill), 'the late, small ones stay in memory');
  for (const ph of p.phases) assert.ok(ph.bytes <= budget, `${ph.phase}: ${ph.bytes} > ${budget}`);
  for (const l of p.layers) assert.ok(l.peakBytes <= budget, l.layer);
});
