import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { EXIT } from '../../../server/cli/command';
import { runCli } from '../../../server/cli/main';
import { memoryIO } from '../../../server/cli/output';
import { saveLayersModel } from '../../../server/io/model-files';
import { ProgressPrinter } from '../../../server/cli/progress';
import { DEFAULT_RUN_CONFIG } from '../../../protocol/settings';
import type { MemoryPlan } from '../../../protocol/model';
import { buildMobileNetV2Full } from '../../fixtures/models/mobilenet-v2-full';

const EXAMPLE = path.join(__dirname, '..', '..', '..', 'examples', 'resnet', 'model.json');
let dir = '';

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dcp-dry-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const io = memoryIO();
  const code = await runCli(argv, io);
  return { code, out: io.stdout.join('\n').split('\n'), err: io.stderr.join('\n') };
}

describe('dcp prune --dry-run', () => {
  it('prints the stages and the memory plan per phase and per layer, and writes nothing', async () => {
    const out = path.join(dir, 'out');
    const r = await run('prune', EXAMPLE, '--dry-run', '--backend', 'wasm', '--out', out);
    assert.equal(r.code, EXIT.ok, r.err);
    assert.match(r.out[0], /^dry run: resnet_mnist, 6 prunable convs in 1 stage, dcp at rate 0\.5, backend wasm$/);
    assert.match(r.out[1], /^memory budget 3\.60 GiB \(90% of the WASM heap's 4 GiB ceiling\): batch 64 in one pass$/);
    for (const phase of ['training', 'selection', 'inference']) assert.ok(r.out.some((l) => new RegExp(`^${phase} +[\\d.]+ (MiB|GiB) +64$`).test(l)), phase);
    for (const conv of ['s1b1_2_conv', 's3b2_2_conv']) assert.ok(r.out.some((l) => l.startsWith(`${conv} `) && l.endsWith('memory')), conv);
    assert.ok(!existsSync(out), 'a dry run writes no output');
  });

  it('on a bigger batch, says how the batch is split', async () => {
    const r = await run('prune', EXAMPLE, '--dry-run', '--backend', 'wasm', '--batch-size', '4096');
    assert.equal(r.code, EXIT.ok, r.err);
    assert.match(r.out[1], /batch 4096 as \d+ micro-batches of ≤ \d+ \(gradients accumulated\)/);
  });

  it('refuses, with the phase and the budget, a model whose training step cannot fit at batch 1', async () => {
    await tf.setBackend('cpu');
    // MobileNetV2 at 1024×1024: one sample's activations alone exceed the WASM heap's budget.
    const model = buildMobileNetV2Full(1024, 10);
    const modelPath = await saveLayersModel(model, path.join(dir, 'huge'));
    model.dispose();
    const r = await run('prune', modelPath, '--dry-run', '--backend', 'wasm');
    assert.equal(r.code, EXIT.failure);
    assert.match(r.err, /the run would fail before any work: not enough memory for a training step: it needs about [\d.]+ GiB even at batch 1, and the budget is 3\.60 GiB/);
  });
});

describe('a run\'s progress', () => {
  it('prints the memory plan\'s summary under the run\'s first lines', () => {
    const lines: string[] = [];
    const memory: MemoryPlan = {
      budgetBytes: 2 ** 30, budgetSource: 'a test budget', batchSize: 64, microBatch: 16, accumulationSteps: 4, inferenceBatch: 32,
      phases: [{ phase: 'training', bytes: 2 ** 29, batch: 16 }],
      layers: [{ layer: 'c1', cacheBytes: 3 * 2 ** 20, spill: true, batch: 64, buildBatch: 64, peakBytes: 2 ** 28 }, { layer: 'c2', cacheBytes: 2 ** 20, spill: false, batch: 64, buildBatch: 64, peakBytes: 2 ** 27 }],
      spillBytes: 3 * 2 ** 20,
    };
    const model = { name: 'm', inputShape: [8, 8, 1], numClasses: 2, layers: [], totalParams: 10, totalFlops: 20, prunable: ['c1', 'c2'] };
    const before = { params: 10, flops: 20, accuracy: 0.5, latencyMs1: null, latencyMsBatch: null, latencyBatch: 64 };
    new ProgressPrinter((l) => lines.push(l), null).onEvent({
      type: 'runStarted', config: { ...DEFAULT_RUN_CONFIG }, model, before, heads: [], stages: [{ index: 0, layers: ['c1', 'c2'], head: 0 }], memory, time: Date.now(),
    });
    assert.equal(lines[2], 'memory budget 1.00 GiB (a test budget): batch 64 as 4 micro-batches of ≤ 16 (gradients accumulated); 1 of 2 selection caches spilled to disk (up to 3.0 MiB)');
  });
});
