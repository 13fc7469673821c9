/**
 * Input gradient of a (depthwise) convolution computed with forward convolutions only.
 *
 * Forward, per spatial axis: y[i] = Σ_a x[i·s + a·d − p] · w[a]. Its adjoint is
 *   dx[h] = Σ_{i,a : i·s + a·d − p = h} dy[i] · w[a].
 * Stride 1: a stride-1 conv of dy with the spatially flipped filter (dilation d, pad (k−1)·d − p).
 * Stride s > 1 (then d = 1): rows h ≡ ρ (mod s) only receive taps a ≡ (ρ + p) (mod s), so dx splits into s×s
 * polyphase sub-convolutions, each a stride-1 conv of dy with one phase of the flipped filter; the phases are
 * interleaved afterwards. This does the exact number of multiply-adds of the adjoint, with no zeros inserted.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import { type ConvGeometry, type Ops, pads } from './wasm-ops';

/** One spatial axis of a phase: which flipped taps it uses and where its sub-conv reads dy. */
export interface AxisPhase {
  /** First tap in the flipped filter, taken every `step` taps, `taps` of them (0 = the phase gets no taps). */
  first: number;
  taps: number;
  /** Padding before dy (may be negative: then dy is cropped). */
  padBefore: number;
  /** Padding after dy (may be negative). */
  padAfter: number;
}

/** Plan for one axis: `stride` phases, each producing `count` rows (dx rows ρ, ρ+s, ρ+2s, … before cropping). */
export interface AxisPlan {
  phases: AxisPhase[];
  count: number;
  step: number;
}

/**
 * Polyphase plan for one axis.
 * @param inSize dx size along the axis (H), dySize dy size (Ho), k filter taps, s stride, d dilation, p padding before.
 */
export function planAxis(inSize: number, dySize: number, k: number, s: number, d: number, p: number): AxisPlan {
  if (s > 1 && d > 1) throw new Error('transposed conv: stride and dilation cannot both exceed 1');
  const count = Math.ceil(inSize / s);
  const phases: AxisPhase[] = [];
  for (let rho = 0; rho < s; rho++) {
    // Taps a = a0 + s·t reach rows h ≡ rho; dy index i = c + u − t for dx row h = rho + s·u.
    const a0 = s === 1 ? 0 : (rho + p) % s;
    const taps = a0 >= k ? 0 : Math.ceil((k - a0) / s);
    const c = Math.floor((rho + p) / s);
    const first = k - 1 - a0 - s * (taps - 1);
    const padBefore = (taps - 1) * d - c;
    const padAfter = count + (taps - 1) * d - dySize - padBefore;
    phases.push({ first, taps, padBefore, padAfter });
  }
  return { phases, count, step: s };
}

/** Which forward op computes one phase: a full conv or a depthwise conv (same calling convention). */
export type ForwardConv = (ops: Ops, x: TensorInfo, filter: TensorInfo, g: ConvGeometry) => TensorInfo;

/**
 * dx of a convolution from dy [N,Ho,Wo,Cdy] and `flipped`, the filter already flipped spatially and laid out for
 * `forward` ([kh,kw,Cdy,Cout] for a conv, [kh,kw,Cdy,1] for a depthwise conv with Cout = Cdy).
 * Returns [N,H,W,Cout] where [H,W] = inHW.
 */
export function transposedConv(
  ops: Ops, forward: ForwardConv, dy: TensorInfo, flipped: TensorInfo, inHW: [number, number],
  stride: [number, number], dilation: [number, number], padTopLeft: [number, number],
): TensorInfo {
  const [n, dyH, dyW] = dy.shape;
  const [kh, kw, , cOut0] = flipped.shape;
  const cOut = forward === depthwise ? dy.shape[3] : cOut0;
  const rows = planAxis(inHW[0], dyH, kh, stride[0], dilation[0], padTopLeft[0]);
  const cols = planAxis(inHW[1], dyW, kw, stride[1], dilation[1], padTopLeft[1]);
  const whole = stride[0] === 1 && stride[1] === 1;

  const phaseOut = (r: AxisPhase, c: AxisPhase): TensorInfo => {
    if (r.taps === 0 || c.taps === 0) return ops.zeros([n, rows.count, cols.count, cOut]);
    const filter = whole ? flipped : ops.stridedSlice(flipped,
      [r.first, c.first, 0, 0], [r.first + (r.taps - 1) * stride[0] + 1, c.first + (c.taps - 1) * stride[1] + 1,
        flipped.shape[2], flipped.shape[3]], [stride[0], stride[1], 1, 1]);
    const out = convSignedPads(ops, forward, dy, filter, r, c, dilation, [n, rows.count, cols.count, cOut]);
    if (filter !== flipped) ops.free(filter);
    return out;
  };

  if (whole) return phaseOut(rows.phases[0], cols.phases[0]);

  // Interleave: out[n, u·sh + ρ, v·sw + σ, c] = phase(ρ,σ)[n, u, v, c]. Stack the phases on leading axes (a plain
  // copy), then two transposes of rank ≤ 4 (the wasm Transpose is fast up to rank 4, slow beyond; DepthToSpace
  // is slow too): [ρ, σ, N·U·V, C] → [ρ, N·U·V, σ, C] = [ρ, N·U, V·σ·C] → [N·U, ρ, V·σ·C].
  const parts: TensorInfo[] = [];
  for (const r of rows.phases) for (const c of cols.phases) parts.push(phaseOut(r, c));
  const [sh, sw] = stride;
  const nu = n * rows.count;
  const stacked = ops.concat(parts.map((p) => ops.reshape(p, [1, nu * cols.count, cOut])), 0);
  for (const p of parts) ops.free(p);
  const byRow = ops.reshape(stacked, [sh, sw, nu * cols.count, cOut]);
  ops.free(stacked);
  const colsDone = sw === 1 ? byRow : ops.transpose(byRow, [0, 2, 1, 3]);
  if (colsDone !== byRow) ops.free(byRow);
  const flat = ops.reshape(colsDone, [sh, nu, cols.count * sw * cOut]);
  ops.free(colsDone);
  const out = sh === 1 ? flat : ops.transpose(flat, [1, 0, 2]);
  if (out !== flat) ops.free(flat);
  const full = ops.reshape(out, [n, rows.count * sh, cols.count * sw, cOut]);
  ops.free(out);
  if (full.shape[1] === inHW[0] && full.shape[2] === inHW[1]) return full;
  const cropped = ops.slice(full, [0, 0, 0, 0], [n, inHW[0], inHW[1], cOut]);
  ops.free(full);
  return cropped;
}

/** Stride-1 conv with possibly negative padding (negative = crop dy first); yields `outShape` [N,U,V,C]. */
function convSignedPads(
  ops: Ops, forward: ForwardConv, dy: TensorInfo, filter: TensorInfo, r: AxisPhase, c: AxisPhase,
  dilation: [number, number], outShape: number[],
): TensorInfo {
  const cropTop = Math.max(0, -r.padBefore);
  const cropBottom = Math.max(0, -r.padAfter);
  const cropLeft = Math.max(0, -c.padBefore);
  const cropRight = Math.max(0, -c.padAfter);
  const [n, h, w, ch] = dy.shape;
  const keptH = h - cropTop - cropBottom;
  const keptW = w - cropLeft - cropRight;
  if (keptH <= 0 || keptW <= 0) return ops.zeros(outShape);
  const cropped = cropTop + cropBottom + cropLeft + cropRight > 0;
  const src = cropped ? ops.slice(dy, [0, cropTop, cropLeft, 0], [n, keptH, keptW, ch]) : dy;
  const out = forward(ops, src, filter, {
    strides: [1, 1], dilations: dilation,
    pads: pads(Math.max(0, r.padBefore), Math.max(0, r.padAfter), Math.max(0, c.padBefore), Math.max(0, c.padAfter)),
  });
  if (cropped) ops.free(src);
  return out;
}

/** Forward conv, as a `ForwardConv`. */
export const conv: ForwardConv = (ops, x, filter, g) => ops.conv2d(x, filter, g);

/** Depthwise conv with multiplier 1, as a `ForwardConv`. */
export const depthwise: ForwardConv = (ops, x, filter, g) => ops.depthwiseConv2d(x, filter, g);
