/**
 * Validation of `weightsManifest`: shard paths that stay inside the model's folder, weight specs whose dtypes we can
 * dequantise, and sizes bounded before anything is allocated (a 3-line manifest can ask for terabytes).
 */
import { items, numberValue, property, stringValue } from './json-tree';
import type { JsonNode } from './json-tree';
import type { ProblemSink } from './model-json';
import { MAX_WEIGHT_BYTES } from './model-types';
import type { WeightDtype, WeightGroup, WeightQuantization, WeightSpec } from './model-types';

const DTYPES: readonly string[] = ['float32', 'int32'] satisfies WeightDtype[];
const QUANT_DTYPES: readonly string[] = ['uint8', 'uint16', 'float16'] satisfies WeightQuantization['dtype'][];
/** Largest single dimension we accept; TF.js itself indexes with int32. */
const MAX_DIM = 2 ** 31 - 1;

/** Validates the manifest node; returns the typed groups, or undefined when any error was reported. */
export function checkWeightsManifest(node: JsonNode, sink: ProblemSink): WeightGroup[] | undefined {
  if (node.type !== 'array') {
    sink.error(node, 'weightsManifest must be an array of {paths, weights} groups');
    return undefined;
  }
  const errorsBefore = sink.problems.filter((p) => p.severity === 'error').length;
  const names = new Set<string>();
  const groups: WeightGroup[] = [];
  const budget = { bytes: 0, exceeded: false };
  items(node).forEach((g, gi) => {
    const path = `weightsManifest[${gi}]`;
    if (g.type !== 'object') {
      sink.error(g, `${path} must be an object with paths and weights`);
      return;
    }
    const pathsNode = property(g, 'paths');
    const weightsNode = property(g, 'weights');
    if (!pathsNode || pathsNode.type !== 'array') {
      sink.error(pathsNode ?? { offset: g.offset, length: 1 }, `${path}.paths must be an array of shard file names`);
      return;
    }
    if (!weightsNode || weightsNode.type !== 'array') {
      sink.error(weightsNode ?? { offset: g.offset, length: 1 }, `${path}.weights must be an array of weight specs`);
      return;
    }
    const paths: string[] = [];
    items(pathsNode).forEach((p, pi) => {
      const file = stringValue(p);
      if (file === undefined) sink.error(p, `${path}.paths[${pi}] must be a string`);
      else {
        const problem = shardPathProblem(file);
        if (problem) sink.error(p, `${path}.paths[${pi}]: shard path "${file}" ${problem}; shard paths must stay inside the model's folder`);
        paths.push(file);
      }
    });
    const weights: WeightSpec[] = [];
    items(weightsNode).forEach((w, wi) => {
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
  if (w.type !== 'object') {
    sink.error(w, `${path} must be an object {name, shape, dtype}`);
    return undefined;
  }
  const nameNode = property(w, 'name');
  const name = stringValue(nameNode);
  const shape = property(w, 'shape');
  const dtypeNode = property(w, 'dtype');
  const dtype = stringValue(dtypeNode);
  if (!nameNode || !name) {
    sink.error(nameNode ?? { offset: w.offset, length: 1 }, `${path}.name must be a non-empty string`);
    return undefined;
  }
  if (names.has(name)) sink.error(nameNode, `${path}: weight "${name}" is listed twice in weightsManifest`);
  names.add(name);
  if (dtype === undefined || !DTYPES.includes(dtype)) {
    const found = dtype !== undefined ? `"${dtype}"` : 'missing';
    sink.error(dtypeNode ?? nameNode, `${path}: dtype ${found} of weight "${name}" is not supported; a layers model stores float32 or int32`);
    return undefined;
  }
  const dims = checkShape(shape, `${path}.shape`, sink);
  if (!dims || !shape) {
    if (!shape) sink.error(nameNode, `${path}: weight "${name}" has no shape`);
    return undefined;
  }
  const spec: WeightSpec = { name, shape: dims, dtype: dtype as WeightDtype };
  const group = stringValue(property(w, 'group'));
  if (group !== undefined) spec.group = group;
  const quant = property(w, 'quantization');
  if (quant && quant.type !== 'null') {
    const q = checkQuantization(quant, path, spec, sink);
    if (!q) return undefined;
    spec.quantization = q;
  }
  // Sizes are checked against the dequantised size: that is what gets allocated.
  const bytes = dims.reduce((n, d) => n * d, 4);
  budget.bytes += bytes;
  if (!budget.exceeded && (bytes > MAX_WEIGHT_BYTES || budget.bytes > MAX_WEIGHT_BYTES)) {
    budget.exceeded = true;
    const what = bytes > MAX_WEIGHT_BYTES ? `weight "${name}" of shape [${dims.join(', ')}] needs` : 'the weights up to here need';
    sink.error(shape, `${path}: ${what} ${formatBytes(bytes > MAX_WEIGHT_BYTES ? bytes : budget.bytes)}; refusing models above ${formatBytes(MAX_WEIGHT_BYTES)}`);
    return undefined;
  }
  return spec;
}

function checkShape(shape: JsonNode | undefined, path: string, sink: ProblemSink): number[] | undefined {
  if (!shape) return undefined;
  if (shape.type !== 'array') {
    sink.error(shape, `${path} must be an array of dimensions`);
    return undefined;
  }
  const dims: number[] = [];
  for (const d of items(shape)) {
    const n = numberValue(d);
    if (n === undefined || !Number.isInteger(n) || n < 0 || n > MAX_DIM) {
      sink.error(d, `${path}: every dimension must be an integer in [0, ${MAX_DIM}]`);
      return undefined;
    }
    dims.push(n);
  }
  return dims;
}

function checkQuantization(node: JsonNode, path: string, spec: WeightSpec, sink: ProblemSink): WeightQuantization | undefined {
  if (node.type !== 'object') {
    sink.error(node, `${path}.quantization must be an object`);
    return undefined;
  }
  const dtypeNode = property(node, 'dtype');
  const dtype = stringValue(dtypeNode);
  if (!dtypeNode || dtype === undefined || !QUANT_DTYPES.includes(dtype)) {
    sink.error(dtypeNode ?? node, `${path}.quantization.dtype must be "uint8", "uint16" or "float16"`);
    return undefined;
  }
  const q: WeightQuantization = { dtype: dtype as WeightQuantization['dtype'] };
  if (q.dtype === 'float16') {
    if (spec.dtype !== 'float32') sink.error(dtypeNode, `${path}: float16 quantisation needs dtype float32, not ${spec.dtype}`);
    return spec.dtype === 'float32' ? q : undefined;
  }
  for (const key of ['scale', 'min'] as const) {
    const v = property(node, key);
    const n = numberValue(v);
    if (!v || n === undefined || !Number.isFinite(n)) {
      sink.error(v ?? node, `${path}.quantization.${key} must be a finite number for ${q.dtype} quantisation`);
      return undefined;
    }
    q[key] = n;
  }
  return q;
}

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}
