/**
 * Checks the memory plan against a real run on issue 12's shapes: MobileNetV2 1.0 at 224×224 on synthetic uint8
 * images with teacher labels and the default batch size, on wasm. Prints the plan, the wasm heap's size after the
 * events that end each phase, and stops after `--layers N` selected layers (default 2: the first, spilled ones are
 * the heaviest). The heap never shrinks, so its last size is the run's peak.
 *
 *   npx tsx bench/memory-run.ts [--layers N] [--images N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runPruning } from '../server/dcp/run/engine';
import { initBackend } from '../server/tfjs/backend';
import { saveLayersModel } from '../server/io/model-files';
import { memoryPlanLines } from '../server/cli/memory-plan';
import { buildMobileNetV2Full } from '../test/fixtures/models/mobilenet-v2-full';
import { npy, put, zip } from '../test/fixtures/data/writers';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function heapMiB(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return (backend.wasm?.HEAPU8.length ?? 0) / 2 ** 20;
}

async function main(): Promise<void> {
  const layers = arg('--layers', 2);
  const images = arg('--images', 160);
  const dir = mkdtempSync(join(tmpdir(), 'dcp-memrun-'));
  try {
    await initBackend('wasm');
    const model = buildMobileNetV2Full();
    const modelPath = await saveLayersModel(model, join(dir, 'model'));
    model.dispose();
    const px = 224 * 224 * 3;
    const x = new Uint8Array(images * px);
    for (let i = 0; i < x.length; i++) x[i] = (i * 2654435761) >>> 24;
    const data = put(join(dir, 'data.npz'), zip({ 'x.npy': npy('|u1', [images, 224, 224, 3], x), 'y.npy': npy('<i8', [images], new Array(images).fill(0)) }, 'stored'));
    const controller = new AbortController();
    let done = 0;
    const t0 = Date.now();
    const config = { data: `npz:${data}`, labels: 'teacher' as const, rate: 0.3, backend: 'wasm' as const };
    for await (const e of runPruning(config, { modelPath, outDir: join(dir, 'out'), signal: controller.signal })) {
      const at = `${((Date.now() - t0) / 1000).toFixed(0)} s, heap ${heapMiB().toFixed(0)} MiB`;
      if (e.type === 'runStarted') {
        console.log(`runStarted (${at})`);
        if (e.memory) for (const line of memoryPlanLines(e.memory)) console.log(`  ${line}`);
      } else if (e.type === 'headsTrained' || e.type === 'stageStarted' || e.type === 'runFailed' || e.type === 'runCancelled' || e.type === 'runFinished') {
        console.log(`${e.type}${e.type === 'runFailed' ? `: ${e.message}` : ''} (${at})`);
      } else if (e.type === 'selectionIteration') {
        console.log(`  ${e.layer} step ${e.iteration} (${at})`);
      } else if (e.type === 'layerDone') {
        console.log(`layerDone ${e.result.layer} (${at})`);
        if (++done >= layers) controller.abort();
      }
    }
    console.log(`wasm heap at the end (the run's peak): ${heapMiB().toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
