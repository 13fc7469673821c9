/**
 * Our side of the side-by-side training-step benchmark, as a long-lived child process (the wasm thread count is
 * fixed when the backend is first created, so each thread count needs its own process). It speaks the same
 * one-JSON-line-per-command protocol as bench/torch_peer.py, which lets bench/train-step.ts interleave the two.
 *
 *   tsx bench/step-peer.ts MODEL_JSON BATCH_FILE THREADS BACKEND
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { initBackend, wasmThreadCount } from '../server/tfjs/backend';
import { loadLayersModel } from '../server/io/model-files';
import type { BackendName } from '../protocol/model';

/** The batch both peers train on: NHWC float32 values in BATCH_FILE, shape and labels in BATCH_FILE.json. */
export interface BatchMeta {
  shape: number[];
  labels: number[];
  classes: number;
}

export interface KernelRow {
  name: string;
  ms: number;
  calls: number;
}

/** Per-kernel totals of one training step; ops that wrap kernels in their own scope (`…__op`) are skipped. */
async function profileStep(step: () => Promise<void>): Promise<KernelRow[]> {
  const info = await tf.profile(step);
  const rows = new Map<string, KernelRow>();
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue;
    const row = rows.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
    row.ms += k.kernelTimeMs as number;
    row.calls += 1;
    rows.set(k.name, row);
  }
  return [...rows.values()].sort((a, b) => b.ms - a.ms);
}

async function main(): Promise<void> {
  const [modelJson, batchFile, threadsArg, backendArg] = process.argv.slice(2);
  const backend = await initBackend((backendArg ?? 'wasm') as BackendName, { threads: Number(threadsArg ?? 1) });
  const meta = JSON.parse(readFileSync(`${batchFile}.json`, 'utf8')) as BatchMeta;
  const raw = readFileSync(batchFile);
  const x = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), meta.shape);
  const y = tf.oneHot(tf.tensor1d(meta.labels, 'int32'), meta.classes);
  const model = await loadLayersModel(modelJson);
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9, true), loss: 'categoricalCrossentropy' });
  const step = async (): Promise<void> => {
    await model.trainOnBatch(x, y);
  };
  // Predictions first, on the loaded weights (the torch peer checks its copy against them), then a warm-up step.
  const probs = Array.from(await tf.tidy(() => model.predict(x) as tf.Tensor).data());
  await step();
  const threads = backend === 'wasm' ? wasmThreadCount() : 1;
  const reply = (o: unknown): void => {
    process.stdout.write(`${JSON.stringify(o)}\n`);
  };
  reply({ ready: true, backend, threads, probs });
  for await (const line of createInterface({ input: process.stdin })) {
    const { cmd } = JSON.parse(line) as { cmd: string };
    if (cmd === 'step') {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await step();
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      reply({ ms, cpuMs: (c.user + c.system) / 1000 });
    } else if (cmd === 'profile') {
      reply({ kernels: await profileStep(step) });
    } else if (cmd === 'memory') {
      reply({ numTensors: tf.memory().numTensors });
    } else {
      reply({ error: `unknown command ${cmd}` });
    }
  }
  tf.dispose([x, y]);
  model.dispose();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
