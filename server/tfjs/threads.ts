/**
 * Multithreaded XNNPACK for the wasm backend in Node.
 *
 * tfjs turns wasm threads off in Node (flag WASM_HAS_MULTITHREAD_SUPPORT is false there), and forcing the flag
 * fails: the Emscripten pthread workers are started from a `blob:` URL (`new Worker(blob:…)` throws
 * ERR_WORKER_PATH in Node), and each worker then loads the main script from a Blob through `importScripts`, which
 * in Node reads a file path. What makes it work:
 * 1. the worker script (its text ships inside tfjs as `wasmWorkerContents`) and the main script (the unbundled
 *    Emscripten factory) are written to real files in the temp dir, the worker preceded by a shim that replaces
 *    the main-script Blob of its `load` message with that file's path;
 * 2. while tfjs initialises the threaded module, `worker_threads.Worker` is swapped for a subclass that maps
 *    `blob:` URLs to that file. Emscripten captures the class into its `Worker` global at that moment, so later
 *    pool growth keeps working; the swap is undone right after initialisation.
 * 3. the C++ side caps the XNNPACK pool at os.cpus().length / 2 (a static initialiser reads it through
 *    `require("os").cpus()` when the module is instantiated), i.e. 1 on a 2-CPU machine: during initialisation
 *    `os.cpus` reports enough CPUs for the requested count, and is restored right after.
 * The pool size itself comes from setThreadsCount. Only convolutions and matmuls (XNNPACK) use the extra threads.
 * Measured on the 2-core machine (best of 15, batch 64, 28×28×16 3×3 conv): forward 7.5 → 4.6 ms, input gradient
 * 7.8 → 5.1 ms, filter gradient 14.9 → 10.6 ms, a 3136×256×256 matmul 12.2 → 7.0 ms; elementwise ops unchanged.
 * Results match the single-thread path (test/unit/tfjs/threads.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import threadedFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
// Default imports are the module objects themselves (a namespace import would be a copy under CommonJS interop).
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import workerThreads from 'node:worker_threads';

/**
 * Prepended to the Emscripten worker code: its `load` message carries the main script as a Blob, which the Node
 * branch of the worker cannot import; point it at the file we wrote instead (then `importScripts` reads it).
 */
function shim(mainScript: string): string {
  return `"use strict";
const __dcpPort = require("worker_threads").parentPort;
const __dcpOn = __dcpPort.on.bind(__dcpPort);
__dcpPort.on = function (event, handler) {
  if (event !== "message") return __dcpOn(event, handler);
  return __dcpOn("message", (data) =>
    handler(data && data.cmd === "load" ? Object.assign({}, data, { urlOrBlob: ${JSON.stringify(mainScript)} }) : data));
};
`;
}

/** Writes `text` to a content-addressed file in the temp dir (atomic rename: several processes may race). */
function writeOnce(stem: string, text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `dcp-tfjs-wasm-${stem}-${hash}.js`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return file;
}

/**
 * The two scripts a pthread worker needs, as files. The main script is the unbundled Emscripten factory (the copy
 * inside tfjs's rollup bundle, which tfjs puts in the Blob, refers to bundle-level `require$$N` variables that do
 * not exist in a worker).
 */
function workerFile(): string {
  const mainScript = writeOnce('main', `var WasmBackendModuleThreadedSimd = ${threadedFactory.toString()};\n`);
  // tfjs escapes newlines the same way before putting this text into a Blob: the source has "\n" inside strings.
  return writeOnce('worker', shim(mainScript) + wasmWorkerContents.replace(/\n/g, '\\n'));
}

type WorkerCtor = typeof workerThreads.Worker;

/**
 * Prepares a threaded wasm initialisation and returns an `undo` to call once `tf.setBackend('wasm')` settled.
 * Must run before the wasm backend is first created in this process.
 */
export function enableWasmThreads(threads: number): () => void {
  const file = workerFile();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const mod = workerThreads as { Worker: WorkerCtor };
  const original = mod.Worker;
  class PathWorker extends original {
    constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
      super(String(url).startsWith('blob:') ? file : url, options);
    }
  }
  let swapped = false;
  try {
    mod.Worker = PathWorker;
    swapped = mod.Worker === PathWorker;
  } catch {
    swapped = false;
  }
  if (!swapped) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return () => undefined;
  }
  const osMod = os as { cpus: typeof os.cpus };
  const cpus = osMod.cpus;
  const real = cpus();
  osMod.cpus = () => (real.length >= 2 * threads ? real : Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]));
  return () => {
    mod.Worker = original;
    osMod.cpus = cpus;
  };
}

interface PThreadPool {
  PThread?: { runningWorkers?: Array<{ unref(): void }>; unusedWorkers?: Array<{ unref(): void }> };
}

/**
 * XNNPACK's pool threads are Emscripten pthreads that Emscripten `ref()`s while they run, and pool threads run
 * forever: without this the process would never exit on its own. Unref'd workers keep working.
 */
export function unrefWasmWorkers(backend: unknown): void {
  const wasm = (backend as { wasm?: PThreadPool }).wasm;
  for (const w of [...(wasm?.PThread?.runningWorkers ?? []), ...(wasm?.PThread?.unusedWorkers ?? [])]) w.unref();
}
