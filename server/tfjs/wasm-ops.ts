/**
 * Calls to the stock `wasm` kernels from inside our own kernels, with explicit ownership of intermediates.
 *
 * Inside a kernel there is no engine scope: every `TensorInfo` a kernel function returns owns one reference on
 * the backend (even `Reshape`, which shares its input's buffer), so each intermediate must be released with
 * `backend.disposeData` exactly once. `Ops` tracks what it created and `release()` frees it, except the value
 * handed back to the engine via `keep()`.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, TensorInfo, NamedAttrMap, NamedTensorInfoMap } from '@tensorflow/tfjs';

/** Padding as the conv kernels accept it: explicit [[0,0],[top,bottom],[left,right],[0,0]] in NHWC. */
export type Pads4 = [[0, 0], [number, number], [number, number], [0, 0]];

/** Geometry of a stride-s / dilation-d 2-D convolution: [rows, cols]. */
export interface ConvGeometry {
  strides: [number, number];
  dilations: [number, number];
  pads: Pads4;
}

/** Looks a stock kernel up once; our replacements capture the original before unregistering it. */
function kernelFunc(name: string): tf.KernelFunc {
  return tf.getKernel(name, 'wasm').kernelFunc;
}

/** Original (stock) kernel functions we delegate to, captured before any of ours replace them. */
const captured = new Map<string, tf.KernelFunc>();

/** Remembers the stock kernel `name` so it can still be called after ours is registered in its place. */
export function captureStock(name: string): tf.KernelFunc | undefined {
  if (!captured.has(name)) {
    const k = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
    if (k === undefined) return undefined;
    captured.set(name, k.kernelFunc);
  }
  return captured.get(name);
}

/** Tracks intermediates created during one kernel call. */
export class Ops {
  private readonly owned: TensorInfo[] = [];

  constructor(readonly backend: KernelBackend) {}

  private run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, registered = false): TensorInfo {
    const f = registered ? kernelFunc(name) : captured.get(name) ?? kernelFunc(name);
    const out = f({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`kernel ${name} returned several outputs`);
    this.owned.push(out);
    return out;
  }

  /** Stops tracking `t` (it is returned to the engine) and returns it. */
  keep(t: TensorInfo): TensorInfo {
    const i = this.owned.lastIndexOf(t);
    if (i >= 0) this.owned.splice(i, 1);
    return t;
  }

  /** Frees every tracked intermediate. Call in `finally`. */
  release(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }

  /** Frees one tracked intermediate early (peak memory matters on the 32-bit heap). */
  free(t: TensorInfo): void {
    const i = this.owned.lastIndexOf(t);
    if (i >= 0) {
      this.owned.splice(i, 1);
      this.backend.disposeData(t.dataId);
    }
  }

  /** Forward NHWC conv, x [N,H,W,Cin], filter [kh,kw,Cin,Cout]. */
  conv2d(x: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
    return this.run('Conv2D', { x, filter }, {
      strides: g.strides, dilations: g.dilations, pad: g.pads, dataFormat: 'NHWC', dimRoundingMode: 'floor',
    });
  }

  /** Forward NHWC depthwise conv, x [N,H,W,C], filter [kh,kw,C,M] → [N,Ho,Wo,C·M]. */
  depthwiseConv2d(x: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
    return this.run('DepthwiseConv2dNative', { x, filter }, {
      strides: g.strides, dilations: g.dilations, pad: g.pads, dataFormat: 'NHWC', dimRoundingMode: 'floor',
    });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    return this.run('Reverse', { x }, { dims });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  stridedSlice(x: TensorInfo, begin: number[], end: number[], strides: number[]): TensorInfo {
    return this.run('StridedSlice', { x }, {
      begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
    });
  }

  concat(xs: TensorInfo[], axis: number): TensorInfo {
    // tfjs passes Concat's inputs as an array (the kernel calls `inputs.map`), not as a named map.
    return this.run('Concat', xs as unknown as NamedTensorInfoMap, { axis });
  }

  /** Average pooling of NHWC x with a window equal to its stride (non-overlapping), 'valid'. */
  avgPool(x: TensorInfo, window: [number, number]): TensorInfo {
    return this.run('AvgPool', { x }, { filterSize: window, strides: window, pad: 'valid', dimRoundingMode: 'floor' });
  }

  /** NHWC DepthToSpace: out[n, h·b + i, w·b + j, c] = x[n, h, w, (i·b + j)·C + c]. */
  depthToSpace(x: TensorInfo, blockSize: number): TensorInfo {
    return this.run('DepthToSpace', { x }, { blockSize, dataFormat: 'NHWC' });
  }

  zeros(shape: number[]): TensorInfo {
    return this.fill(shape, 0);
  }

  /** Mean over the leading `axes` with the kernel registered now (ours: one average pooling). */
  meanLeading(x: TensorInfo, axes: number[]): TensorInfo {
    return this.run('Mean', { x }, { axis: axes, keepDims: false }, true);
  }

  /** Sum over the leading `axes` with the kernel registered now (ours: one average pooling). */
  sumLeading(x: TensorInfo, axes: number[]): TensorInfo {
    return this.run('Sum', { x }, { axis: axes, keepDims: false }, true);
  }

  square(x: TensorInfo): TensorInfo {
    return this.run('Square', { x }, {});
  }

  /**
   * x·scale + bias per channel (the last axis), as one XNNPACK 1×1 depthwise convolution over a [1, R, 1, C]
   * view. The stock broadcasting Multiply and Add take a slow path (64×28×28×8: 1.4 ms for the two against 0.25 ms).
   */
  channelAffine(x: TensorInfo, scale: TensorInfo, bias?: TensorInfo): TensorInfo {
    const c = x.shape[x.shape.length - 1];
    const rows = x.shape.slice(0, -1).reduce((p, q) => p * q, 1);
    const view = this.reshape(x, [1, rows, 1, c]);
    const filter = this.reshape(scale, [1, 1, c, 1]);
    const inputs: NamedTensorInfoMap = bias === undefined ? { x: view, filter } : { x: view, filter, bias };
    const out = this.run('FusedDepthwiseConv2D', inputs, {
      strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', activation: 'linear',
    });
    this.free(view);
    this.free(filter);
    const shaped = this.reshape(out, x.shape);
    this.free(out);
    return shaped;
  }

  /** Sum over `axes`. */
  sum(x: TensorInfo, axes: number[], keepDims = false): TensorInfo {
    return this.run('Sum', { x }, { axis: axes, keepDims });
  }

  /** Plain (untransposed) batched matmul a [B,M,K] × b [B,K,N]. */
  matMul(a: TensorInfo, b: TensorInfo, transposeA = false, transposeB = false): TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA, transposeB });
  }

  mul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run('Multiply', { a, b }, {});
  }

  sub(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run('Sub', { a, b }, {});
  }

  add(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run('Add', { a, b }, {});
  }

  neg(x: TensorInfo): TensorInfo {
    return this.run('Neg', { x }, {});
  }

  rsqrt(x: TensorInfo): TensorInfo {
    return this.run('Rsqrt', { x }, {});
  }

  fill(shape: number[], value: number): TensorInfo {
    return this.run('Fill', {}, { shape, value, dtype: 'float32' });
  }
}

/** Runs `body` with a fresh `Ops`; intermediates are freed whether it returns or throws. */
export function withOps(backend: unknown, body: (ops: Ops) => TensorInfo): TensorInfo {
  const ops = new Ops(backend as KernelBackend);
  try {
    return ops.keep(body(ops));
  } finally {
    ops.release();
  }
}

/** Explicit NHWC padding. */
export function pads(top: number, bottom: number, left: number, right: number): Pads4 {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}
