/**
 * A real-size model end to end: the full-width 224×224 MobileNetV2 (3.5 M params, built in code by
 * test/fixtures/models/build.ts, so nothing is downloaded) pruned at rate 0.3 with 64 selection images and no final
 * fine-tuning, on the defaults otherwise. Prints wall time, peak RSS, params, FLOPs, whole-model latency at batch 1
 * and 64 before/after, and the per-layer latency of the convs that changed most.
 *
 * Data: the model is untrained, so there is nothing real to classify; the images are seeded uniform noise
 * (`--samples`, default 160, written as a u1 .npy) labelled by the model itself (`labels: teacher`). Accuracy
 * figures are therefore meaningless here; time, memory and latency are what this measures.
 *
 * `--inception`: the InceptionV3 (test/fixtures/models/inception-v3.ts, 23.9 M params) at 299×299 instead.
 *
 * Run: npx tsx bench/real-models.ts [--inception] [--alpha A] [--size S] [--samples N] [--batch-size B] [--round-to N] [--trace]
 *   [--stage-finetune] [--channels-per-step K] [--selection-minutes M] [--solver-sgd-steps N] (default: the settings' defaults)
 * Without --round-to it runs --round-to 1 and --round-to 8, each in its own process (so each peak RSS is its own).
 * `--sweep`: instead, times 1×1 convs 14×14×c → 160 and 14×14×96 → c (MobileNetV2's block_13 shapes) for c around
 * 96, batch 1 and 64: the measurement `--round-to` rests on.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LayerLatency, RunReport } from '../protocol/model';
import { DEFAULT_RUN_CONFIG } from '../protocol/settings';
import { runPruning } from '../server/dcp/run/engine';
import { saveLayersModel } from '../server/io/model-files';
import { initBackend } from '../server/tfjs/backend';
import { memorySummary } from '../server/cli/memory-plan';
import { forecastSummary, phaseTimingLines } from '../server/cli/forecast-lines';
import { stepPlanLine } from '../server/cli/progress';
import { writeNoiseNpy } from './real-models-data';
import { buildMobileNetV2Like } from '../test/fixtures/models/build';
import { buildInceptionV3Like } from '../test/fixtures/models/inception-v3';
import { loadWithTf } from '../test/fixtures/models/tf-load';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} ms`);

function printLayers(rows: LayerLatency[]): void {
  const sum = (pick: (r: LayerLatency) => number): number => rows.reduce((a, r) => a + pick(r), 0);
  console.log(`per-layer conv latency, sum over ${rows.length} convs: batch 1 ${sum((r) => r.before[0]).toFixed(1)} → ${sum((r) => r.after[0]).toFixed(1)} ms; ` +
    `batch 64 ${sum((r) => r.before[1]).toFixed(1)} → ${sum((r) => r.after[1]).toFixed(1)} ms`);
  const changed = rows.filter((r) => r.inputShape[0].at(-1) !== r.inputShape[1].at(-1) || r.outChannels[0] !== r.outChannels[1]);
  const top = changed.sort((a, b) => b.before[1] - a.before[1]).slice(0, 12);
  console.log('layer                      in→in'.padEnd(34) + 'out→out'.padEnd(12) + 'batch 1 (ms)'.padEnd(18) + 'batch 64 (ms)');
  for (const r of top) {
    console.log(r.layer.padEnd(26) + `${r.inputShape[0].at(-1)}→${r.inputShape[1].at(-1)}`.padEnd(10) + `${r.outChannels[0]}→${r.outChannels[1]}`.padEnd(10) +
      `${r.before[0].toFixed(2)} → ${r.after[0].toFixed(2)}`.padEnd(18) + `${r.before[1].toFixed(1)} → ${r.after[1].toFixed(1)}`);
  }
}

/** The pruned model.json read the way tf.loadLayersModel reads files (its JSON, shards, decodeWeights), then predicted. */
async function checkLoadsInTf(file: string, size: number): Promise<void> {
  const m = await loadWithTf(file);
  const y = tf.tidy(() => m.predict(tf.zeros([2, size, size, 3])) as tf.Tensor);
  console.log(`tf.loadLayersModel(pruned model.json): ${m.countParams()} params, output shape [${y.shape.join(', ')}]`);
  y.dispose();
  m.dispose();
}

async function one(roundTo: number): Promise<void> {
  const alpha = arg('alpha', 1);
  const inception = process.argv.includes('--inception');
  const size = arg('size', inception ? 299 : 224);
  const samples = arg('samples', 160);
  await initBackend('auto', { threads: 1 });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-bench-real-'));
  try {
    const model = inception
      ? buildInceptionV3Like({ alpha, input: [size, size, 3], classes: 1000 })
      : buildMobileNetV2Like({ full: true, alpha, input: [size, size, 3], classes: 1000 });
    const modelPath = await saveLayersModel(model, path.join(dir, 'model'));
    console.log(`${inception ? 'InceptionV3' : 'MobileNetV2'} α=${alpha} ${size}×${size}×3: ${model.countParams()} params; ${samples} noise images, teacher labels; --round-to ${roundTo}`);
    model.dispose();
    const npy = path.join(dir, 'x.npy');
    await writeNoiseNpy(npy, samples, size);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const cpu = (): string => { const u = process.cpuUsage(cpu0); return ((u.user + u.system) / 1e6).toFixed(1); };
    const trace = process.argv.includes('--trace');
    let report: RunReport | null = null;
    const batchSize = arg('batch-size', 64);
    // The settings' defaults unless given (channelsPerStep 0 = auto, within selectionMinutes); the figures say which.
    const channelsPerStep = arg('channels-per-step', DEFAULT_RUN_CONFIG.channelsPerStep);
    const selectionMinutes = arg('selection-minutes', DEFAULT_RUN_CONFIG.selectionMinutes);
    const solverSgdSteps = arg('solver-sgd-steps', DEFAULT_RUN_CONFIG.solverSgdSteps);
    // "No fine-tuning" (issue 12's target): neither final nor stage fine-tunes, unless --stage-finetune.
    const stageFinetune = process.argv.includes('--stage-finetune');
    const config = { rate: 0.3, selectionSamples: 64, finetuneEpochs: 0, stageFinetune, labels: 'teacher' as const, data: npy, roundTo, layerLatency: true, batchSize, channelsPerStep, solverSgdSteps, selectionMinutes };
    console.log(`channelsPerStep ${channelsPerStep} (0 = auto), selectionMinutes ${selectionMinutes}, solverSgdSteps ${solverSgdSteps}, stage fine-tunes ${stageFinetune ? 'on' : 'off'}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for await (const e of runPruning(config, { modelPath, outDir: path.join(dir, 'pruned') })) {
      const t = `${((performance.now() - t0) / 1000).toFixed(0)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`;
      if (e.type === 'runStarted' && e.memory) console.log(`[${t}] ${memorySummary(e.memory)}`);
      if (e.type === 'runStarted' && e.forecast) console.log(`[${t}] ${forecastSummary(e.forecast)}`);
      if (e.type === 'runStarted' && e.stepPlan) console.log(`[${t}] ${stepPlanLine(e.stepPlan)}`);
      if (e.type === 'headsTrained') console.log(`[${t}] heads trained`);
      if (trace && e.type === 'selectionStarted') console.log(`[${t}, CPU ${cpu()} s] ${e.layer}: selection started (${e.inChannels} channels, stage ${e.stage})`);
      if (trace && e.type === 'selectionIteration') console.log(`[${t}, CPU ${cpu()} s] ${e.layer} iteration ${e.iteration}: L_M ${e.lossM.toExponential(3)} L_S ${e.lossS.toFixed(4)}`);
      if (e.type === 'layerDone') console.log(`[${t}, CPU ${cpu()} s] ${e.result.layer}: kept ${e.result.kept.length}/${e.result.inChannels} in ${e.result.iterations} steps (${e.result.seconds.toFixed(1)} s)`);
      if (e.type === 'surgeryDone') console.log(`[${t}] surgery done`);
      if (e.type === 'runFinished') report = e.report;
      if (e.type === 'runFailed') throw new Error(e.message);
    }
    if (!report) throw new Error('the run did not finish');
    const wall = (performance.now() - t0) / 1000;
    const rss = process.resourceUsage().maxRSS / 1024;
    if (report.phases) for (const line of phaseTimingLines(report.phases)) console.log(line);
    console.log(`CPU ${cpu()} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const { before, after } = report;
    console.log(`wall ${wall.toFixed(0)} s, peak RSS ${rss.toFixed(0)} MiB, backend ${report.backend}`);
    console.log(`params ${before.params} → ${after.params} (${(before.params / after.params).toFixed(2)}x); FLOPs ${before.flops} → ${after.flops} (${(before.flops / after.flops).toFixed(2)}x)`);
    console.log(`latency batch 1: ${ms(before.latencyMs1)} → ${ms(after.latencyMs1)}; batch ${before.latencyBatch}: ${ms(before.latencyMsBatch)} → ${ms(after.latencyMsBatch)}`);
    if (report.layerLatency) printLayers(report.layerLatency);
    await checkLoadsInTf(report.model.output!, size);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Median ms of a 1×1 conv 14×14×c → 160 at batch 1 and 64, for c = 88 … 104, on the engine's default backend.
 * The channel counts are timed round-robin, so load from other processes spreads over all of them alike.
 */
async function sweep(): Promise<void> {
  const backend = await initBackend('auto', { threads: 1 });
  const counts = Array.from({ length: 17 }, (_, i) => 88 + i);
  const rounds = 15;
  console.log(`1×1 convs on ${backend}, median of ${rounds} round-robin rounds after 2 warm-ups`);
  const medians = new Map<number, number[]>();
  for (const n of [1, 64]) {
    // c as the input channels (the pruned conv's own) and as the output channels (its producer's filters).
    const inputs = counts.flatMap((c) => [
      [tf.randomUniform([n, 14, 14, c]), tf.randomUniform([1, 1, c, 160])],
      [tf.randomUniform([n, 14, 14, 96]), tf.randomUniform([1, 1, 96, c])],
    ] as [tf.Tensor4D, tf.Tensor4D][]);
    const times = inputs.map(() => [] as number[]);
    for (let r = 0; r < rounds + 2; r++) {
      for (const [i, [x, w]] of inputs.entries()) {
        const t0 = performance.now();
        const y = tf.conv2d(x, w, 1, 'same');
        await y.data();
        y.dispose();
        if (r >= 2) times[i].push(performance.now() - t0);
      }
    }
    tf.dispose(inputs.flat());
    const med = (i: number): number => times[i].sort((a, b) => a - b)[rounds >> 1];
    counts.forEach((c, i) => medians.set(c, [...(medians.get(c) ?? []), med(2 * i), med(2 * i + 1)]));
  }
  console.log('c      14×14×c → 160 (batch 1, 64)    14×14×96 → c (batch 1, 64)');
  for (const c of counts) {
    const [i1, o1, i64, o64] = medians.get(c) as number[];
    console.log(`${String(c).padEnd(3)}${c % 8 === 0 ? ' ×8' : '   '}  ${i1.toFixed(3)} ms, ${i64.toFixed(2)} ms`.padEnd(38) + `${o1.toFixed(3)} ms, ${o64.toFixed(2)} ms`);
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--sweep')) return sweep();
  if (process.argv.includes('--round-to')) return one(arg('round-to', 1));
  const rest = process.argv.slice(2);
  for (const n of [1, 8]) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...rest, '--round-to', String(n)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`--round-to ${n} exited with ${r.status ?? r.signal}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
