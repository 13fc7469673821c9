/**
 * An ONNX conv net → a tf.LayersModel with one equivalent Keras layer per op, so that the whole engine (analysis,
 * selection, surgery, fine-tuning, saving) works on it unchanged. The data layout is converted once: the model
 * takes NHWC input ([N, H, W, C]) where the ONNX graph took NCHW; weights are transposed to match. Every problem the
 * graph has that can be seen without building anything (unknown ops, unsupported attributes, opsets) is reported
 * at once, naming each node, before any layer is made.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeModel, DT_FLOAT } from './proto';
import type { OnnxModel, OnnxNode, OnnxTensor } from './proto';
import { OPS } from './ops/index';
import { OnnxImportError } from './ops/types';
import type { OpContext, TensorValue, Value } from './ops/types';

export { OnnxImportError } from './ops/types';

export const MIN_OPSET = 11;
export const MAX_OPSET = 19;
export const MAX_ONNX_BYTES = 512 * 1024 * 1024;

export interface OnnxProblem {
  node: string;
  op: string;
  why: string;
}

/** Reads and decodes an .onnx file; a file that is not ONNX protobuf becomes an error naming it. */
export async function readOnnxFile(file: string): Promise<OnnxModel> {
  const st = await fs.stat(file);
  if (!st.isFile()) throw new OnnxImportError(`${file}: not a file`);
  if (st.size > MAX_ONNX_BYTES) throw new OnnxImportError(`${file}: ${st.size} bytes is more than the ${MAX_ONNX_BYTES}-byte limit`);
  const bytes = new Uint8Array(await fs.readFile(file));
  try {
    return decodeModel(bytes);
  } catch (e) {
    throw new OnnxImportError(`${file}: not a readable ONNX model (${(e as Error).message})`);
  }
}

/** The default-domain opset the model was exported with. */
export function opsetOf(m: OnnxModel): number {
  return m.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

export function nodeLabel(n: OnnxNode, i: number): string {
  return n.name || `${n.opType}#${i}`;
}

/** Every problem visible without building: opset range, foreign domains, unsupported ops or attributes. */
export function onnxProblems(m: OnnxModel): OnnxProblem[] {
  const out: OnnxProblem[] = [];
  const opset = opsetOf(m);
  if (opset < MIN_OPSET || opset > MAX_OPSET) out.push({ node: '(model)', op: '', why: `opset ${opset} is outside the supported ${MIN_OPSET}-${MAX_OPSET}` });
  m.graph.nodes.forEach((n, i) => {
    const node = nodeLabel(n, i);
    if (n.domain && n.domain !== 'ai.onnx') return out.push({ node, op: n.opType, why: `op from domain "${n.domain}" is not supported` });
    const conv = OPS.get(n.opType);
    if (!conv) return out.push({ node, op: n.opType, why: 'op is not supported' });
    const why = conv.check?.(n, opset);
    if (why) out.push({ node, op: n.opType, why });
  });
  for (const t of m.graph.initializers) if (t.external) out.push({ node: t.name, op: 'initializer', why: 'weights stored in an external file are not supported' });
  return out;
}

export function describeProblems(file: string, problems: OnnxProblem[]): string {
  const lines = problems.map((p) => `  ${p.node}${p.op ? ` (${p.op})` : ''}: ${p.why}`);
  return `${file}: ${problems.length} node${problems.length === 1 ? '' : 's'} cannot be imported:\n${lines.join('\n')}`;
}

/** Keras names allow letters, digits and `_`; PyTorch's node names look like `/layer1/layer1.0/conv1/Conv`. */
function sanitize(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Za-z]/.test(s) ? s : `n${s}`;
}

/** Builds the Layers model. Throws an OnnxImportError naming the node on the first problem; leaks no tensors. */
export function importOnnx(m: OnnxModel, file: string): tf.LayersModel {
  const problems = onnxProblems(m);
  if (problems.length) throw new OnnxImportError(describeProblems(file, problems));
  const opset = opsetOf(m);
  const g = m.graph;
  const values = new Map<string, Value>();
  const consts = new Map<string, OnnxTensor>(g.initializers.map((t) => [t.name, t]));
  for (const t of g.initializers) values.set(t.name, { kind: 'const', tensor: t });
  const used = new Set<string>();
  const unique = (base: string): string => {
    let n = base;
    for (let k = 2; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  };
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const built: tf.layers.Layer[] = [];
  const absorbed = new Set<OnnxNode>();
  try {
    const inputs = g.inputs.filter((v) => !consts.has(v.name)).map((v) => {
      if (v.elemType !== DT_FLOAT) throw new OnnxImportError(`${file}: input "${v.name}" is not float32`);
      const d = v.dims;
      const fixed = d?.slice(1).every((x): x is number => typeof x === 'number' && x > 0);
      if (!d || !fixed || (d.length !== 4 && d.length !== 2)) {
        throw new OnnxImportError(`${file}: input "${v.name}" needs a shape [N, C, H, W] (or [N, F]) with C, H, W fixed, got [${d?.join(', ') ?? 'none'}]`);
      }
      const [, c, h, w] = d as number[];
      const sym = tf.input({ shape: d.length === 4 ? [h!, w!, c!] : [c!], name: unique(sanitize(v.name)) });
      values.set(v.name, { kind: 'tensor', sym, layout: d.length === 4 ? 'image' : 'vector' });
      return sym;
    });
    if (inputs.length !== 1) throw new OnnxImportError(`${file}: the model has ${inputs.length} inputs; one image input is supported`);
    g.nodes.forEach((node, idx) => {
      if (absorbed.has(node)) return;
      const label = nodeLabel(node, idx);
      const fail = (why: string): never => {
        throw new OnnxImportError(`${file}: node ${label} (${node.opType}) ${why}`);
      };
      const valueOf = (i: number): Value | null => {
        const name = node.inputs[i];
        if (!name) return null;
        const v = values.get(name);
        if (!v) fail(`reads "${name}", which no earlier node or initializer defines`);
        return v!;
      };
      const ctx: OpContext = {
        node,
        opset,
        layerName: (suffix) => unique(sanitize(`${node.name || `${node.opType}_${idx}`}${suffix ? `_${suffix}` : ''}`)),
        tensor(i) {
          const v = valueOf(i);
          if (!v || v.kind !== 'tensor') return fail(`needs input ${i + 1} to be computed from the network input, not a constant`);
          return v;
        },
        constant(i) {
          const v = valueOf(i);
          return v?.kind === 'const' ? v.tensor : null;
        },
        constantNamed(name) {
          const v = values.get(name);
          return v?.kind === 'const' ? v.tensor : null;
        },
        has: (i) => Boolean(node.inputs[i]),
        define(i, v) {
          values.set(node.outputs[i]!, v);
        },
        apply(layer, x, weights) {
          built.push(layer);
          const sym = layer.apply(x) as tf.SymbolicTensor;
          if (weights?.length) {
            const ts = weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
            try {
              layer.setWeights(ts);
            } finally {
              tf.dispose(ts);
            }
          }
          return sym;
        },
        consumers: (i) => consumers.get(node.outputs[i] ?? '') ?? [],
        absorb(n, v) {
          absorbed.add(n);
          values.set(n.outputs[0]!, v);
        },
        fail,
      };
      OPS.get(node.opType)!.convert(ctx);
    });
    const outputs = g.outputs.map((o) => {
      const v = values.get(o.name);
      if (!v || v.kind !== 'tensor') throw new OnnxImportError(`${file}: output "${o.name}" is not computed from the input`);
      return (v as TensorValue).sym;
    });
    // PyTorch names every graph `torch_jit`; the file name says which model this is.
    return tf.model({ inputs, outputs, name: sanitize(path.basename(file).replace(/\.onnx$/i, '') || g.name) });
  } catch (e) {
    for (const l of built) disposeQuietly(l);
    if (e instanceof OnnxImportError) throw e;
    throw new OnnxImportError(`${file}: cannot import: ${(e as Error).message}`);
  }
}

function disposeQuietly(l: tf.layers.Layer): void {
  try {
    if (l.built) l.dispose();
  } catch {
    // A layer whose weights were never made has nothing to free.
  }
}

/** readOnnxFile + importOnnx. */
export async function loadOnnxModel(file: string): Promise<tf.LayersModel> {
  return importOnnx(await readOnnxFile(file), file);
}
