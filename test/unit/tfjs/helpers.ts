/** Shared helpers of the TF.js backend tests: deterministic data, backend switching, error measures. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../server/tfjs/backend';

/** Plain host data of a tensor, so the same values can be uploaded to each backend. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** Deterministic uniform(−1, 1) values (mulberry32), independent of the backend's RNG. */
export function randomHost(shape: number[], seed: number): HostTensor {
  let a = seed >>> 0;
  const size = shape.reduce((p, q) => p * q, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    data[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return { data, shape };
}

/** max |a − b| / max |b|: a relative error that does not blow up on entries near zero. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

export type TestBackend = 'wasm' | 'cpu';

/** Switches to `name` (wasm with our kernels) for the rest of the process. */
export async function use(name: TestBackend): Promise<void> {
  const active = await initBackend(name);
  if (active !== name) throw new Error(`wanted backend ${name}, got ${active}`);
}

/**
 * Gradients of `f` w.r.t. all `inputs` on backend `name`, with the upstream gradient `dy` (same shape as f's
 * output); returned as host arrays. Every tensor created here is disposed.
 */
export async function gradsOn(
  name: TestBackend, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: HostTensor[], dy: HostTensor,
): Promise<Float32Array[]> {
  await use(name);
  const xs = inputs.map((h) => tf.tensor(h.data, h.shape));
  const dyT = tf.tensor(dy.data, dy.shape);
  const gs = tf.grads(f)(xs, dyT);
  const out = await Promise.all(gs.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose([...xs, dyT, ...gs]);
  return out;
}

/** Output shape of `f` on the current backend (for building a matching dy). */
export function outShape(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: HostTensor[]): number[] {
  return tf.tidy(() => f(...inputs.map((h) => tf.tensor(h.data, h.shape))).shape);
}

/** Runs one kernel directly (bypassing ops and gradients) on `name` and returns its output as host data. */
export async function kernelOn(
  name: TestBackend, kernel: string, inputs: Record<string, HostTensor>, attrs: tf.NamedAttrMap,
): Promise<Float32Array> {
  await use(name);
  const ts: tf.NamedTensorMap = {};
  for (const [k, h] of Object.entries(inputs)) ts[k] = tf.tensor(h.data, h.shape);
  const out = tf.engine().runKernel(kernel, ts, attrs) as tf.Tensor;
  const data = (await out.data()) as Float32Array;
  tf.dispose([out, ...Object.values(ts)]);
  return data;
}
