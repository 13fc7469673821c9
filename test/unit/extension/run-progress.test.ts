import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../../server/dcp/run/config';
import type { LayerResult, ModelStats, RunEvent, RunReport } from '../../../protocol/model';
import { advance, INITIAL_PROGRESS, type RunProgress } from '../../../extension/run-progress';

const stats: ModelStats = { params: 1000, flops: 5000, accuracy: 0.9, latencyMs1: null, latencyMsBatch: null, latencyBatch: 32 };
const result = (layer: string): LayerResult => ({ layer, stage: 0, inChannels: 8, kept: [0, 1, 2, 3], lossM: 0.1, lossS: 0.2, iterations: 4, removedWith: [], seconds: 1 });

function stream(finetuneEpochs: number): RunEvent[] {
  const config = { ...DEFAULT_CONFIG, headEpochs: 1, finetuneEpochs };
  const model = { name: 'tiny', inputShape: [28, 28, 1], numClasses: 10, layers: [], totalParams: 1000, totalFlops: 5000, prunable: ['c1', 'c2'] };
  const report: RunReport = {
    schema: 'dcp-report/1', config, model: { name: 'tiny', input: 'in', output: null }, layers: [result('c1'), result('c2')], heads: [],
    before: stats, afterSelection: stats, after: stats, finetune: [], selectionCost: { epochEquivalents: 1, referenceEpochEquivalents: 4 }, seconds: 3.2, backend: 'wasm',
  };
  const events: RunEvent[] = [
    { type: 'runStarted', config, model, before: stats, heads: [{ index: 0, after: 'c1', weight: 1 }], stages: [{ index: 0, layers: ['c1', 'c2'], head: 0 }], time: 0 },
    { type: 'trainProgress', phase: 'heads', stage: null, epoch: 1, epochs: 1, batch: 5, batches: 10, loss: 2.3, time: 1 },
    { type: 'headsTrained', heads: [{ index: 0, after: 'c1', accuracy: 0.5 }], time: 2 },
    { type: 'stageStarted', stage: 0, layers: ['c1', 'c2'], time: 3 },
    { type: 'selectionStarted', layer: 'c1', stage: 0, inChannels: 8, target: 4, time: 4 },
    { type: 'selectionIteration', layer: 'c1', iteration: 0, added: [3], scores: [1, 2], lossM: 0.1, lossS: 0.2, loss: 0.3, time: 5 },
    { type: 'layerDone', result: result('c1'), time: 6 },
    { type: 'selectionStarted', layer: 'c2', stage: 0, inChannels: 8, target: 4, time: 7 },
    { type: 'layerDone', result: result('c2'), time: 8 },
    { type: 'surgeryDone', afterSelection: stats, time: 9 },
  ];
  if (finetuneEpochs > 0) events.push({ type: 'trainProgress', phase: 'final', stage: null, epoch: 1, epochs: finetuneEpochs, batch: 10, batches: 10, loss: 0.4, time: 10 });
  events.push({ type: 'runFinished', report, time: 11 });
  return events;
}

function fold(events: RunEvent[]): RunProgress[] {
  const out: RunProgress[] = [];
  let p = INITIAL_PROGRESS;
  for (const e of events) out.push((p = advance(p, e)));
  return out;
}

test('progress only moves forward and ends at 100%', () => {
  for (const epochs of [0, 2]) {
    const seen = fold(stream(epochs));
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].fraction >= seen[i - 1].fraction, `step ${i}`);
    assert.equal(seen.at(-1)?.fraction, 1);
    assert.equal(seen.at(-1)?.ended, 'finished');
  }
});

test('layers done drive the selection share; messages name the layer', () => {
  const seen = fold(stream(2));
  const afterFirst = seen[6];
  assert.equal(afterFirst.layersDone, 1);
  assert.equal(afterFirst.layers, 2);
  assert.match(afterFirst.message, /c1: kept 4\/8 \(1\/2 layers\)/);
  // heads 15% + half of the 65% selection share
  assert.ok(Math.abs(afterFirst.fraction - (0.15 + 0.65 / 2)) < 1e-9);
  assert.match(seen[4].message, /Stage 0 · c1: selecting 4 of 8 channels/);
});

test('without a final fine-tune, selection takes its share', () => {
  const seen = fold(stream(0));
  assert.ok(Math.abs(seen[8].fraction - 1) < 1e-9);
});

test('training progress: 1-based epochs and batches fill the phase share', () => {
  const seen = fold(stream(2));
  assert.ok(Math.abs(seen[1].fraction - 0.15 * 0.5) < 1e-9);
  assert.match(seen[1].message, /Training heads: epoch 1\/1, loss 2\.300/);
  const finalBatch = seen[10];
  assert.ok(Math.abs(finalBatch.fraction - (0.8 + 0.2 * 0.5)) < 1e-9, String(finalBatch.fraction));
});

test('cancellation and failure keep the fraction and say what happened', () => {
  const started = fold(stream(2).slice(0, 7)).at(-1) ?? INITIAL_PROGRESS;
  const cancelled = advance(started, { type: 'runCancelled', time: 1 });
  assert.equal(cancelled.ended, 'cancelled');
  assert.equal(cancelled.fraction, started.fraction);
  const failed = advance(started, { type: 'runFailed', message: 'out of memory', time: 1 });
  assert.equal(failed.message, 'Failed: out of memory');
});
