/**
 * Calibrates the memory planner's training-step factor (server/dcp/measure/memory.ts): for a few models and batch
 * sizes, the wasm heap's growth over two training steps of the engine's own loop, divided by the planner's unit
 * (Σ layer outputs × batch × 4 bytes). One child process per measurement, because the wasm heap never shrinks.
 *
 *   npx tsx bench/memory-calibrate.ts            the table
 *   npx tsx bench/memory-calibrate.ts --model NAME   the table for one model
 *   npx tsx bench/memory-calibrate.ts --infer        the same for an accuracy pass (the inference factor)
 *   npx tsx bench/memory-calibrate.ts --one MODEL BATCH   one measurement, as JSON (what the table's children run)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildResNet, buildVgg } from '../examples/architectures';
import { analyzeGraph, summarizeModel } from '../server/dcp/graph/graph';
import { activationElements } from '../server/dcp/measure/memory-shapes';
import { plainNetwork } from '../server/dcp/measure/stats';
import { accuracy, train } from '../server/dcp/train/train';
import { initBackend } from '../server/tfjs/backend';
import { loadLayersModel } from '../server/io/model-files';
import { buildMobileNetV2Full } from '../test/fixtures/models/mobilenet-v2-full';

const MODELS: Record<string, () => Promise<tf.LayersModel>> = {
  resnet: () => loadLayersModel(join(__dirname, '..', 'examples', 'resnet', 'model.json')),
  vgg: () => loadLayersModel(join(__dirname, '..', 'examples', 'vgg', 'model.json')),
  'resnet-wide': async () => buildResNet({ width: 32 }),
  'vgg-wide': async () => buildVgg({ width: 32 }),
  // Issue 12's shapes: depthwise convs, 224×224 inputs, 1000 classes.
  'mobilenetv2-224': async () => buildMobileNetV2Full(),
};
/** Batches per model; MobileNetV2 at 224 takes minutes per step at 64. */
const BATCHES: Record<string, number[]> = { 'mobilenetv2-224': [2, 4] };
const DEFAULT_BATCHES = [16, 64];

function wasmHeapBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return backend.wasm?.HEAPU8.length ?? 0;
}

/** `--infer`: an accuracy pass (GraphRunner keeps every intermediate until the batch's tidy ends) instead of training. */
const INFER = process.argv.includes('--infer');

async function one(name: string, batch: number): Promise<void> {
  await initBackend('wasm');
  const model = await MODELS[name]();
  const summary = summarizeModel(model, analyzeGraph(model), name);
  const shape = summary.inputShape as [number, number, number];
  const perSample = shape.reduce((a, b) => a * b, 1);
  const count = batch * 2;
  const x = new Float32Array(count * perSample).map((_, i) => Math.sin(i) * 0.5 + 0.5);
  const y = Int32Array.from({ length: count }, (_, i) => i % summary.numClasses);
  const net = plainNetwork(model, shape);
  const before = wasmHeapBytes();
  if (INFER) await accuracy(net, { x, y, count }, batch);
  else {
    const run = train(net, { x, y, count }, { phase: 'final', stage: null, epochs: 1, learningRate: 0.01, batchSize: batch, seed: 1, withHeads: false, validation: null });
    for await (const e of run) void e;
  }
  const after = wasmHeapBytes();
  const unit = activationElements(summary) * batch * 4;
  process.stdout.write(JSON.stringify({ name, batch, params: summary.totalParams, growthMiB: (after - before) / 2 ** 20, unitMiB: unit / 2 ** 20, factor: (after - before) / unit }) + '\n');
}

function table(): void {
  console.log('model         batch  params   heap growth  Σ outputs·b·4  factor');
  for (const name of Object.keys(MODELS)) {
    for (const b of BATCHES[name] ?? DEFAULT_BATCHES) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--one', name, String(b), ...(INFER ? ['--infer'] : [])], { encoding: 'utf8' });
      const line = r.stdout.trim().split('\n').at(-1) ?? '';
      try {
        const m = JSON.parse(line) as { params: number; growthMiB: number; unitMiB: number; factor: number };
        console.log(`${name.padEnd(13)} ${String(b).padStart(5)}  ${String(m.params).padStart(7)}  ${m.growthMiB.toFixed(1).padStart(8)} MiB  ${m.unitMiB.toFixed(1).padStart(9)} MiB  ${m.factor.toFixed(2).padStart(6)}`);
      } catch {
        console.log(`${name} ${b}: failed: ${r.stderr.slice(-500)}`);
      }
    }
  }
}

const at = process.argv.indexOf('--one');
const only = process.argv.indexOf('--model');
if (only >= 0) for (const k of Object.keys(MODELS)) if (k !== process.argv[only + 1]) delete MODELS[k];
if (at >= 0) void one(process.argv[at + 1], Number(process.argv[at + 2]));
else table();
