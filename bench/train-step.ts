/**
 * Training-step benchmark, side by side with PyTorch CPU in one run. See bench/README.md.
 *
 *   npm run bench                                  examples/resnet and examples/vgg, 1 and 2 threads
 *   npm run bench -- --profile                     also the per-kernel profile of one step, ours and PyTorch's
 *   npm run bench -- --models resnet --threads 1 --steps 9 --backend wasm
 *   npm run bench -- --builtin                     adds the in-code ResNet 16/32/64 (176k params)
 *   npm run bench -- --json out.json               also saves every step time
 *   npm run bench -- --models mobilenet --batch 16 a model of examples/<name>/ (any input shape), or a model.json path
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinePeer, PYTHON, TORCH_INSTALL, torchEnv, torchMissing, writeBatch, type Ready } from './peers';
import type { KernelRow } from './step-peer';
import { loadLayersModel, saveLayersModel } from '../server/io/model-files';
import { initBackend } from '../server/tfjs/backend';

const ROOT = join(__dirname, '..');
/** Batch of every step (`--batch N`; large inputs such as 224×224 need a smaller one on the 4 GiB wasm heap). */
const BATCH = Number(arg('batch') ?? 64);

interface BenchModel {
  name: string;
  /** model.json, or null when the model does not exist here (it is then listed as skipped). */
  path: string | null;
  note?: string;
}

/** Small ResNet for 28×28×1: stem conv 16, stages of 2 basic blocks at 16/32/64 (stride 2 at stages 2, 3), GAP, dense 10. */
function buildResNet(): tf.LayersModel {
  const convBn = (x: tf.SymbolicTensor, filters: number, strides: number, kernelSize = 3): tf.SymbolicTensor => {
    const c = tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
    return tf.layers.batchNormalization().apply(c) as tf.SymbolicTensor;
  };
  const relu = (x: tf.SymbolicTensor) => tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [28, 28, 1] });
  let h = relu(convBn(input, 16, 1));
  [16, 32, 64].forEach((width, stage) => {
    for (let block = 0; block < 2; block++) {
      const strides = stage > 0 && block === 0 ? 2 : 1;
      const shortcut = strides === 1 && h.shape[3] === width ? h : convBn(h, width, strides, 1);
      const body = convBn(relu(convBn(h, width, strides)), width, 1);
      h = relu(tf.layers.add().apply([body, shortcut]) as tf.SymbolicTensor);
    }
  });
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'resnet_mnist_bench' });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function models(): Promise<BenchModel[]> {
  const chosen = (arg('models') ?? 'resnet,vgg').split(',');
  const list: BenchModel[] = [];
  for (const name of chosen) {
    const file = name.endsWith('.json') ? name : join(ROOT, 'examples', name, 'model.json');
    list.push({ name: name.endsWith('.json') ? name : `examples/${name}`, path: existsSync(file) ? file : null });
  }
  // Hook for the 224×224 MobileNetV2 of its own issue: benchmarked as soon as examples/mobilenet exists.
  const mobile = join(ROOT, 'examples', 'mobilenet', 'model.json');
  if (!chosen.includes('mobilenet')) {
    list.push({ name: 'examples/mobilenet', path: existsSync(mobile) ? mobile : null, note: 'MobileNetV2 224×224, not built yet' });
  }
  if (process.argv.includes('--builtin')) {
    const dir = mkdtempSync(join(tmpdir(), 'dcp-bench-resnet16-'));
    const model = buildResNet();
    list.push({ name: `ResNet 16/32/64 (built in code, ${model.countParams()} params)`, path: await saveLayersModel(model, dir) });
    model.dispose();
  }
  return list;
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1] };
}

const fmtStats = (xs: number[]): string => {
  const s = stats(xs);
  return `${s.median.toFixed(0).padStart(5)} ms  [min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}]`;
};

interface StepReply { ms: number; cpuMs: number }

/** Every measured line, for `--json FILE`. */
const results: Array<Record<string, unknown>> = [];

/** Input shape, class count and forward multiply-adds per sample (conv and dense layers; a step is about 3×). */
async function describe(modelJson: string): Promise<{ input: number[]; classes: number; macs: number }> {
  const model = await loadLayersModel(modelJson);
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const out = layer.outputShape as number[];
    const kernel = layer.getWeights()[0];
    if ((cls === 'Conv2D' || cls === 'DepthwiseConv2D') && kernel) macs += out[1] * out[2] * kernel.size;
    else if (cls === 'Dense' && kernel) macs += kernel.size;
  }
  const input = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape[1] as number;
  model.dispose();
  return { input, classes, macs };
}

function printProfile(title: string, rows: KernelRow[], top = 14): void {
  const total = rows.reduce((a, r) => a + r.ms, 0);
  console.log(`    ${title} (sum ${total.toFixed(0)} ms):`);
  for (const r of rows.slice(0, top)) {
    console.log(`      ${r.name.padEnd(40)} ${r.ms.toFixed(1).padStart(8)} ms ${((100 * r.ms) / total).toFixed(1).padStart(5)}% ${String(r.calls).padStart(5)} calls`);
  }
}

async function benchOne(m: BenchModel & { path: string }, threads: number, steps: number, torchOk: boolean): Promise<void> {
  const backend = arg('backend') ?? 'auto';
  const { input, classes, macs } = await describe(m.path);
  const batchFile = writeBatch([BATCH, ...input], classes, 1);
  const ours = LinePeer.start('ours', process.execPath,
    [...process.execArgv, join(__dirname, 'step-peer.ts'), m.path, batchFile, String(threads), backend]);
  const torch = torchOk
    ? LinePeer.start('PyTorch', PYTHON, [join(__dirname, 'torch_peer.py'), m.path, batchFile, String(threads)], torchEnv(threads))
    : null;
  try {
    const a = await ours.read<Ready>();
    const b = torch ? await torch.read<Ready>() : null;
    const flopsPerStep = 6 * macs * BATCH;
    const oursMs: number[] = [];
    const oursCpu: number[] = [];
    const torchMs: number[] = [];
    const torchCpu: number[] = [];
    for (let i = 0; i < steps; i++) {
      const ra = await ours.ask<StepReply>('step');
      oursMs.push(ra.ms);
      oursCpu.push(ra.cpuMs);
      if (torch) {
        const rb = await torch.ask<StepReply>('step');
        torchMs.push(rb.ms);
        torchCpu.push(rb.cpuMs);
      }
    }
    const gflops = (ms: number) => (flopsPerStep / ms / 1e6).toFixed(1);
    const oursMed = stats(oursMs).median;
    console.log(`\n${m.name}, batch ${BATCH}, ${threads} thread${threads > 1 ? 's' : ''}  (≈${(flopsPerStep / 1e9).toFixed(2)} GFLOP per step: 3 × forward multiply-adds × 2)`);
    console.log(`  ours (${a.backend} ×${a.threads})`.padEnd(30) + `${fmtStats(oursMs)}  CPU ${stats(oursCpu).median.toFixed(0)} ms  ${gflops(oursMed)} GFLOP/s`);
    if (torch && b) {
      const torchMed = stats(torchMs).median;
      let diff = 0;
      for (let i = 0; i < a.probs.length; i++) diff = Math.max(diff, Math.abs(a.probs[i] - b.probs[i]));
      console.log(`  PyTorch ${b.torch} CPU ×${b.threads}`.padEnd(30) + `${fmtStats(torchMs)}  CPU ${stats(torchCpu).median.toFixed(0)} ms  ${gflops(torchMed)} GFLOP/s`);
      const cpuRatio = stats(torchCpu).median / stats(oursCpu).median;
      console.log(`  ratio: our throughput = ${(torchMed / oursMed).toFixed(2)}× PyTorch's by wall time, ${cpuRatio.toFixed(2)}× by CPU time `
        + `(interleaved, median of ${steps} each; same weights: max |Δ prob| ${diff.toExponential(1)})`);
      results.push({ model: m.name, threads, batch: BATCH, oursMs: oursMs, torchMs, oursCpuMs: oursCpu, torchCpuMs: torchCpu,
        ratioWall: torchMed / oursMed, ratioCpu: cpuRatio, oursBackend: `${a.backend}×${a.threads}`, torchThreads: b.threads });
    } else {
      results.push({ model: m.name, threads, batch: BATCH, oursMs, oursCpuMs: oursCpu, oursBackend: `${a.backend}×${a.threads}` });
    }
    if (process.argv.includes('--profile')) {
      printProfile('ours, kernels of one step (tf.profile)', (await ours.ask<{ kernels: KernelRow[] }>('profile')).kernels);
      if (torch) printProfile('PyTorch, operators of one step (torch.profiler, self CPU time)', (await torch.ask<{ kernels: KernelRow[] }>('profile')).kernels);
    }
  } finally {
    ours.stop();
    torch?.stop();
  }
}

async function sgemmPeak(torchOk: boolean): Promise<void> {
  if (!torchOk) {
    console.log('ceiling: single-thread sgemm peak unknown (measured with PyTorch\'s BLAS)');
    return;
  }
  const model = join(ROOT, 'examples', 'resnet', 'model.json');
  const batchFile = writeBatch([BATCH, 28, 28, 1], 10, 1);
  const peer = LinePeer.start('PyTorch', PYTHON, [join(__dirname, 'torch_peer.py'), model, batchFile, '1'], torchEnv(1));
  try {
    await peer.read<Ready>();
    const { gflops } = await peer.ask<{ gflops: number }>('sgemm');
    console.log(`ceiling: this machine's single-thread sgemm peak ${gflops.toFixed(1)} GFLOP/s (OpenBLAS 1024³ via PyTorch, best of 8)`);
  } finally {
    peer.stop();
  }
}

async function main(): Promise<void> {
  const steps = Number(arg('steps') ?? 7);
  const threadCounts = (arg('threads') ?? '1,2').split(',').map(Number);
  const missing = torchMissing();
  if (missing !== null) {
    console.log(`PyTorch is not available (${missing}): printing our figures only. To compare, install it:\n  ${TORCH_INSTALL}`);
  }
  await initBackend('cpu'); // this process only builds and inspects models; the peers compute
  const list = await models();
  console.log(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg()[0].toFixed(1)}`);
  await sgemmPeak(missing === null);
  for (const m of list) {
    if (m.path === null) {
      console.log(`\n${m.name}: skipped (no model.json${m.note ? `; ${m.note}` : ''})`);
      continue;
    }
    for (const t of threadCounts) await benchOne({ ...m, path: m.path }, t, steps, missing === null);
  }
  const load = loadavg()[0];
  console.log(`\nload average at the end: ${load.toFixed(1)} on ${cpus().length} CPUs (compare lines of one run, not across runs)`
    + (load > cpus().length ? '; the machine was busy: wall times and 2-thread lines are inflated, CPU-time ratios are steadier' : ''));
  const json = arg('json');
  if (json !== undefined) writeFileSync(json, `${JSON.stringify({ load, cpus: cpus().length, results }, null, 1)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
