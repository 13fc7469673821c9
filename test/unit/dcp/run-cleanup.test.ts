import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs, existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';

/**
 * Every way a run can end early frees what its phases allocated: models, heads, masks, optimiser slots. DKP is
 * used because its final fine-tune holds kernel masks, and two fine-tune epochs leave room to stop inside it.
 */
const DKP: Partial<RunConfig> = {
  data: 'mnist', maxTrainSamples: 96, selectionSamples: 32, headEpochs: 1, finetuneEpochs: 2, batchSize: 32, backend: 'wasm',
  // One head (the model has two blocks), so that head training, one of the stop points, has something to train.
  heads: 1, method: 'dkp', kernelRate: 0.5, kernelsPerStep: 3,
};

let dir = '';
let modelPath = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-cleanup-'));
  const m = tinyPlain();
  modelPath = await saveLayersModel(m, path.join(dir, 'plain'));
  m.dispose();
});
after(() => fs.rm(dir, { recursive: true, force: true }));

/** Where a run is stopped: the first event matching `at`. */
type StopPoint = (e: RunEvent) => boolean;
const inFinalFinetune: StopPoint = (e) => e.type === 'trainProgress' && e.phase === 'final' && e.batch === 2;
const inHeadTraining: StopPoint = (e) => e.type === 'trainProgress' && e.phase === 'heads';
const inSelection: StopPoint = (e) => e.type === 'selectionIteration';
const afterFinetune: StopPoint = (e) => e.type === 'epochDone' && e.phase === 'final' && e.point.epoch === DKP.finetuneEpochs;

/**
 * A signal that, once armed, throws an ordinary error from the engine's next cancellation check: a failure
 * raised inside whatever phase is running at that moment, as a failing disk or backend would.
 */
function failingSignal(): { signal: AbortSignal; arm: () => void } {
  let armed = false;
  let fired = false;
  const signal = {
    get aborted(): boolean {
      if (armed && !fired) {
        fired = true;
        throw new Error('injected failure');
      }
      return false;
    },
  } as unknown as AbortSignal;
  return { signal, arm: () => (armed = true) };
}

async function run(name: string, stop: StopPoint, how: 'cancel' | 'fail'): Promise<{ events: RunEvent[]; out: string }> {
  const out = path.join(dir, `${name}-out`);
  const controller = new AbortController();
  const failing = failingSignal();
  const events: RunEvent[] = [];
  let stopped = false;
  const signal = how === 'cancel' ? controller.signal : failing.signal;
  for await (const e of runPruning(DKP, { modelPath, outDir: out, signal })) {
    events.push(e);
    if (!stopped && stop(e)) {
      stopped = true;
      if (how === 'cancel') controller.abort();
      else failing.arm();
    }
  }
  assert.ok(stopped, `${name}: the run reached its stop point`);
  return { events, out };
}

for (const [name, stop] of [['final fine-tuning', inFinalFinetune], ['head training', inHeadTraining], ['selection', inSelection], ['the last measurements', afterFinetune]] as const) {
  test(`cancelling during ${name} ends with runCancelled, writes nothing and frees every tensor`, async () => {
    const start = tf.memory().numTensors;
    const { events, out } = await run(`cancel-${name.replace(/ /g, '-')}`, stop, 'cancel');
    assert.equal(events.at(-1)!.type, 'runCancelled', JSON.stringify(events.at(-1)));
    assert.ok(!existsSync(out), 'no output folder');
    assert.equal(tf.memory().numTensors, start, 'no leaked tensors');
  });

  test(`a failure during ${name} ends with runFailed naming it and frees every tensor`, async () => {
    const start = tf.memory().numTensors;
    const { events, out } = await run(`fail-${name.replace(/ /g, '-')}`, stop, 'fail');
    const last = events.at(-1)!;
    assert.equal(last.type, 'runFailed', JSON.stringify(last));
    assert.match((last as { message: string }).message, /injected failure/);
    assert.ok(!existsSync(out), 'no output folder');
    assert.equal(tf.memory().numTensors, start, 'no leaked tensors');
  });
}

test('the stop points are where the tests say: inside the final fine-tune, which runs after surgery with more batches to come', async () => {
  const events: RunEvent[] = [];
  for await (const e of runPruning(DKP, { modelPath, outDir: path.join(dir, 'whole-out') })) events.push(e);
  assert.equal(events.at(-1)!.type, 'runFinished', JSON.stringify(events.at(-1)));
  const surgery = events.findIndex((e) => e.type === 'surgeryDone');
  const final = events.findIndex(inFinalFinetune);
  assert.ok(surgery > 0 && final > surgery && events.findIndex(afterFinetune) > final);
  assert.ok(events.slice(final + 1).some((e) => e.type === 'trainProgress' && e.phase === 'final'), 'batches follow the stop point');
});

for (const [name, stop] of [['selection', inSelection], ['final fine-tuning', inFinalFinetune]] as const) {
  test(`a consumer that stops reading during ${name} (break, no signal) leaves no tensor and no output`, async () => {
    const start = tf.memory().numTensors;
    const out = path.join(dir, `break-${name.replace(/ /g, '-')}-out`);
    let reached = false;
    // `break` returns the generator at its yield: no error reaches the engine, only its finally blocks run.
    for await (const e of runPruning(DKP, { modelPath, outDir: out })) {
      if (stop(e)) { reached = true; break; }
    }
    assert.ok(reached, 'the run reached its stop point');
    assert.ok(!existsSync(out), 'no output folder');
    assert.equal(tf.memory().numTensors, start, 'no leaked tensors');
  });
}
