/**
 * Entry of the pruning worker thread: it owns TF.js and runs the engine for exactly one run, so the server's main
 * thread stays free for inspect, cancel and language features. Bundled as dist/worker.js next to dist/server.js.
 * A failure to load the engine (TF.js, wasm) kills the thread before it answers; the host reports that as runFailed.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { WorkerMemory } from '../protocol/lsp';
import { runPruning } from './dcp/run/engine';
import { runSensitivity } from './dcp/sensitivity/engine';
import { isHostToWorker, readStart, type HostToWorker, type WorkerToHost } from './runs/worker-messages';

const port = parentPort;
if (!port) throw new Error('server/worker.ts must run in a worker thread (the language server starts it)');

const controller = new AbortController();
let started = false;

function post(message: WorkerToHost): void {
  port?.postMessage(message);
}

async function run(message: Extract<HostToWorker, { kind: 'start' }>): Promise<void> {
  const start = readStart(message);
  if (typeof start === 'string') {
    post({ kind: 'event', event: { type: 'runFailed', message: start, time: Date.now() } });
    post({ kind: 'done' });
    return;
  }
  try {
    for await (const event of runPruning(start.config, { ...start.options, signal: controller.signal })) {
      post({ kind: 'event', event });
    }
    post({ kind: 'done', memory: memory() });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    post({ kind: 'error', message: `The engine failed: ${error.message}` });
  }
}

async function analyse(message: Extract<HostToWorker, { kind: 'sensitivity' }>): Promise<void> {
  const o = message.options;
  try {
    const target = o.targetFlops === null ? null : { flopsReduction: o.targetFlops };
    for await (const event of runSensitivity(message.config, { modelPath: o.modelPath, rates: o.rates, target, outFile: o.outFile, signal: controller.signal })) {
      post({ kind: 'sensitivityEvent', event });
    }
    post({ kind: 'done', memory: memory() });
  } catch (e) {
    post({ kind: 'error', message: `The engine failed: ${e instanceof Error ? e.message : String(e)}` });
  }
}

/** Live tensors once the engine returned: anything here is a leak (the thread ends next, which would hide it). */
function memory(): WorkerMemory | null {
  try {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  } catch {
    return null;
  }
}

port.on('message', (m: unknown) => {
  if (!isHostToWorker(m)) return;
  if (m.kind === 'cancel') {
    controller.abort();
  } else if (!started) {
    started = true;
    if (m.kind === 'sensitivity') void analyse(m);
    else void run(m);
  }
});
