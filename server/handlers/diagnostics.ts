/**
 * Problems of a model.json document, each at the characters it is about. The io module's validator covers JSON
 * syntax, topology and manifest structure, and unknown layer classes; this module adds what needs the file system
 * or TF.js: shard files that are missing or too short, and manifest shapes that do not match the layers.
 * Imported lazily by the document handler: it pulls in TF.js.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { buildLayersModel } from '../io/model-build';
import { validateModelJsonText } from '../io/model-json';
import { items, numberValue, parseJsonText, property, stringValue, toJsonValue, type JsonNode, type JsonObject } from '../io/json-tree';
import { shardPathProblem } from '../io/model-manifest';
import { ModelFileError, type ModelJsonProblem } from '../io/model-types';
import { mainThreadTf } from './inspect';
import { outlineTree, type LayerLocation } from './model-outline';

/**
 * Building the layers to learn their weight shapes allocates and initialises every weight on the main thread;
 * above ~16 MB of weights that would stall the server, so larger models get this check from inspect (the loader).
 */
const MAX_SHAPE_CHECK_ELEMENTS = 4e6;

/** A manifest entry with the positions diagnostics point at. */
interface ManifestWeight {
  name: string;
  shape: number[];
  shapeNode: JsonNode;
  /** Bytes in the shard files: 1, 2 or 4 per element depending on quantisation. */
  bytes: number;
}

/** Every problem of the text; `modelDir` is the folder shard paths are relative to (unknown for unsaved documents). */
export async function diagnoseModelJson(text: string, modelDir: string | undefined): Promise<ModelJsonProblem[]> {
  const problems = validateModelJsonText(text);
  if (problems.some((p) => p.severity === 'error')) return problems;
  const { root } = parseJsonText(text);
  const groups = property(root, 'weightsManifest');
  if (!root || groups?.type !== 'array') return problems;
  const weights: ManifestWeight[] = [];
  for (const group of items(groups)) {
    const groupWeights = manifestWeights(property(group, 'weights'));
    weights.push(...groupWeights);
    if (modelDir !== undefined) problems.push(...(await shardProblems(property(group, 'paths'), groupWeights, modelDir)));
  }
  const elements = weights.reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1), 0);
  if (elements <= MAX_SHAPE_CHECK_ELEMENTS) problems.push(...(await shapeProblems(root, weights, outlineTree(root, 0).layers, modelDir)));
  return problems;
}

function manifestWeights(node: JsonNode | undefined): ManifestWeight[] {
  const out: ManifestWeight[] = [];
  for (const w of items(node)) {
    const name = stringValue(property(w, 'name'));
    const shapeNode = property(w, 'shape');
    if (name === undefined || shapeNode?.type !== 'array') continue;
    const shape = items(shapeNode).map((d) => numberValue(d) ?? 0);
    const q = stringValue(property(property(w, 'quantization'), 'dtype'));
    const width = q !== undefined ? (q === 'uint8' ? 1 : 2) : 4;
    out.push({ name, shape, shapeNode, bytes: shape.reduce((a, d) => a * d, width) });
  }
  return out;
}

/** Missing shard files, and a group whose files hold fewer bytes than its weights need. */
async function shardProblems(paths: JsonNode | undefined, weights: ManifestWeight[], modelDir: string): Promise<ModelJsonProblem[]> {
  if (!paths || paths.type !== 'array') return [];
  const problems: ModelJsonProblem[] = [];
  let total = 0;
  for (const p of items(paths)) {
    const file = stringValue(p);
    if (file === undefined || shardPathProblem(file)) continue;
    try {
      total += (await stat(join(modelDir, file))).size;
    } catch {
      problems.push({ ...at(p), severity: 'error', message: `shard file "${file}" not found next to model.json` });
    }
  }
  const needed = weights.reduce((n, w) => n + w.bytes, 0);
  if (problems.length === 0 && total < needed) {
    problems.push({ ...at(paths), severity: 'error', message: `the shard files hold ${total} bytes but the weights listed need ${needed}` });
  }
  return problems;
}

/** Builds the topology (random weights, never loaded) and compares each layer weight with its manifest entry. */
async function shapeProblems(root: JsonNode, weights: ManifestWeight[], layers: LayerLocation[], modelDir: string | undefined): Promise<ModelJsonProblem[]> {
  const topology = property(root, 'modelTopology');
  if (!topology) return [];
  let model: tf.LayersModel;
  await mainThreadTf();
  try {
    // Without weight data the io builder only deserialises the topology, and frees everything if that fails.
    model = await buildLayersModel(join(modelDir ?? '', 'model.json'), { modelTopology: toJsonValue(topology) as JsonObject });
  } catch (e) {
    const message = e instanceof ModelFileError ? e.reason : (e as Error).message;
    return [{ ...at(topology), severity: 'error', message }];
  }
  try {
    const byName = new Map(weights.map((w) => [w.name, w]));
    const problems: ModelJsonProblem[] = [];
    for (const v of model.weights) {
      const spec = byName.get(v.originalName);
      const layerName = v.originalName.slice(0, Math.max(0, v.originalName.lastIndexOf('/')));
      if (!spec) {
        const layer = layers.find((l) => l.name === layerName);
        const where = layer ? { offset: layer.nameOffset, length: layer.nameLength } : at(topology);
        problems.push({ ...where, severity: 'error', message: `weightsManifest has no weight "${v.originalName}" of shape [${v.shape.join(', ')}]` });
      } else if (spec.shape.join(',') !== v.shape.join(',')) {
        problems.push({
          ...at(spec.shapeNode), severity: 'error',
          message: `weight "${spec.name}" has shape [${spec.shape.join(', ')}] but layer "${layerName}" needs [${v.shape.join(', ')}]`,
        });
      }
    }
    return problems;
  } finally {
    model.dispose();
  }
}

function at(node: { offset: number; length: number }): { offset: number; length: number } {
  return { offset: node.offset, length: node.length };
}
