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
    assert.match(r.out[0], /^dry run: resnet_mnist, 6 prunable convs in 3 stages, dcp at rate 0\.5, backend wasm$/);
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
