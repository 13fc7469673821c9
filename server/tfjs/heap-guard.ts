/**
 * Turns an exhausted wasm heap into an error at the allocation that failed, instead of silent heap corruption.
 *
 * tfjs-backend-wasm allocates every tensor with the module's `_malloc` and does not check the result. When the
 * heap cannot grow (its ceiling is 4 GiB), emscripten's malloc returns 0 and the backend writes the tensor at
 * address 0, over the module's static data; the next wasm call then traps with whatever the damage causes
 * ("divide by zero" inside XNNPACK, "memory access out of bounds" in free, "Aborted()"). Issue 12's 224×224
 * MobileNetV2 run failed that way. Checked here: a failed allocation throws before anything is written.
 */
import * as tf from '@tensorflow/tfjs';

/** The wasm heap could not hold a new tensor (nothing was written; the heap is intact). */
export class WasmHeapExhaustedError extends Error {}

interface WasmModule {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
  asm?: { malloc?: (bytes: number) => number };
}

const guarded = new WeakSet<object>();

/** Wraps the backend's `_malloc` once; later calls on the same module do nothing. */
export function guardWasmHeap(backend: unknown): void {
  const wasm = (backend as { wasm?: WasmModule } | null)?.wasm;
  if (!wasm || typeof wasm._malloc !== 'function' || guarded.has(wasm)) return;
  // Emscripten's first `_malloc` call replaces `Module._malloc` with the raw export: call that export directly so
  // the wrapper cannot be replaced.
  const first = wasm._malloc;
  const raw = (bytes: number): number => (wasm.asm?.malloc ?? first)(bytes);
  wasm._malloc = (bytes: number): number => {
    const p = raw(bytes);
    if (p === 0 && bytes > 0) {
      const mib = (v: number): string => (v / 2 ** 20).toFixed(0);
      // Live tensors against the heap's size tells a real shortage from fragmentation (free space in pieces).
      throw new WasmHeapExhaustedError(
        `the WASM backend ran out of memory: a ${mib(bytes)} MiB tensor did not fit in its heap (${mib(wasm.HEAPU8.length)} MiB, ` +
        `at most 4 GiB; live tensors hold ${mib(tf.memory().numBytes)} MiB, the rest is free in pieces too small or used by the backend itself). ` +
        'Lower --batch-size or --selection-samples, or use a smaller input size; nothing was written to the heap, so the run stopped cleanly');
    }
    return p;
  };
  guarded.add(wasm);
}
