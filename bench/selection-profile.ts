/**
 * Where a real-size selection spends its time: runs the engine on the code-built MobileNetV2 (as bench/real-models.ts
 * does, heads untrained and no fine-tuning, since only selection is profiled) and wraps each step of the run's event
 * stream from the first selection on in `tf.profile`, for `--iterations N` greedy iterations (default 3). Prints, per
 * step, wall and process CPU time, the time inside TF.js kernels and the kernels that took most of it; the rest is
 * JavaScript (the exact solver's Gram algebra, tfjs' tape and dispatch).
 *
 * `--layer NAME` profiles that conv: every conv before it is taken out of the plan by a recipe (`prune: false`), so
 * its selection starts at once. Other flags as real-models.ts: `--alpha`, `--size`, `--batch-size`, and any run
 * setting as `--set key=value` (e.g. `--set solverSgdSteps=0`).
 *
 * Run: npx tsx bench/selection-profile.ts [--layer block_13_expand] [--iterations 3]
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent } from '../protocol/model';
import { runPruning } from '../server/dcp/run/engine';
import { analyzeGraph } from '../server/dcp/graph/analyze';
import { saveLayersModel } from '../server/io/model-files';
import { initBackend } from '../server/tfjs/backend';
import { buildMobileNetV2Like } from '../test/fixtures/models/build';
import { writeNoiseNpy } from './real-models-data';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}

/** `--set key=value` pairs as run settings (numbers and booleans parsed). */
function overrides(): Partial<RunConfig> {
  const out: Record<string, unknown> = {};
  process.argv.forEach((a, i) => {
    if (a !== '--set') return;
    const [k, v] = process.argv[i + 1].split('=');
    out[k] = v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v);
  });
  return out as Partial<RunConfig>;
}

async function main(): Promise<void> {
  const alpha = Number(arg('alpha', '1'));
  const size = Number(arg('size', '224'));
  const iterations = Number(arg('iterations', '3'));
  const layer = arg('layer', '');
  await initBackend('auto', { threads: 1 });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-bench-prof-'));
  const model = buildMobileNetV2Like({ full: true, alpha, input: [size, size, 3], classes: 1000 });
  const modelPath = await saveLayersModel(model, path.join(dir, 'model'));
  let recipe = '';
  if (layer) {
    const convs = analyzeGraph(model).prunable.map((p) => p.layer);
    const at = convs.indexOf(layer);
    if (at < 0) throw new Error(`no prunable conv named ${layer} (prunable: ${convs.join(', ')})`);
    recipe = path.join(dir, 'recipe.json');
    const layers = Object.fromEntries(convs.slice(0, at).map((n) => [n, { prune: false }]));
    await fs.writeFile(recipe, JSON.stringify({ version: 1, layers }));
  }
  model.dispose();
  const npy = path.join(dir, 'x.npy');
  await writeNoiseNpy(npy, 96, size);
  const config: Partial<RunConfig> = {
    rate: 0.3, selectionSamples: 64, finetuneEpochs: 0, headEpochs: 0, stageFinetune: false, labels: 'teacher', data: npy, recipe,
    batchSize: Number(arg('batch-size', '64')), ...overrides(),
  };
  console.log(`MobileNetV2 α=${alpha} ${size}×${size}; ${JSON.stringify(overrides())}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const gen = runPruning(config, { modelPath, outDir: path.join(dir, 'pruned') });
  let profiling = false;
  let done = 0;
  try {
    for (;;) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let r!: IteratorResult<RunEvent>;
      const info = profiling ? await tf.profile(async () => { r = await gen.next(); return []; }) : null;
      if (!profiling) r = await gen.next();
      if (r.done) break;
      const e = r.value;
      if (e.type === 'runFailed') throw new Error(e.message);
      if (e.type === 'selectionStarted') {
        console.log(`${e.layer}: ${e.inChannels} channels, stage ${e.stage}`);
        profiling = true;
      }
      if (!info) continue;
      const wall = performance.now() - t0;
      const c = process.cpuUsage(cpu0);
      const byKernel = new Map<string, { ms: number; calls: number }>();
      for (const k of info.kernels) {
        const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
        entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        entry.calls++;
        byKernel.set(k.name, entry);
      }
      const kernelMs = [...byKernel.values()].reduce((a, k) => a + k.ms, 0);
      const what = e.type === 'selectionIteration' ? `iteration ${e.iteration}` : e.type;
      console.log(`  ${what}: wall ${(wall / 1000).toFixed(2)} s, CPU ${((c.user + c.system) / 1e6).toFixed(2)} s, kernels ${(kernelMs / 1000).toFixed(2)} s in ${info.kernels.length} calls; load ${os.loadavg()[0].toFixed(2)}`);
      const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8);
      console.log(`    ${top.map(([n, k]) => `${n} ${(k.ms / 1000).toFixed(2)} s (${k.calls})`).join(', ')}`);
      if (e.type === 'selectionIteration' && ++done >= iterations) break;
    }
  } finally {
    await gen.return(undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
