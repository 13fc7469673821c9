/**
 * Validation of model.json text. One pass over the offset-keeping tree yields both the typed ModelJson and every
 * problem with its position, so the language server's diagnostics and the loader's errors say the same thing.
 */
import * as tf from '@tensorflow/tfjs';
import { findProperty, JsonSyntaxError, lineColumn, parseJsonTree, toJsonValue } from './model-json-parse';
import type { JsonNode, JsonObject, JsonObjectNode } from './model-json-parse';
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

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);
const WRAPPER_CLASSES = new Set(['TimeDistributed', 'Bidirectional']);

/** Every problem of a model.json text, errors and warnings, in document order. */
export function validateModelJsonText(text: string): ModelJsonProblem[] {
  return checkModelJsonText(text).problems;
}

/** Parses and validates; `json` is set only when there is no error. */
export function checkModelJsonText(text: string): { json?: ModelJson; problems: ModelJsonProblem[] } {
  let root: JsonNode;
  try {
    root = parseJsonTree(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const { line, column } = lineColumn(text, e.offset);
    const message = `malformed JSON at line ${line}, column ${column}: ${e.message}`;
    return { problems: [{ message, offset: e.offset, length: 1, severity: 'error' }] };
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
  const where = p.message.startsWith('malformed JSON') ? '' : ` (line ${line}, column ${column})`;
  throw new ModelFileError(file, `${p.message}${where}`, p.offset);
}

function checkRoot(root: JsonNode, sink: ProblemSink): ModelJson | undefined {
  if (root.kind !== 'object') {
    sink.error(root, `model.json must be a JSON object, found ${root.kind}`);
    return undefined;
  }
  warnDuplicateKeys(root, sink);
  const format = optionalString(root, 'format', sink);
  const generatedBy = optionalString(root, 'generatedBy', sink);
  const convertedByProp = findProperty(root, 'convertedBy');
  if (convertedByProp && convertedByProp.value.kind !== 'string' && convertedByProp.value.kind !== 'null') {
    sink.error(convertedByProp.value, 'convertedBy must be a string or null');
  }
  const topoProp = findProperty(root, 'modelTopology');
  if (format === 'graph-model' || (topoProp?.value.kind === 'object' && isGraphDef(topoProp.value))) {
    const at = findProperty(root, 'format')?.value ?? topoProp?.value ?? root;
    sink.error(at, 'this is a TF.js graph model (format "graph-model"); DCP needs a layers model saved by tf.LayersModel.save or the Keras converter');
    return undefined;
  }
  if (format !== undefined && format !== 'layers-model') {
    sink.warn(findProperty(root, 'format')?.value ?? root, `unknown format "${format}"; expected "layers-model"`);
  }
  if (!topoProp) {
    sink.error({ offset: root.offset, length: 1 }, 'missing modelTopology: a layers model.json keeps the architecture there');
    return undefined;
  }
  if (topoProp.value.kind !== 'object') {
    sink.error(topoProp.value, `modelTopology must be an object, found ${topoProp.value.kind}`);
    return undefined;
  }
  checkTopology(topoProp.value, sink);
  const manifestProp = findProperty(root, 'weightsManifest');
  if (!manifestProp) {
    sink.error({ offset: root.offset, length: 1 }, 'missing weightsManifest: the file does not say where the weights are');
    return undefined;
  }
  const weightsManifest = checkWeightsManifest(manifestProp.value, sink);
  const trainingConfig = optionalObject(root, 'trainingConfig', sink);
  const userDefinedMetadata = optionalObject(root, 'userDefinedMetadata', sink);
  if (!weightsManifest) return undefined;
  const json: ModelJson = { modelTopology: objectValue(topoProp.value), weightsManifest };
  if (format !== undefined) json.format = format;
  if (generatedBy !== undefined) json.generatedBy = generatedBy;
  if (convertedByProp?.value.kind === 'string') json.convertedBy = convertedByProp.value.value;
  else if (convertedByProp) json.convertedBy = null;
  if (trainingConfig) json.trainingConfig = trainingConfig;
  if (userDefinedMetadata) json.userDefinedMetadata = userDefinedMetadata;
  return json;
}

/** A frozen GraphDef (graph-model) has `node` and `versions` where a layers model has `class_name`. */
function isGraphDef(topology: JsonObjectNode): boolean {
  return findProperty(topology, 'node') !== undefined && findProperty(topology, 'class_name') === undefined;
}

function checkTopology(topology: JsonObjectNode, sink: ProblemSink): void {
  const configProp = findProperty(topology, 'model_config');
  if (configProp && configProp.value.kind !== 'object') {
    sink.error(configProp.value, 'modelTopology.model_config must be an object');
    return;
  }
  const model = configProp?.value.kind === 'object' ? configProp.value : topology;
  const prefix = configProp ? 'modelTopology.model_config' : 'modelTopology';
  checkModel(model, prefix, sink, layerClassNames());
}

/** Layer classes TF.js can build right now: the built-ins plus anything registered with tf.serialization. */
function layerClassNames(): ReadonlySet<string> {
  return new Set(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));
}

function checkModel(model: JsonObjectNode, path: string, sink: ProblemSink, classes: ReadonlySet<string>): void {
  const cls = findProperty(model, 'class_name');
  if (!cls || cls.value.kind !== 'string') {
    sink.error(cls?.value ?? { offset: model.offset, length: 1 }, `${path}.class_name must name the model class (Sequential, Model or Functional)`);
    return;
  }
  if (!MODEL_CLASSES.has(cls.value.value)) {
    sink.error(cls.value, `${path}.class_name is "${cls.value.value}", not a layers model (Sequential, Model or Functional)`);
    return;
  }
  const config = findProperty(model, 'config')?.value;
  // Old Sequential configs are a bare array of layers; everything else is {name, layers, …}.
  const layers = config?.kind === 'array' ? config : config?.kind === 'object' ? findProperty(config, 'layers')?.value : undefined;
  if (!layers || layers.kind !== 'array') {
    sink.error(config ?? cls.value, `${path}.config must list the model's layers`);
    return;
  }
  layers.items.forEach((layer, i) => checkLayer(layer, `${path}.config.layers[${i}]`, sink, classes));
}

function checkLayer(layer: JsonNode, path: string, sink: ProblemSink, classes: ReadonlySet<string>): void {
  if (layer.kind !== 'object') {
    sink.error(layer, `${path} must be an object`);
    return;
  }
  const cls = findProperty(layer, 'class_name')?.value;
  const config = findProperty(layer, 'config')?.value;
  if (!cls || cls.kind !== 'string') {
    sink.error(cls ?? { offset: layer.offset, length: 1 }, `${path}.class_name must be a string`);
    return;
  }
  if (MODEL_CLASSES.has(cls.value)) {
    checkModel(layer, path, sink, classes);
    return;
  }
  if (!classes.has(cls.value)) {
    sink.error(cls, `${path}: unknown layer class "${cls.value}" (not built into TF.js ${tf.version.tfjs} and not registered with tf.serialization.registerClass)`);
  }
  if (!config || config.kind !== 'object') {
    sink.error(config ?? cls, `${path}.config must be an object`);
    return;
  }
  const inner = findProperty(config, 'layer')?.value;
  if (WRAPPER_CLASSES.has(cls.value) && inner) checkLayer(inner, `${path}.config.layer`, sink, classes);
}

function warnDuplicateKeys(node: JsonNode, sink: ProblemSink): void {
  if (node.kind === 'array') node.items.forEach((n) => warnDuplicateKeys(n, sink));
  if (node.kind !== 'object') return;
  const seen = new Set<string>();
  for (const p of node.properties) {
    if (seen.has(p.key)) sink.warn({ offset: p.keyOffset, length: p.keyLength }, `duplicate key "${p.key}"; the last one wins`);
    seen.add(p.key);
    warnDuplicateKeys(p.value, sink);
  }
}

function optionalString(node: JsonObjectNode, key: string, sink: ProblemSink): string | undefined {
  const p = findProperty(node, key);
  if (!p) return undefined;
  if (p.value.kind === 'string') return p.value.value;
  sink.error(p.value, `${key} must be a string`);
  return undefined;
}

function optionalObject(node: JsonObjectNode, key: string, sink: ProblemSink): JsonObject | undefined {
  const p = findProperty(node, key);
  if (!p || p.value.kind === 'null') return undefined;
  if (p.value.kind === 'object') return objectValue(p.value);
  sink.error(p.value, `${key} must be an object`);
  return undefined;
}

/** The value of an object node; typed as an object because the node kind guarantees it. */
export function objectValue(node: JsonObjectNode): JsonObject {
  return toJsonValue(node) as JsonObject;
}
