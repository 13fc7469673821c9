/**
 * Structural check of a Layers `modelTopology` before TF.js sees it. TF.js's Functional deserialiser re-queues a
 * node whose inbound layer does not exist yet, forever: an inbound node naming no layer, a layer whose name is
 * not a string, or a cycle makes `modelFromJSON` spin on the thread that called it (found by the model.json fuzzer;
 * in the language server that would freeze hover and diagnostics). So every reference is resolved here first, in
 * time linear in the file, and a malformed graph is refused with the layer and node at fault.
 */
import { ModelFileError } from './model-types';

/** Nested models deeper than this are refused (TF.js recurses once per level). */
export const MAX_MODEL_NESTING = 16;
/** More layers than this in one model is not a network anyone prunes in an editor. */
export const MAX_LAYERS = 100_000;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const NESTED_MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

/** Throws ModelFileError when `modelTopology` cannot be a well-formed Layers graph. */
export function checkTopology(file: string, modelTopology: unknown): void {
  if (!isObj(modelTopology)) throw new ModelFileError(file, 'modelTopology must be an object');
  // Keras writes {model_config: {...}, keras_version, backend}; TF.js also accepts the model config itself.
  const config = isObj(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  checkModel(file, config, 'modelTopology', 0);
}

function fail(file: string, where: string, what: string): never {
  throw new ModelFileError(file, `${where}: ${what}`);
}

function checkModel(file: string, model: Obj, where: string, depth: number): void {
  if (depth > MAX_MODEL_NESTING) fail(file, where, `models nested more than ${MAX_MODEL_NESTING} deep`);
  const cls = model.class_name;
  if (typeof cls !== 'string') fail(file, where, 'class_name must be a string');
  const cfg = model.config;
  // Old Sequential files store the layer list as `config` itself.
  const layers = Array.isArray(cfg) ? cfg : isObj(cfg) ? cfg.layers : undefined;
  if (!Array.isArray(layers)) fail(file, where, `config.layers must be a list of layers (class ${cls})`);
  if (layers.length > MAX_LAYERS) fail(file, where, `${layers.length} layers is more than the ${MAX_LAYERS} supported`);
  for (const [i, layer] of layers.entries()) checkLayerShape(file, layer, `${where} layer #${i}`, depth);
  if (cls === 'Sequential') return;
  checkFunctional(file, layers as Obj[], isObj(cfg) ? cfg : {}, where);
}

/** TF.js's own rule for layer and weight names; it throws mid-build (leaving a tensor behind) on any other. */
const VALID_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

/** A value for an error message: JSON, cut short (a hostile name can be megabytes long). */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function checkName(file: string, where: string, key: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'string' || !VALID_NAME.test(v)) fail(file, where, `${key} must be a name of letters, digits and - . _ / (got ${shown(v)})`);
}

/**
 * Initializers run while TF.js builds a layer, before the file's weights replace their values: a NaN scale or
 * stddev makes the truncated-normal sampler reject forever (found by the fuzzer). Numeric fields must be finite.
 */
function checkInitializers(file: string, where: string, config: Obj): void {
  for (const [key, init] of Object.entries(config)) {
    if (!key.endsWith('initializer') || init === null) continue;
    if (!isObj(init) || typeof init.class_name !== 'string' || (init.config !== undefined && !isObj(init.config))) {
      fail(file, where, `${key} must be {class_name, config} (got ${shown(init)})`);
    }
    for (const field of ['scale', 'mean', 'stddev', 'minval', 'maxval', 'value', 'gain'] as const) {
      const v = (init.config as Obj | undefined)?.[field];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) fail(file, where, `${key}.config.${field} must be a finite number (got ${shown(v)})`);
    }
  }
}

function checkLayerShape(file: string, layer: unknown, where: string, depth: number): void {
  if (!isObj(layer)) fail(file, where, 'a layer must be an object');
  if (typeof layer.class_name !== 'string') fail(file, where, 'class_name must be a string');
  if (!isObj(layer.config)) fail(file, where, `config of ${layer.class_name} must be an object`);
  checkName(file, where, 'name', layer.name);
  checkName(file, where, 'config.name', layer.config.name);
  checkInitializers(file, where, layer.config);
  if (NESTED_MODEL_CLASSES.has(layer.class_name)) checkModel(file, layer, `${where} (${layer.class_name})`, depth + 1);
}

/** TF.js keys a functional model's layers by the top-level `name` only (not `config.name`). */
function layerName(l: Obj): string | undefined {
  return typeof l.name === 'string' ? l.name : undefined;
}

/** A tensor reference `[layerName, nodeIndex, tensorIndex, kwargs?]` (inbound nodes, input and output lists). */
function checkRef(file: string, ref: unknown, where: string, nodes: Map<string, number>): string {
  if (!Array.isArray(ref) || ref.length < 3 || ref.length > 4) fail(file, where, 'a tensor reference must be [layer name, node index, tensor index, kwargs?]');
  const [name, node, tensor] = ref;
  if (typeof name !== 'string') fail(file, where, `layer name must be a string (got ${shown(name)})`);
  const count = nodes.get(name);
  if (count === undefined) fail(file, where, `names layer ${shown(name)}, which the model does not have`);
  if (!isIndex(node) || node >= count) fail(file, where, `node index ${shown(node)} of layer "${name}" does not exist (it has ${count})`);
  if (!isIndex(tensor)) fail(file, where, `tensor index must be a non-negative integer (got ${shown(tensor)})`);
  if (ref.length === 4 && !isObj(ref[3])) fail(file, where, 'the fourth entry of a tensor reference must be an object of call arguments');
  return `${name}#${node}`;
}

function checkFunctional(file: string, layers: Obj[], cfg: Obj, where: string): void {
  const nodes = new Map<string, number>();
  for (const [i, l] of layers.entries()) {
    const name = layerName(l);
    if (name === undefined) fail(file, `${where} layer #${i}`, 'a layer of a functional model needs a name');
    if (nodes.has(name)) fail(file, `${where} layer "${name}"`, 'two layers have this name');
    const inbound = l.inbound_nodes ?? [];
    if (!Array.isArray(inbound)) fail(file, `${where} layer "${name}"`, 'inbound_nodes must be a list');
    // Calling one layer on several inputs couples their channels, which pruning cannot split; TF.js also leaks
    // tensors of such layers on dispose (found by the fuzzer). Keras conv nets rarely share layers.
    if (inbound.length > 1) fail(file, `${where} layer "${name}"`, `is called ${inbound.length} times (shared layers are not supported)`);
    // An input layer is called once by construction; every other layer has one node per inbound entry.
    nodes.set(name, l.class_name === 'InputLayer' ? 1 : inbound.length);
  }
  // The graph is one of nodes (a layer's n-th call), not of layers: a shared layer may read its own earlier call.
  const reads = new Map<string, string[]>();
  for (const l of layers) {
    const name = layerName(l)!;
    for (const [n, node] of (l.inbound_nodes as unknown[] | undefined ?? []).entries()) {
      if (!Array.isArray(node) || node.length === 0) fail(file, `${where} layer "${name}" inbound node ${n}`, 'must be a non-empty list of tensor references');
      reads.set(`${name}#${n}`, node.map((ref, r) => checkRef(file, ref, `${where} layer "${name}" inbound node ${n}, input ${r}`, nodes)));
    }
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const refs = cfg[key];
    if (refs === undefined) continue;
    if (!Array.isArray(refs) || refs.length === 0) fail(file, `${where} ${key}`, 'must be a non-empty list of tensor references');
    for (const [i, ref] of refs.entries()) checkRef(file, ref, `${where} ${key}[${i}]`, nodes);
  }
  checkAcyclic(file, reads, where);
  if (Array.isArray(cfg.output_layers)) checkReachesOutput(file, layers, reads, cfg.output_layers as unknown[][], where);
}

/**
 * TF.js builds a functional model from what its outputs depend on: a layer that leads to no output is left out of
 * `model.layers`, and its variables survive `model.dispose()` (a leak in a long-lived server). Refuse it instead.
 */
function checkReachesOutput(file: string, layers: Obj[], reads: Map<string, string[]>, outputs: unknown[][], where: string): void {
  const used = new Set<string>();
  const stack = outputs.map((ref) => `${String(ref[0])}#${String(ref[1])}`);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (used.has(node)) continue;
    used.add(node);
    stack.push(...(reads.get(node) ?? []));
  }
  const usedLayers = new Set([...used].map((n) => n.replace(/#\d+$/, '')));
  const dead = layers.map((l) => layerName(l)!).filter((n) => !usedLayers.has(n));
  if (dead.length > 0) {
    fail(file, `${where} layer "${dead[0]}"`, `leads to no output of the model${dead.length > 1 ? ` (nor do ${dead.length - 1} other layers)` : ''}: an inbound node or output_layers names the wrong layer`);
  }
}

/** Iterative three-colour DFS over nodes: recursion would overflow on a 100k-layer chain. */
function checkAcyclic(file: string, reads: Map<string, string[]>, where: string): void {
  const state = new Map<string, 1 | 2>();
  for (const start of reads.keys()) {
    if (state.has(start)) continue;
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const next = (reads.get(top[0]) ?? [])[top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next) === 1) {
        fail(file, `${where} layer "${next.replace(/#\d+$/, '')}"`, 'the layers form a cycle (a layer reads, through others, its own output)');
      } else if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
}
