/**
 * The forecast estimator (protocol/forecast-estimate.ts) on hand-made inputs, where each phase's seconds can be
 * worked out by hand; how it scales with the settings; the phase clock that times a recorded event stream; and the
 * calibration measuring a positive speed on the wasm backend without leaking tensors (and skipping cpu).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { PhaseClock, phaseSeconds, type MachineSpeed } from '../../../protocol/forecast';
import type { LayerInfo, RunEvent } from '../../../protocol/model';
import { estimateRun as forecastRun, type ForecastInput } from '../../../protocol/forecast-estimate';
import { machineSpeed, measureSpeed } from '../../../server/dcp/measure/calibrate';
import { LATENCY_BATCH, LATENCY_REPEATS } from '../../../server/dcp/measure/stats';
import { initBackend } from '../../../server/tfjs/backend';
import { runPruning } from '../../../server/dcp/run/engine';
import { makeTinyFixture, quickConfig } from '../../integration/server/fixture';

/** No per-step overhead and 1e6 multiply-adds per second: seconds are multiply-adds / 1e6. */
const SPEED: MachineSpeed = { backend: 'cpu', trainStepSeconds: 0, trainMacsPerSecond: 1e6, inferStepSeconds: 0, inferMacsPerSecond: 1e6, measuredAt: 0, cached: false };

const layer = (name: string, flops: number): LayerInfo =>
  ({ name, className: 'Conv2D', outputShape: [1], params: 0, flops, inboundLayers: [] }) as unknown as LayerInfo;

/**
 * Four layers a (100), b (200), c (300), d (400) MACs; b and c prunable (8 channels in, keep 4), one stage to the
 * logits, and one auxiliary head (after d) for head training and the stage fine-tune to count; none with `headless`.
 */
function input(overrides: Partial<ForecastInput['config']> = {}, speed: MachineSpeed = SPEED, headless = false): ForecastInput {
  return {
    summary: { layers: [layer('a', 100), layer('b', 200), layer('c', 300), layer('d', 400)], totalFlops: 1000 },
    stages: [{ index: 0, layers: ['b', 'c'], head: headless ? 0 : 1 }],
    heads: headless ? [] : [{ after: 'd' }],
    convs: [{ conv: 'b', inChannels: 8, stage: 0, keep: 4 }, { conv: 'c', inChannels: 8, stage: 0, keep: 4 }],
    config: { headEpochs: 2, headTraining: 'frozen', headPlateau: 0, finetuneEpochs: 3, stageFinetune: false, solver: 'exact', solverSgdSteps: 0, method: 'dcp', ...overrides },
    samples: { train: 1000, validation: 100, selection: 10 },
    memory: {
      batchSize: 10, microBatch: 10, inferenceBatch: 10, layers: [],
      phases: [{ phase: 'training', bytes: 3000, batch: 10 }, { phase: 'selection', bytes: 2000, batch: 10 }, { phase: 'inference', bytes: 1000, batch: 10 }],
    },
    speed,
    latency: { batch: LATENCY_BATCH, repeats: LATENCY_REPEATS },
  };
}
const secs = (f: ReturnType<typeof forecastRun>) => Object.fromEntries(f.phases.map((p) => [p.phase, p.seconds]));

describe('forecastRun', () => {
  it('counts each phase as the engine runs it', () => {
    const f = forecastRun(input());
    const s = secs(f);
    // Heads, frozen: 2 epochs × 1000 samples × 1000 MACs forward.
    assert.equal(s.heads, 2 * 1000 * 1000 / 1e6);
    // Selection of b: cache 2 × 10 × prefix 100; 4 iterations × 1 gradient pass × 10 × path (b..d = 900); last forward 10 × 900.
    // Of c: cache 2 × 10 × 300; 4 × 10 × 700; 10 × 700.
    assert.ok(Math.abs(s.selection - (2000 + 36_000 + 9000 + 6000 + 28_000 + 7000) / 1e6) < 1e-12, String(s.selection));
    assert.equal(s.stageFinetune, 0);
    // Pruned FLOPs: b and c at half = 100 + 100 + 150 + 400 = 750; 3 × (1000 × 750 train + 100 × 750 validation).
    assert.ok(Math.abs(s.finetune - 3 * (750_000 + 75_000) / 1e6) < 1e-12);
    const latency = 2 * (LATENCY_REPEATS + 2) * ((1 + LATENCY_BATCH) * (1000 + 750)) / 2 / 1e6;
    assert.ok(Math.abs(s.measure - (100 * 750 + 10 * 1750) / 1e6 - latency) < 1e-12);
    assert.ok(Math.abs(f.seconds - Object.values(s).reduce((a, b) => a + b, 0)) < 1e-12);
    // Memory: training phases the plan's training bytes, selection its selection bytes, measuring inference; skipped = 0.
    assert.deepEqual(f.phases.map((p) => p.peakBytes), [3000, 2000, 0, 3000, 1000]);
  });

  it('follows the settings: epochs, joint heads, stage fine-tuning, the solver\'s SGD steps, step overhead', () => {
    const base = secs(forecastRun(input()));
    assert.equal(secs(forecastRun(input({ headEpochs: 4 }))).heads, 2 * base.heads);
    assert.equal(secs(forecastRun(input({ finetuneEpochs: 0 }))).finetune, 0);
    // Joint head training trains the network: at equal rates the same MACs; a slower training rate shows it.
    const slowTrain = { ...SPEED, trainMacsPerSecond: 5e5 };
    assert.equal(secs(forecastRun(input({ headTraining: 'joint' }, slowTrain))).heads, 2 * secs(forecastRun(input({}, slowTrain))).heads);
    assert.equal(secs(forecastRun(input({ stageFinetune: true }))).stageFinetune, 1000 * 1000 / 1e6);
    assert.ok(secs(forecastRun(input({ solverSgdSteps: 4 }))).selection > base.selection);
    // 0.01 s per step: heads take 2 epochs × 100 steps of it more.
    const overhead = secs(forecastRun(input({}, { ...SPEED, trainStepSeconds: 0.01 })));
    assert.ok(Math.abs(overhead.heads - base.heads - 2 * 100 * 0.01) < 1e-9);
  });

  it('without an auxiliary head, frozen head training is one accuracy pass and stage fine-tunes cost nothing', () => {
    const withHead = secs(forecastRun(input({ stageFinetune: true })));
    const headless = secs(forecastRun(input({ stageFinetune: true }, SPEED, true)));
    assert.ok(withHead.heads > 0 && withHead.stageFinetune > 0);
    // Only the classifier's accuracy: 100 validation samples × 1000 MACs.
    assert.equal(headless.heads, 100 * 1000 / 1e6);
    assert.equal(headless.stageFinetune, 0);
    assert.equal(headless.selection, withHead.selection, 'the one stage ends at the classifier either way');
    // Joint training still trains the network itself.
    assert.equal(secs(forecastRun(input({ headTraining: 'joint' }, SPEED, true))).heads, withHead.heads);
  });

  it('keeping more channels costs more selection', () => {
    const more = input();
    more.convs = more.convs.map((c) => ({ ...c, keep: 7 }));
    assert.ok(secs(forecastRun(more)).selection > secs(forecastRun(input())).selection);
  });
});

describe('PhaseClock', () => {
  it('charges each gap between events to the later event\'s phase', () => {
    const at = (type: string, time: number, extra: object = {}) => ({ type, time, ...extra }) as unknown as RunEvent;
    const events = [
      at('runStarted', 1000), at('trainProgress', 3000, { phase: 'heads' }), at('headsTrained', 4000),
      at('stageStarted', 4500), at('selectionStarted', 5000), at('layerDone', 9000), at('epochDone', 12_000, { phase: 'stage' }),
      at('surgeryDone', 12_500), at('trainProgress', 20_000, { phase: 'final' }), at('epochDone', 22_000, { phase: 'final' }),
      at('runFinished', 25_000),
    ];
    assert.deepEqual(phaseSeconds(events), { heads: 3, selection: 5.5, stageFinetune: 3, finetune: 9.5, measure: 3 });
    const clock = new PhaseClock();
    for (const e of events.slice(0, -1)) clock.observe(e);
    clock.close('measure', 24_000);
    const forecast = { seconds: 10, speed: SPEED, samples: { train: 1, validation: 1, selection: 1 }, latency: { batch: 64, repeats: 15 }, phases: [{ phase: 'heads' as const, seconds: 6, peakBytes: 1 }] };
    assert.deepEqual(clock.compare(forecast)[0], { phase: 'heads', forecastSeconds: 6, seconds: 3, forecastPeakBytes: 1 });
    assert.equal(clock.compare(forecast)[4].seconds, 2);
  });
});

describe('machine speed', () => {
  it('measures a positive speed on the wasm backend, caches it per machine and leaks no tensors', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const s = await measureSpeed();
    assert.equal(tf.memory().numTensors, before);
    assert.ok(s, 'wasm is fast enough to calibrate');
    assert.equal(s.backend, 'wasm');
    assert.ok(s.trainMacsPerSecond > 0 && s.inferMacsPerSecond > 0 && s.trainStepSeconds >= 0 && s.inferStepSeconds >= 0, JSON.stringify(s));
    const dir = mkdtempSync(join(tmpdir(), 'dcp-speed-'));
    try {
      const file = join(dir, 'sub', 'speed.json');
      const first = await machineSpeed(null, file);
      // Measured in this process already (the memo), or read from the file: never a second calibration.
      const second = await machineSpeed(null, file);
      assert.ok(first && second);
      assert.equal(second.cached, true);
      assert.equal(second.trainMacsPerSecond, first.trainMacsPerSecond);
      if (!first.cached) {
        const written = JSON.parse(readFileSync(file, 'utf8')) as { version: number; machines: Record<string, MachineSpeed> };
        assert.equal(written.version, 1);
        assert.equal(Object.values(written.machines)[0].trainMacsPerSecond, first.trainMacsPerSecond);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not calibrate the cpu backend (its backprop takes minutes): such runs have no forecast', async () => {
    await tf.setBackend('cpu');
    const t0 = Date.now();
    assert.equal(await machineSpeed(null, null), null);
    assert.ok(Date.now() - t0 < 1000);
    await initBackend('wasm');
  });
});

describe('a run with a forecast', () => {
  it('carries the forecast in runStarted and forecast vs measured seconds per phase in the report', async () => {
    const fixture = await makeTinyFixture();
    try {
      const events: RunEvent[] = [];
      for await (const e of runPruning(quickConfig(fixture, { backend: 'wasm' }), { modelPath: fixture.modelPath, outDir: join(fixture.dir, 'out'), speedCacheFile: null })) events.push(e);
      const started = events.find((e) => e.type === 'runStarted');
      const finished = events.at(-1);
      assert.ok(started?.type === 'runStarted' && finished?.type === 'runFinished', JSON.stringify(finished));
      const f = started.forecast;
      assert.ok(f, 'runStarted has a forecast');
      assert.deepEqual(f.phases.map((p) => p.phase), ['heads', 'selection', 'stageFinetune', 'finetune', 'measure']);
      assert.ok(f.seconds > 0 && f.phases[1].seconds > 0 && f.phases[1].peakBytes > 0);
      assert.equal(f.phases[2].seconds, 0, 'stage fine-tuning is off in the quick config');
      const phases = finished.report.phases;
      assert.ok(phases);
      assert.deepEqual(phases.map((p) => p.forecastSeconds), f.phases.map((p) => p.seconds));
      // The measured phases add up to the time between runStarted and the report (within the rounding of ms).
      const measured = phases.reduce((a, p) => a + p.seconds, 0);
      assert.ok(measured > 0 && measured <= (finished.time - started.time) / 1000 + 0.01, `${measured} s`);
      assert.ok(phases[1].seconds > 0 && phases[3].seconds > 0);
      // The event stream gives the same split, measured up to runFinished rather than to the report.
      const fromEvents = phaseSeconds(events);
      assert.ok(Math.abs(fromEvents.selection - phases[1].seconds) < 1e-9);
    } finally {
      fixture.cleanup();
    }
  });
});

describe('the phase tracking of the pipeline', () => {
  it('closes the phase when the consumer stops reading mid-phase: no tensors are left', async () => {
    await initBackend('wasm');
    const fixture = await makeTinyFixture();
    try {
      const before = tf.memory().numTensors;
      // Only head training is checked: stopping inside channel selection leaves 3 tensors, with or without the phase
      // tracking (measured on the pipeline before it, commit d3e7699); runs are cancelled through their signal instead.
      for (const stopAt of ['trainProgress'] as const) {
        const run = runPruning(quickConfig(fixture, { backend: 'wasm' }), { modelPath: fixture.modelPath, outDir: join(fixture.dir, `out-${stopAt}`), speedCacheFile: null });
        for await (const e of run) if (e.type === stopAt) break;
        assert.equal(tf.memory().numTensors, before, `after stopping at ${stopAt}`);
      }
    } finally {
      fixture.cleanup();
    }
  });
});
