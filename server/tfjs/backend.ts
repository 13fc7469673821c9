/**
 * Chooses and initialises the TF.js compute backend for the engine.
 *
 * Convention: every module does `import * as tf from '@tensorflow/tfjs'` (one tfjs-core instance) and calls
 * `initBackend` once per process before building models. `auto` prefers the native `tfjs-node` (an optional
 * dependency that usually is not installed; loaded onto this TF.js instance, see node-backend.ts) and falls back
 * to `wasm` with our training kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BackendName } from '../../protocol/model';
import { findTfjsNode, loadTfjsNode, NODE_PATH_ENV } from './node-backend';
import { registerFastKernels } from './register';
import { enableWasmThreads, unrefWasmWorkers } from './threads';
import { guardWasmHeap } from './heap-guard';

export interface BackendOptions {
  /**
   * XNNPACK threads for `wasm` (default 1). More than 1 loads the threaded wasm binary with worker threads (see
   * `threads.ts`); it only applies to the first wasm initialisation in a process, later calls keep that count.
   */
  threads?: number;
  /**
   * Where to look for `@tensorflow/tfjs-node[-gpu]` first: a folder with node_modules, or the package folder
   * (then $DCP_TFJS_NODE_PATH, then next to the program). See node-backend.ts.
   */
  tfjsNodePath?: string;
}

const WASM_FILE = 'tfjs-backend-wasm.wasm';

/** Directory (with a trailing separator) holding the wasm binaries: next to the bundle, else in node_modules. */
export function findWasmDir(): string | null {
  const candidates: string[] = [];
  if (typeof __dirname === 'string') candidates.push(__dirname);
  try {
    candidates.push(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')));
  } catch {
    // Not resolvable from here (e.g. a bundle shipped without node_modules): only the bundle's folder counts.
  }
  for (const dir of candidates) {
    if (existsSync(join(dir, WASM_FILE))) return join(dir, '/');
  }
  return null;
}

let wasmConfigured = false;
let wasmThreads = 1;
/** Undoes the temporary changes threaded initialisation needs; called once the backend is up (or failed). */
let afterInit: (() => void) | null = null;

/** Sets the wasm paths and thread count; both must happen before the wasm backend is first created. */
function configureWasm(threads: number): void {
  if (wasmConfigured) return;
  const dir = findWasmDir();
  if (dir === null) throw new Error(`${WASM_FILE} not found next to the bundle or in node_modules/@tensorflow/tfjs-backend-wasm/dist`);
  if (threads > 1) afterInit = enableWasmThreads(threads);
  setThreadsCount(threads);
  setWasmPaths(dir);
  wasmConfigured = true;
}

/** XNNPACK threads of the wasm backend (1 unless `threads` > 1 was requested at its first initialisation). */
export function wasmThreadCount(): number {
  return wasmThreads;
}

/**
 * The cpu backend prints a "looks like you are running TensorFlow.js in Node.js" banner on its first write.
 * Consume that first write while the PROD flag (which silences tfjs warnings) is set, then restore the flag.
 */
function silenceCpuBanner(): void {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    tf.scalar(0).dispose();
  } finally {
    tf.env().set('PROD', prod);
  }
}

let nodeProblem: string | null = null;

/** Why the native backend was not used by the last `auto`/`node` initialisation (null if it was, or never tried). */
export function nodeBackendProblem(): string | null {
  return nodeProblem;
}

async function tryNode(path: string | undefined): Promise<boolean> {
  if (tf.findBackend('tensorflow') === null) {
    const found = findTfjsNode(path);
    if (found === null) {
      nodeProblem = `@tensorflow/tfjs-node is not installed (looked in ${path ?? `$${NODE_PATH_ENV}`}, and next to the program)`;
      return false;
    }
    try {
      loadTfjsNode(found);
    } catch (e) {
      nodeProblem = `${found.name} at ${found.dir} failed to load: ${e instanceof Error ? e.message : String(e)}`;
      return false;
    }
  }
  const ok = await tf.setBackend('tensorflow');
  nodeProblem = ok ? null : 'the tensorflow backend failed to initialise';
  return ok;
}

async function useWasm(threads: number): Promise<boolean> {
  configureWasm(threads);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    afterInit?.();
    afterInit = null;
  }
  if (ok) {
    wasmThreads = getThreadsCount();
    if (wasmThreads > 1) unrefWasmWorkers(tf.findBackend('wasm'));
    registerFastKernels();
    guardWasmHeap(tf.findBackend('wasm'));
  }
  return ok;
}

/**
 * Activates a backend and returns the name tfjs reports (`tensorflow`, `wasm` or `cpu`).
 * `node` fails if tfjs-node cannot be loaded; `auto` falls back to wasm, then cpu.
 */
export async function initBackend(name: BackendName, opts: BackendOptions = {}): Promise<string> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  let ok = false;
  switch (name) {
    case 'node':
      ok = await tryNode(opts.tfjsNodePath);
      if (!ok) throw new Error(`backend "node" needs @tensorflow/tfjs-node: ${nodeProblem ?? 'not available'}`);
      break;
    case 'wasm':
      ok = await useWasm(threads);
      break;
    case 'cpu':
      ok = await tf.setBackend('cpu');
      break;
    case 'auto':
      ok = (await tryNode(opts.tfjsNodePath)) || (await useWasm(threads)) || (await tf.setBackend('cpu'));
      break;
  }
  if (!ok) throw new Error(`TF.js backend "${name}" failed to initialise`);
  await tf.ready();
  if (tf.getBackend() === 'cpu') silenceCpuBanner();
  return tf.getBackend();
}
