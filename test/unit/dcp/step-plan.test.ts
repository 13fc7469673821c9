/**
 * Auto channels-per-step (server/dcp/run/step-plan.ts): one channel per step while the forecast selection fits the
 * budget, a shared cap on greedy steps when it does not, K ≥ 1 used as given; and, through the pipeline on the wasm
 * backend (the only one with a forecast), a budget too small for one-by-one makes every layer select in fewer steps.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { MachineSpeed } from '../../../protocol/forecast';
import type { LayerInfo, RunEvent } from '../../../protocol/model';
import { estimateRun, type ForecastInput } from '../../../protocol/forecast-estimate';
import { planChannelsPerStep, StepPlanner } from '../../../server/dcp/run/step-plan';
import { runPruning } from '../../../server/dcp/run/engine';
import { initBackend } from '../../../server/tfjs/backend';
import { makeTinyFixture, quickConfig } from '../../integration/server/fixture';

/** Seconds are multiply-adds / 1e6. */
const SPEED: MachineSpeed = { backend: 'wasm', trainStepSeconds: 0, trainMacsPerSecond: 1e6, inferStepSeconds: 0, inferMacsPerSecond: 1e6, measuredAt: 0, cached: false };
const layer = (name: string, flops: number): LayerInfo => ({ name, className: 'Conv2D', outputShape: [1], params: 0, flops, inboundLayers: [] }) as unknown as LayerInfo;

/**
 * Layers a (100), b (200), c (300), d (400) MACs; b keeps 4 of 8, c 16 of 32; 10 selection samples. Selection of
 * b: fixed 2·10·100 + 10·900 = 11,000 MACs, 9,000 per step; of c: 6,000 + 7,000 = 13,000 fixed, 7,000 per step.
 * One channel per step: 11k + 4·9k + 13k + 16·7k = 172,000 MACs = 0.172 s.
 */
function input(): ForecastInput {
  return {
    summary: { layers: [layer('a', 100), layer('b', 200), layer('c', 300), layer('d', 400)], totalFlops: 1000 },
    stages: [{ index: 0, layers: ['b', 'c'], head: 0 }],
    heads: [],
    convs: [{ conv: 'b', inChannels: 8, stage: 0, keep: 4 }, { conv: 'c', inChannels: 32, stage: 0, keep: 16 }],
    config: { headEpochs: 0, headTraining: 'frozen', headPlateau: 0, finetuneEpochs: 0, stageFinetune: false, solver: 'exact', solverSgdSteps: 0, method: 'dcp' },
    samples: { train: 100, validation: 10, selection: 10 },
    memory: { batchSize: 10, microBatch: 10, inferenceBatch: 10, layers: [], phases: [{ phase: 'training', bytes: 1, batch: 10 }] },
    speed: SPEED,
    latency: { batch: 4, repeats: 1 },
  };
}
const minutes = (s: number): number => s / 60;
const selectionSeconds = (perStep: Record<string, number>): number =>
  estimateRun({ ...input(), channelsPerStep: perStep }).phases.find((p) => p.phase === 'selection')!.seconds;

describe('planChannelsPerStep', () => {
  it('uses a given K in every layer, and one per step without a forecast', () => {
    assert.deepEqual(planChannelsPerStep({ channelsPerStep: 3, selectionMinutes: 1e-9 }, input()).perStep, { b: 3, c: 3 });
    const none = planChannelsPerStep({ channelsPerStep: 0, selectionMinutes: 1e-9 }, null);
    assert.deepEqual(none.perStep, {});
    assert.equal(none.cap, null);
  });

  it('keeps one channel per step when the forecast fits the budget (or there is none)', () => {
    for (const budget of [minutes(0.2), 0]) {
      const p = planChannelsPerStep({ channelsPerStep: 0, selectionMinutes: budget }, input());
      assert.deepEqual(p.perStep, { b: 1, c: 1 });
      assert.equal(p.cap, null);
      assert.ok(Math.abs(p.seconds1! - 0.172) < 1e-12, String(p.seconds1));
    }
  });

  it('caps every layer\'s greedy steps at the largest count that fits', () => {
    // 0.1 s: 24k fixed + cap·9k (b, up to 4 steps) + cap·7k (c): cap 4 → 0.088 s fits; cap 5 → 0.024 + 0.036 + 0.035 = 0.095
    // fits; cap 6 → 0.102 does not. So cap 5: b keeps its 4 steps (1 per step), c adds ⌈16/5⌉ = 4 per step.
    const p = planChannelsPerStep({ channelsPerStep: 0, selectionMinutes: minutes(0.1) }, input());
    assert.equal(p.cap, 5);
    assert.deepEqual(p.perStep, { b: 1, c: 4 });
    assert.equal(p.note, null);
    assert.ok(p.seconds! <= 0.1 + 1e-12);
    // The forecast with the plan: c takes ⌈16/4⌉ = 4 steps, within the cap's estimate.
    assert.ok(selectionSeconds(p.perStep) <= p.seconds! + 1e-12);
    assert.ok(selectionSeconds(p.perStep) < selectionSeconds({}));
  });

  it('says so when even one step per layer is over the budget', () => {
    const p = planChannelsPerStep({ channelsPerStep: 0, selectionMinutes: minutes(0.01) }, input());
    assert.equal(p.cap, 1);
    assert.deepEqual(p.perStep, { b: 4, c: 16 });
    assert.match(p.note ?? '', /even one greedy step per convolution/);
  });
});

describe('StepPlanner', () => {
  it('re-plans the convs still to do from the time the finished ones took', () => {
    // Budget 0.2 s: one per step fits (0.172 s). b is forecast at 11k + 4·9k = 0.047 s; if it takes 3× that (0.141 s),
    // c has 0.059 s left at 3× its forecast: 3·(0.013 + cap·0.007) ≤ 0.059 → cap 0 → 1, so c adds all 16 in one step.
    const planner = new StepPlanner({ channelsPerStep: 0, selectionMinutes: minutes(0.2) }, input());
    assert.equal(planner.perStep('b'), 1);
    assert.equal(planner.perStep('c'), 1);
    planner.layerDone('b', 3 * 0.047);
    assert.equal(planner.perStep('c'), 16);
    // As fast as forecast, nothing changes.
    const onTime = new StepPlanner({ channelsPerStep: 0, selectionMinutes: minutes(0.2) }, input());
    onTime.layerDone('b', 0.047);
    assert.equal(onTime.perStep('c'), 1);
    // Faster than forecast under a tight budget: c gets more steps than the initial plan gave it.
    const tight = new StepPlanner({ channelsPerStep: 0, selectionMinutes: minutes(0.1) }, input());
    assert.equal(tight.perStep('c'), 4);
    tight.layerDone('b', 0.047 / 4);
    assert.ok(tight.perStep('c') < 4, String(tight.perStep('c')));
  });

  it('keeps a given K whatever the timing', () => {
    const planner = new StepPlanner({ channelsPerStep: 2, selectionMinutes: minutes(0.01) }, input());
    planner.layerDone('b', 100);
    assert.equal(planner.perStep('c'), 2);
  });
});

describe('auto channels-per-step in a run', () => {
  it('selects every layer in one step when the budget is tiny, and reports the plan', async () => {
    await initBackend('wasm');
    const fixture = await makeTinyFixture();
    try {
      const before = tf.memory().numTensors;
      const events: RunEvent[] = [];
      const cfg = quickConfig(fixture, { backend: 'wasm', channelsPerStep: 0, selectionMinutes: 1e-6 });
      for await (const e of runPruning(cfg, { modelPath: fixture.modelPath, outDir: join(fixture.dir, 'out'), speedCacheFile: null })) events.push(e);
      const started = events.find((e) => e.type === 'runStarted');
      const finished = events.at(-1);
      assert.ok(started?.type === 'runStarted' && finished?.type === 'runFinished', JSON.stringify(finished));
      assert.ok(started.stepPlan, 'runStarted carries the step plan');
      assert.equal(started.stepPlan.cap, 1);
      for (const r of finished.report.layers) {
        assert.equal(r.iterations, 1, `${r.layer} took one greedy step`);
        assert.equal(r.channelsPerStep, started.stepPlan.perStep[r.layer]);
        assert.ok(r.kept.length <= started.stepPlan.perStep[r.layer]);
      }
      const iterations = events.filter((e) => e.type === 'selectionIteration').length;
      assert.equal(iterations, finished.report.layers.length);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      fixture.cleanup();
    }
  });
});
