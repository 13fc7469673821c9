/**
 * Direct access to tensor buffers on the wasm heap, for kernels written as JavaScript loops.
 *
 * Only for kernels whose stock form does far more work than needed (MaxPoolGrad rescans every window for every
 * input pixel): a plain JS pass over `Float32Array` views measured 2-4× slower than a SIMD wasm kernel doing the
 * same pass (e.g. a multiply), so simple elementwise passes stay on the stock kernels.
 * Allocating may grow the heap and detach earlier views, so outputs are allocated first and views taken after.
 */
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs';

/** The part of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  incRef(dataId: object): void;
}

export function wasmBackend(backend: unknown): WasmBackend {
  return backend as WasmBackend;
}

/** Fresh float32 outputs of the given shapes (allocated before any view is taken). */
export function allocate(backend: unknown, ...shapes: number[][]): TensorInfo[] {
  const b = wasmBackend(backend);
  return shapes.map((s) => b.makeOutput(s, 'float32'));
}

/** Float32 views of `ts`; take them only after every allocation of the kernel call. */
export function views(backend: unknown, ...ts: TensorInfo[]): Float32Array[] {
  const b = wasmBackend(backend);
  return ts.map((t) => {
    if (t.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${t.dtype}`);
    return b.typedArrayFromHeap(t);
  });
}

/** A new reference to `x`'s buffer (the engine frees each reference once). */
export function share(backend: KernelBackend | unknown, x: TensorInfo): TensorInfo {
  wasmBackend(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}
