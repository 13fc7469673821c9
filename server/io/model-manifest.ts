/**
 * Validation of `weightsManifest`: shard paths that stay inside the model's folder, weight specs whose dtypes we can
 * dequantise, and sizes bounded before anything is allocated (a 3-line manifest can ask for terabytes).
 */
import { findProperty } from './model-json-parse';
import type { JsonNode } from './model-json-parse';
import type { ProblemSink } from './model-json';
import { MAX_WEIGHT_BYTES } from './model-types';
import type { WeightDtype, WeightGroup, WeightQuantization, WeightSpec } from './model-types';

const DTYPES: readonly string[] = ['float32', 'int32'] satisfies WeightDtype[];
const QUANT_DTYPES: readonly string[] = ['uint8', 'uint16', 'float16'] satisfies WeightQuantization['dtype'][];
/** Largest single dimension we accept; TF.js itself indexes with int32. */
const MAX_DIM = 2 ** 31 - 1;

/** Validates the manifest node; returns the typed groups, or undefined when any error was reported. */
export function checkWeightsManifest(node: JsonNode, sink: ProblemSink): WeightGroup[] | undefined {
  if (node.kind !== 'array') {
    sink.error(node, 'weightsManifest must be an array of {paths, weights} groups');
    return undefined;
  }
  const errorsBefore = sink.problems.filter((p) => p.severity === 'error').length;
  const names = new Set<string>();
  const groups: WeightGroup[] = [];
  const budget = { bytes: 0, exceeded: false };
  node.items.forEach((g, gi) => {
    const path = `weightsManifest[${gi}]`;
    if (g.kind !== 'object') {
      sink.error(g, `${path} must be an object with paths and weights`);
      return;
    }
    const pathsNode = findProperty(g, 'paths')?.value;
    const weightsNode = findProperty(g, 'weights')?.value;
    if (!pathsNode || pathsNode.kind !== 'array') {
      sink.error(pathsNode ?? { offset: g.offset, length: 1 }, `${path}.paths must be an array of shard file names`);
      return;
    }
    if (!weightsNode || weightsNode.kind !== 'array') {
      sink.error(weightsNode ?? { offset: g.offset, length: 1 }, `${path}.weights must be an array of weight specs`);
      return;
    }
    const paths: string[] = [];
    pathsNode.items.forEach((p, pi) => {
      if (p.kind !== 'string') sink.error(p, `${path}.paths[${pi}] must be a string`);
      else {
        const problem = shardPathProblem(p.value);
        if (problem) sink.error(p, `${path}.paths[${pi}]: shard path "${p.value}" ${problem}; shard paths must stay inside the model's folder`);
        paths.push(p.value);
      }
    });
    const weights: WeightSpec[] = [];
    weightsNode.items.forEach((w, wi) => {
      const spec = checkSpec(w, `${path}.weights[${wi}]`, sink, names, budget);
      if (spec) weights.push(spec);
    });
    if (paths.length === 0 && weights.some((w) => w.shape.every((d) => d > 0))) {
      sink.error(pathsNode, `${path}.paths is empty but the group has weights`);
    }
    groups.push({ paths, weights });
  });
  const errorsAfter = sink.problems.filter((p) => p.severity === 'error').length;
  return errorsAfter > errorsBefore ? undefined : groups;
}

/** Why a manifest path may not be opened, or undefined when it is a plain relative path. */
export function shardPathProblem(p: string): string | undefined {
  if (p.length === 0) return 'is empty';
  if (p.includes('\0')) return 'contains a NUL character';
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p)) return 'is absolute';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(p)) return 'is a URL';
  // Backslashes count as separators too, so a Windows-style "..\\x" is caught on every OS.
  if (p.split(/[\\/]/).includes('..')) return 'climbs out with ".."';
  return undefined;
}

function checkSpec(
  w: JsonNode,
  path: string,
  sink: ProblemSink,
  names: Set<string>,
  budget: { bytes: number; exceeded: boolean },
): WeightSpec | undefined {
  if (w.kind !== 'object') {
    sink.error(w, `${path} must be an object {name, shape, dtype}`);
    return undefined;
  }
  const name = findProperty(w, 'name')?.value;
  const shape = findProperty(w, 'shape')?.value;
  const dtype = findProperty(w, 'dtype')?.value;
  if (!name || name.kind !== 'string' || name.value === '') {
    sink.error(name ?? { offset: w.offset, length: 1 }, `${path}.name must be a non-empty string`);
    return undefined;
  }
  if (names.has(name.value)) sink.error(name, `${path}: weight "${name.value}" is listed twice in weightsManifest`);
  names.add(name.value);
  if (!dtype || dtype.kind !== 'string' || !DTYPES.includes(dtype.value)) {
    const found = dtype?.kind === 'string' ? `"${dtype.value}"` : 'missing';
    sink.error(dtype ?? name, `${path}: dtype ${found} of weight "${name.value}" is not supported; a layers model stores float32 or int32`);
    return undefined;
  }
  const dims = checkShape(shape, `${path}.shape`, sink);
  if (!dims || !shape) {
    if (!shape) sink.error(name, `${path}: weight "${name.value}" has no shape`);
    return undefined;
  }
  const spec: WeightSpec = { name: name.value, shape: dims, dtype: dtype.value as WeightDtype };
  const group = findProperty(w, 'group')?.value;
  if (group?.kind === 'string') spec.group = group.value;
  const quant = findProperty(w, 'quantization')?.value;
  if (quant && quant.kind !== 'null') {
    const q = checkQuantization(quant, path, spec, sink);
    if (!q) return undefined;
    spec.quantization = q;
  }
  // Sizes are checked against the dequantised size: that is what gets allocated.
  const bytes = dims.reduce((n, d) => n * d, 4);
  budget.bytes += bytes;
  if (!budget.exceeded && (bytes > MAX_WEIGHT_BYTES || budget.bytes > MAX_WEIGHT_BYTES)) {
    budget.exceeded = true;
    const what = bytes > MAX_WEIGHT_BYTES ? `weight "${name.value}" of shape [${dims.join(', ')}] needs` : 'the weights up to here need';
    sink.error(shape, `${path}: ${what} ${formatBytes(bytes > MAX_WEIGHT_BYTES ? bytes : budget.bytes)}; refusing models above ${formatBytes(MAX_WEIGHT_BYTES)}`);
    return undefined;
  }
  return spec;
}

function checkShape(shape: JsonNode | undefined, path: string, sink: ProblemSink): number[] | undefined {
  if (!shape) return undefined;
  if (shape.kind !== 'array') {
    sink.error(shape, `${path} must be an array of dimensions`);
    return undefined;
  }
  const dims: number[] = [];
  for (const d of shape.items) {
    if (d.kind !== 'number' || !Number.isInteger(d.value) || d.value < 0 || d.value > MAX_DIM) {
      sink.error(d, `${path}: every dimension must be an integer in [0, ${MAX_DIM}]`);
      return undefined;
    }
    dims.push(d.value);
  }
  return dims;
}

function checkQuantization(node: JsonNode, path: string, spec: WeightSpec, sink: ProblemSink): WeightQuantization | undefined {
  if (node.kind !== 'object') {
    sink.error(node, `${path}.quantization must be an object`);
    return undefined;
  }
  const dtype = findProperty(node, 'dtype')?.value;
  if (!dtype || dtype.kind !== 'string' || !QUANT_DTYPES.includes(dtype.value)) {
    sink.error(dtype ?? node, `${path}.quantization.dtype must be "uint8", "uint16" or "float16"`);
    return undefined;
  }
  const q: WeightQuantization = { dtype: dtype.value as WeightQuantization['dtype'] };
  if (q.dtype === 'float16') {
    if (spec.dtype !== 'float32') sink.error(dtype, `${path}: float16 quantisation needs dtype float32, not ${spec.dtype}`);
    return spec.dtype === 'float32' ? q : undefined;
  }
  for (const key of ['scale', 'min'] as const) {
    const v = findProperty(node, key)?.value;
    if (!v || v.kind !== 'number' || !Number.isFinite(v.value)) {
      sink.error(v ?? node, `${path}.quantization.${key} must be a finite number for ${q.dtype} quantisation`);
      return undefined;
    }
    q[key] = v.value;
  }
  return q;
}

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}
