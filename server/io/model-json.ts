/**
 * Validation of model.json text. One pass over the offset-keeping tree yields both the typed ModelJson and every
 * problem with its position, so the language server's diagnostics and the loader's errors say the same thing.
 */
import * as tf from '@tensorflow/tfjs';
import { items, lineColumn, parseJsonText, properties, property, stringValue, toJsonValue } from './json-tree';
import type { JsonNode, JsonObject } from './json-tree';
import { checkWeightsManifest } from './model-manifest';
import { ModelFileError } from './model-types';
import type { ModelJson, ModelJsonProblem } from './model-types';

/** Collects positioned problems while the validators walk the tree. */
export class ProblemSink {
  readonly problems: ModelJsonProblem[] = [];
  error(at: { offset: number; length: number }, message: string): void {
    this.problems.push({ message, offset: at.offset, length: at.length, severity: 'error' });
  }
  warn(at: { offset: number; length: number }, message: string): void {
    this.problems.push({ message, offset: at.offset, length: at.length, severity: 'warning' });
  }
  get hasErrors(): boolean {
    return this.problems.some((p) => p.severity === 'error');
  }
}

const MALFORMED = 'malformed JSON';
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);
const WRAPPER_CLASSES = new Set(['TimeDistributed', 'Bidirectional']);

/** Every problem of a model.json text, errors and warnings, in document order. */
export function validateModelJsonText(text: string): ModelJsonProblem[] {
  return checkModelJsonText(text).problems;
}

/** Parses and validates; `json` is set only when there is no error. */
export function checkModelJsonText(text: string): { json?: ModelJson; problems: ModelJsonProblem[] } {
  const { root, errors } = parseJsonText(text);
  if (errors.length > 0 || !root) {
    // The tree of a broken text is jsonc-parser's guess; checking its meaning would report problems that are not there.
    const problems = errors.map((e): ModelJsonProblem => {
      const { line, column } = lineColumn(text, e.offset);
      return { message: `${MALFORMED} at line ${line}, column ${column}: ${e.message}`, offset: e.offset, length: e.length, severity: 'error' };
    });
    return { problems };
  }
  const sink = new ProblemSink();
  const json = checkRoot(root, sink);
  const problems = sink.problems.sort((a, b) => a.offset - b.offset);
  return sink.hasErrors || !json ? { problems } : { json, problems };
}

/** Parses model.json text or throws a ModelFileError naming `file`, the first error and its line and column. */
export function parseModelJson(text: string, file: string): ModelJson {
  const { json, problems } = checkModelJsonText(text);
  const first = problems.find((p) => p.severity === 'error');
  if (json && !first) return json;
  const p = first ?? { message: 'invalid model.json', offset: 0 };
  const { line, column } = lineColumn(text, p.offset);
  const syntax = problems.filter((q) => q.message.startsWith(MALFORMED)).length;
  const where = syntax > 0 ? '' : ` (line ${line}, column ${column})`;
  const more = syntax > 1 ? ` (and ${syntax - 1} more syntax error${syntax > 2 ? 's' : ''})` : '';
  throw new ModelFileError(file, `${p.message}${where}${more}`, p.offset);
}

function checkRoot(root: JsonNode, sink: ProblemSink): ModelJson | undefined {
  if (root.type !== 'object') {
    sink.error(root, `model.json must be a JSON object, found ${root.type}`);
    return undefined;
  }
  warnDuplicateKeys(root, sink);
  const format = optionalString(root, 'format', sink);
  const generatedBy = optionalString(root, 'generatedBy', sink);
  const convertedBy = property(root, 'convertedBy');
  if (convertedBy && convertedBy.type !== 'string' && convertedBy.type !== 'null') {
    sink.error(convertedBy, 'convertedBy must be a string or null');
  }
  const topology = property(root, 'modelTopology');
  if (format === 'graph-model' || (topology?.type === 'object' && isGraphDef(topology))) {
    const at = property(root, 'format') ?? topology ?? root;
    sink.error(at, 'this is a TF.js graph model (format "graph-model"); DCP needs a layers model saved by tf.LayersModel.save or the Keras converter');
    return undefined;
  }
  if (format !== undefined && format !== 'layers-model') {
    sink.warn(property(root, 'format') ?? root, `unknown format "${format}"; expected "layers-model"`);
  }
  if (!topology) {
    sink.error({ offset: root.offset, length: 1 }, 'missing modelTopology: a layers model.json keeps the architecture there');
    return undefined;
  }
  if (topology.type !== 'object') {
    sink.error(topology, `modelTopology must be an object, found ${topology.type}`);
    return undefined;
  }
  checkTopology(topology, sink);
  const manifest = property(root, 'weightsManifest');
  if (!manifest) {
    sink.error({ offset: root.offset, length: 1 }, 'missing weightsManifest: the file does not say where the weights are');
    return undefined;
  }
  const weightsManifest = checkWeightsManifest(manifest, sink);
  const trainingConfig = optionalObject(root, 'trainingConfig', sink);
  const userDefinedMetadata = optionalObject(root, 'userDefinedMetadata', sink);
  if (!weightsManifest) return undefined;
  const json: ModelJson = { modelTopology: objectValue(topology), weightsManifest };
  if (format !== undefined) json.format = format;
  if (generatedBy !== undefined) json.generatedBy = generatedBy;
  if (convertedBy) json.convertedBy = stringValue(convertedBy) ?? null;
  if (trainingConfig) json.trainingConfig = trainingConfig;
  if (userDefinedMetadata) json.userDefinedMetadata = userDefinedMetadata;
  return json;
}

/** A frozen GraphDef (graph-model) has `node` and `versions` where a layers model has `class_name`. */
function isGraphDef(topology: JsonNode): boolean {
  return property(topology, 'node') !== undefined && property(topology, 'class_name') === undefined;
}

function checkTopology(topology: JsonNode, sink: ProblemSink): void {
  const config = property(topology, 'model_config');
  if (config && config.type !== 'object') {
    sink.error(config, 'modelTopology.model_config must be an object');
    return;
  }
  const prefix = config ? 'modelTopology.model_config' : 'modelTopology';
  checkModel(config ?? topology, prefix, sink, layerClassNames());
}

/** Layer classes TF.js can build right now: the built-ins plus anything registered with tf.serialization. */
function layerClassNames(): ReadonlySet<string> {
  return new Set(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));
}

function checkModel(model: JsonNode, path: string, sink: ProblemSink, classes: ReadonlySet<string>): void {
  const clsNode = property(model, 'class_name');
  const cls = stringValue(clsNode);
  if (!clsNode || cls === undefined) {
    sink.error(clsNode ?? { offset: model.offset, length: 1 }, `${path}.class_name must name the model class (Sequential, Model or Functional)`);
    return;
  }
  if (!MODEL_CLASSES.has(cls)) {
    sink.error(clsNode, `${path}.class_name is "${cls}", not a layers model (Sequential, Model or Functional)`);
    return;
  }
  const config = property(model, 'config');
  // Old Sequential configs are a bare array of layers; everything else is {name, layers, …}.
  const layers = config?.type === 'array' ? config : property(config, 'layers');
  if (!layers || layers.type !== 'array') {
    sink.error(config ?? clsNode, `${path}.config must list the model's layers`);
    return;
  }
  items(layers).forEach((layer, i) => checkLayer(layer, `${path}.config.layers[${i}]`, sink, classes));
}

function checkLayer(layer: JsonNode, path: string, sink: ProblemSink, classes: ReadonlySet<string>): void {
  if (layer.type !== 'object') {
    sink.error(layer, `${path} must be an object`);
    return;
  }
  const clsNode = property(layer, 'class_name');
  const cls = stringValue(clsNode);
  const config = property(layer, 'config');
  if (!clsNode || cls === undefined) {
    sink.error(clsNode ?? { offset: layer.offset, length: 1 }, `${path}.class_name must be a string`);
    return;
  }
  if (MODEL_CLASSES.has(cls)) {
    checkModel(layer, path, sink, classes);
    return;
  }
  if (!classes.has(cls)) {
    sink.error(clsNode, `${path}: unknown layer class "${cls}" (not built into TF.js ${tf.version.tfjs} and not registered with tf.serialization.registerClass)`);
  }
  if (!config || config.type !== 'object') {
    sink.error(config ?? clsNode, `${path}.config must be an object`);
    return;
  }
  const inner = property(config, 'layer');
  if (WRAPPER_CLASSES.has(cls) && inner) checkLayer(inner, `${path}.config.layer`, sink, classes);
}

function warnDuplicateKeys(node: JsonNode, sink: ProblemSink): void {
  if (node.type === 'array') items(node).forEach((n) => warnDuplicateKeys(n, sink));
  if (node.type !== 'object') return;
  const seen = new Set<string>();
  for (const p of properties(node)) {
    if (seen.has(p.key)) sink.warn(p.keyNode, `duplicate key "${p.key}"; the last one wins`);
    seen.add(p.key);
    warnDuplicateKeys(p.value, sink);
  }
}

function optionalString(node: JsonNode, key: string, sink: ProblemSink): string | undefined {
  const v = property(node, key);
  if (!v) return undefined;
  if (v.type === 'string') return stringValue(v);
  sink.error(v, `${key} must be a string`);
  return undefined;
}

function optionalObject(node: JsonNode, key: string, sink: ProblemSink): JsonObject | undefined {
  const v = property(node, key);
  if (!v || v.type === 'null') return undefined;
  if (v.type === 'object') return objectValue(v);
  sink.error(v, `${key} must be an object`);
  return undefined;
}

/** The value of a node the caller has checked to be an object. */
export function objectValue(node: JsonNode): JsonObject {
  return toJsonValue(node) as JsonObject;
}
