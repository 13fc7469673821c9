/**
 * Issue 12's latency targets, side by side in one run: the pruned MobileNetV2 (224×224, rate 0.3, built in code as in
 * real-models.ts) and the example ResNet (examples/resnet, rate 0.5 as in its demo) against their originals, timed
 * interleaved (every model once per round, round-robin, so load from other processes hits all alike), at batch 1
 * and 64. Target: speed-up ≥ 0.6 × the FLOPs reduction at batch 1 and ≥ 0.8 × at batch 64.
 *
 * Latency depends on the pruned architecture (the kept channel counts, fixed by the rate), not on which channels
 * were kept. So the pruned models come from quick runs that reach the same architecture: `method: l1` with λ = 0
 * (exact least squares only, no λ·L_S passes), no head training, no fine-tuning. `--round-to N` adds, for each
 * model, a run with kept counts rounded to multiples of N (as `--round-to` does in a real run).
 *
 * `--fold` adds every model folded as `--fold-batchnorm` saves it (surgery/fold.ts); a folded pruned model's ratios are
 * against the folded original (pruning alone), and its line also gives the speed-up against the unfolded original.
 *
 * Run: npx tsx bench/real-latency.ts [--rounds 15] [--round-to 8[,4…]] [--fold] [--size 224] [--threads 1] [--only resnet|mobilenet]
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunReport } from '../protocol/model';
import { runPruning } from '../server/dcp/run/engine';
import { loadLayersModel, saveLayersModel } from '../server/io/model-files';
import { initBackend } from '../server/tfjs/backend';
import { median } from '../server/dcp/measure/latency';
import { buildMobileNetV2Like } from '../test/fixtures/models/build';
import { writeNoiseNpy } from './real-models-data';
import { foldBatchNorms } from '../server/dcp/surgery/fold';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

interface Entry { name: string; model: tf.LayersModel; flops: number; params: number; folded?: boolean }

/** Prunes `modelPath` with the quick settings above; returns the pruned model and the run's report. */
async function prune(modelPath: string, config: Partial<RunConfig>, outDir: string): Promise<{ model: tf.LayersModel; report: RunReport }> {
  let report: RunReport | null = null;
  const quick: Partial<RunConfig> = { method: 'l1', lambda: 0, headEpochs: 0, stageFinetune: false, finetuneEpochs: 0, selectionSamples: 64, ...config };
  for await (const e of runPruning(quick, { modelPath, outDir })) {
    if (e.type === 'runFailed') throw new Error(e.message);
    if (e.type === 'runFinished') report = e.report;
  }
  if (!report) throw new Error('the run did not finish');
  return { model: await loadLayersModel(path.join(outDir, 'model.json')), report };
}

async function main(): Promise<void> {
  const rounds = arg('rounds', 15);
  const size = arg('size', 224);
  const roundIdx = process.argv.indexOf('--round-to');
  const roundTos = roundIdx < 0 ? [] : process.argv[roundIdx + 1].split(',').map(Number).filter((n) => n > 1);
  const onlyIdx = process.argv.indexOf('--only');
  const only = onlyIdx < 0 ? null : process.argv[onlyIdx + 1];
  const fold = process.argv.includes('--fold');
  const backend = await initBackend('auto', { threads: arg('threads', 1) });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-bench-lat-'));
  const entries: Entry[][] = [];
  try {
    const jobs: { name: string; modelPath: string; config: Partial<RunConfig> }[] = [];
    if (only !== 'resnet') {
      const mnv2 = buildMobileNetV2Like({ full: true, input: [size, size, 3], classes: 1000 });
      const mnv2Path = await saveLayersModel(mnv2, path.join(dir, 'mnv2'));
      mnv2.dispose();
      const npy = path.join(dir, 'x.npy');
      await writeNoiseNpy(npy, 96, size);
      jobs.push({ name: `MobileNetV2 ${size}`, modelPath: mnv2Path, config: { rate: 0.3, data: npy, labels: 'teacher' } });
    }
    if (only !== 'mobilenet') {
      const resnetPath = path.resolve(__dirname, '../examples/resnet/model.json');
      jobs.push({ name: 'examples/resnet', modelPath: resnetPath, config: { rate: 0.5, data: 'mnist', maxTrainSamples: 2000 } });
    }
    for (const job of jobs) {
      const original = await loadLayersModel(job.modelPath);
      const row: Entry[] = [];
      for (const r of [1, ...roundTos]) {
        const { model, report } = await prune(job.modelPath, { ...job.config, roundTo: r }, path.join(dir, `${row.length}-${entries.length}`));
        if (row.length === 0) row.push({ name: `${job.name} original`, model: original, flops: report.before.flops, params: report.before.params });
        row.push({ name: `${job.name} pruned${r > 1 ? ` --round-to ${r}` : ''}`, model, flops: report.after.flops, params: report.after.params });
      }
      if (fold) {
        for (const e of [...row]) row.push({ ...e, name: `${e.name} folded`, model: (await foldBatchNorms(e.model)).model, folded: true });
      }
      entries.push(row);
    }
    const all = entries.flat();
    console.log(`backend ${backend}, 1 thread; median of ${rounds} interleaved rounds after 2 warm-ups (batch 1: best of 3 calls per turn); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const times = new Map<string, [number[], number[]]>(all.map((e) => [e.name, [[], []]]));
    const cpu0 = process.cpuUsage();
    for (const [bi, batch] of [1, 64].entries()) {
      const inputs = new Map(all.map((e) => [e.name, tf.randomUniform([batch, ...(e.model.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 7)]));
      // At batch 1 each model's turn is the best of 3 back-to-back calls: a 1-2 ms model timed right after a 224×224
      // one picked up its garbage collection and cache misses (single calls of 3-17 ms; one run's median doubled).
      const calls = batch === 1 ? 3 : 1;
      for (let r = 0; r < rounds + 2; r++) {
        for (const e of all) {
          let best = Infinity;
          for (let c = 0; c < calls; c++) {
            const t0 = performance.now();
            const y = e.model.predict(inputs.get(e.name)!) as tf.Tensor;
            await y.data();
            y.dispose();
            best = Math.min(best, performance.now() - t0);
          }
          if (r >= 2) times.get(e.name)![bi].push(best);
        }
      }
      tf.dispose([...inputs.values()]);
    }
    const cpu = process.cpuUsage(cpu0);
    console.log(`timing took ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU; load average after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log('model'.padEnd(48) + 'params'.padStart(11) + 'MFLOPs'.padStart(10) + '   batch 1 ms (speed-up, ÷FLOPs cut)'.padEnd(40) + 'batch 64 ms (speed-up, ÷FLOPs cut)');
    for (const row of entries) {
      const [b1, b64] = times.get(row[0].name)!.map(median);
      const foldedBase = row.find((e) => e.folded);
      const [f1, f64] = foldedBase ? times.get(foldedBase.name)!.map(median) : [b1, b64];
      for (const e of row) {
        const [t1, t64] = times.get(e.name)!.map(median);
        const cut = row[0].flops / e.flops;
        // A folded model against the folded original: the ratio is pruning's; the unfolded original's speed-up follows.
        const [base1, base64] = e.folded ? [f1, f64] : [b1, b64];
        const cell = (t: number, base: number): string => `${t.toFixed(2)} (${(base / t).toFixed(2)}x, ${(base / t / cut).toFixed(2)})`;
        console.log(e.name.padEnd(48) + String(e.params).padStart(11) + (e.flops / 1e6).toFixed(1).padStart(10) + `   ${cell(t1, base1)}`.padEnd(40) + cell(t64, base64) +
          (e === row[0] || e === foldedBase ? '' : `   FLOPs cut ${cut.toFixed(2)}x`) +
          (e.folded ? `   vs unfolded original ${(b1 / t1).toFixed(2)}x / ${(b64 / t64).toFixed(2)}x` : ''));
      }
    }
  } finally {
    for (const e of entries.flat()) e.model.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
