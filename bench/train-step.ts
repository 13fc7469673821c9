/**
 * Training-step benchmark: wasm (with our kernels) vs the pure-JS cpu backend, and wasm with 1 vs 2 threads
 * when threads are available. See bench/README.md.
 *
 *   npm run bench                       full comparison (cpu at a small batch, scaled to 64)
 *   npm run bench -- --profile          also prints the slowest wasm kernels of one step
 *   npm run bench -- --builtin          use the in-code ResNet (16/32/64) even if examples/resnet/model.json exists
 *   npm run bench -- --backend wasm --threads 2 --json    one measurement, as JSON (used for the 2-thread run)
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { initBackend, wasmThreadCount } from '../server/tfjs/backend';
import { loadLayersModel } from '../server/io/model-files';

const BATCH = 64;
const WASM_STEPS = 5;
const CPU_BATCH = 16;
const CPU_STEPS = 2;
const MODEL_JSON = join(__dirname, '..', 'examples', 'resnet', 'model.json');

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

/** `--builtin` forces the in-code model even when examples/resnet/model.json exists. */
const BUILTIN = process.argv.includes('--builtin');

async function getModel(): Promise<{ model: tf.LayersModel; source: string }> {
  let got: { model: tf.LayersModel; source: string };
  if (!BUILTIN && existsSync(MODEL_JSON)) got = { model: await loadLayersModel(MODEL_JSON), source: 'examples/resnet/model.json' };
  else got = { model: buildResNet(), source: BUILTIN ? 'built in code (--builtin)' : 'built in code (examples/resnet/model.json not found)' };
  const convs = got.model.layers.filter((l) => l.getClassName() === 'Conv2D').length;
  got.source += `, ${convs} convs, ${got.model.countParams()} params`;
  return got;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Measurement {
  backend: string;
  threads: number;
  batch: number;
  steps: number;
  medianMs: number;
  allMs: number[];
  /** Median process CPU time (user + system, all threads) per step: less sensitive to other load than wall time. */
  medianCpuMs: number;
  source: string;
}

/** One warm-up step, then `steps` timed `trainOnBatch` calls (SGD with Nesterov momentum, cross-entropy). */
async function measure(backend: 'wasm' | 'cpu', batch: number, steps: number, threads: number, profile: boolean): Promise<Measurement> {
  const active = await initBackend(backend, { threads });
  const { model, source } = await getModel();
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9, true), loss: 'categoricalCrossentropy' });
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape[1] as number;
  const x = tf.randomUniform([batch, h, w, c]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32') as tf.Tensor1D, classes);
  await model.trainOnBatch(x, y);
  const allMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await model.trainOnBatch(x, y);
    const c = process.cpuUsage(c0);
    allMs.push(performance.now() - t0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  if (profile) await printProfile(model, x, y);
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  const used = active === 'wasm' ? wasmThreadCount() : 1;
  return { backend: active, threads: used, batch, steps, medianMs: median(allMs), allMs, medianCpuMs: median(cpuMs), source };
}

async function printProfile(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<void> {
  const info = await tf.profile(async () => { await model.trainOnBatch(x, y); });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  // Ops that run kernels inside their own scope (fusedConv2d__op around FusedConv2D) would be counted twice.
  for (const k of info.kernels.filter((k) => !k.name.endsWith('__op'))) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls += 1;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`\nwasm kernels of one step (sum ${total.toFixed(0)} ms):`);
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16)) {
    console.log(`  ${name.padEnd(36)} ${e.ms.toFixed(1).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${String(e.calls).padStart(4)} calls`);
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Runs this script in a fresh process (the wasm thread count is fixed per process) and parses its JSON line. */
function measureInChild(threads: number): Measurement | string {
  const args = [...process.execArgv, __filename, '--backend', 'wasm', '--threads', String(threads), '--json'];
  if (BUILTIN) args.push('--builtin');
  const r = spawnSync(process.execPath, args,
    { encoding: 'utf8', timeout: 600_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || line === undefined) return (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
  return JSON.parse(line) as Measurement;
}

const fmt = (m: Measurement) =>
  `${m.medianMs.toFixed(0)} ms (median of ${m.steps}: ${m.allMs.map((v) => v.toFixed(0)).join(', ')}; CPU time ${m.medianCpuMs.toFixed(0)} ms)`;

async function main(): Promise<void> {
  const only = arg('backend');
  if (only === 'wasm' || only === 'cpu') {
    const m = await measure(only, only === 'cpu' ? CPU_BATCH : BATCH, only === 'cpu' ? CPU_STEPS : WASM_STEPS,
      Number(arg('threads') ?? 1), process.argv.includes('--profile'));
    console.log(process.argv.includes('--json') ? JSON.stringify(m) : `${m.backend} ×${m.threads}: ${fmt(m)}`);
    return;
  }
  const wasm = await measure('wasm', BATCH, WASM_STEPS, 1, process.argv.includes('--profile'));
  console.log(`model: ${wasm.source}`);
  console.log(`wasm, 1 thread, batch ${BATCH}: ${fmt(wasm)}`);
  const cpu = await measure('cpu', CPU_BATCH, CPU_STEPS, 1, false);
  const cpuScaled = (cpu.medianMs * BATCH) / CPU_BATCH;
  console.log(`cpu, batch ${CPU_BATCH}: ${fmt(cpu)} → scaled ×${BATCH / CPU_BATCH} to batch ${BATCH}: ${(cpuScaled / 1000).toFixed(1)} s`);
  const cpuTimeScaled = (cpu.medianCpuMs * BATCH) / CPU_BATCH;
  console.log(`ratio cpu / wasm at batch ${BATCH}: ${(cpuScaled / wasm.medianMs).toFixed(0)}× wall, ${(cpuTimeScaled / wasm.medianCpuMs).toFixed(0)}× CPU time`);
  const load = loadavg()[0];
  console.log(`load average during the run: ${load.toFixed(1)} on ${cpus().length} CPUs${load > cpus().length ? ' (busy machine: wall times are inflated)' : ''}`);
  const two = measureInChild(2);
  if (typeof two === 'string') console.log(`wasm, 2 threads: unavailable (${two})`);
  else if (two.threads < 2) console.log(`wasm, 2 threads: not available in this build (ran with ${two.threads}); see server/tfjs/threads.ts`);
  else console.log(`wasm, 2 threads, batch ${BATCH}: ${fmt(two)}; speed-up over 1 thread ${(wasm.medianMs / two.medianMs).toFixed(2)}×`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
