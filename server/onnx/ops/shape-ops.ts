/**
 * Shape arithmetic folded at import: PyTorch's `x.view(x.size(0), -1)` with a dynamic batch exports
 * Shape → Gather → Unsqueeze → Concat → Reshape. Shapes are known here except the batch, which is written as 0, the
 * value Reshape reads as "copy this dimension", so the chain folds into the constant [0, -1] that Reshape accepts.
 * These ops are accepted on shapes and constants only; on data they fail naming the node.
 */
import { attrInt, attrInts, DT_INT64 } from '../proto';
import type { OnnxTensor } from '../proto';
import type { OpContext, OpConverter } from './types';

function ints(t: OnnxTensor | null, ctx: OpContext, what: string): number[] {
  const v = t?.ints ?? (t?.floats ? Array.from(t.floats) : null);
  if (!v) ctx.fail(`is supported on constant ${what} only (shape arithmetic), not on data computed from the input`);
  return v;
}

function defineInts(ctx: OpContext, values: number[], dims: number[]): void {
  ctx.define(0, { kind: 'const', tensor: { name: ctx.node.outputs[0]!, dims, dataType: DT_INT64, ints: values } });
}

export const shape: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    const s = x.sym.shape;
    // ONNX order with the batch as 0: image [N, C, H, W] (held NHWC), vector [N, F], pooled [N, C, 1, 1].
    const dims = x.layout === 'image' ? [0, s[3]!, s[1]!, s[2]!] : x.layout === 'pooled' ? [0, s[1]!, 1, 1] : [0, s[1]!];
    const rank = dims.length;
    const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = norm(attrInt(ctx.node, 'start', 0));
    const end = norm(attrInt(ctx.node, 'end', rank));
    const out = dims.slice(start, end);
    defineInts(ctx, out, [out.length]);
  },
};

export const gather: OpConverter = {
  check: (n) => (attrInt(n, 'axis', 0) !== 0 ? 'is supported on 1-D shapes only (axis 0)' : null),
  convert(ctx: OpContext) {
    const data = ints(ctx.constant(0), ctx, 'shapes');
    const idx = ctx.constant(1);
    const at = ints(idx, ctx, 'indices');
    const pick = at.map((i) => data[i < 0 ? i + data.length : i]);
    if (pick.some((v) => v === undefined)) ctx.fail('indexes past the end of the shape');
    defineInts(ctx, pick as number[], idx!.dims.length === 0 ? [] : [pick.length]);
  },
};

export const unsqueeze: OpConverter = {
  convert(ctx: OpContext) {
    const t = ctx.constant(0);
    const v = ints(t, ctx, 'shapes');
    const axes = ctx.opset >= 13 ? ints(ctx.constant(1), ctx, 'axes') : (attrInts(ctx.node, 'axes') ?? []);
    if (t!.dims.length !== 0 || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1)) ctx.fail('is supported on scalars only (making a 1-element shape)');
    defineInts(ctx, v, [1]);
  },
};

export const cast: OpConverter = {
  convert(ctx: OpContext) {
    const t = ctx.constant(0);
    defineInts(ctx, ints(t, ctx, 'shapes'), t!.dims);
  },
};

/** Concat of constants along axis 0 (the shape-building case); tensors go through the Concatenate converter. */
export function concatConstants(ctx: OpContext): boolean {
  const ts = ctx.node.inputs.map((_, i) => ctx.constant(i));
  if (ts.some((t) => t === null)) return false;
  const all = ts.flatMap((t) => ints(t, ctx, 'shapes'));
  defineInts(ctx, all, [all.length]);
  return true;
}
