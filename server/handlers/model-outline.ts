/**
 * Where things are in a model.json text: the layers of its topology with the offsets of their names.
 * Pure and position-only: the model's meaning (shapes, prunability) comes from the engine's summary.
 */
import { items, nodeAt, parseJsonText, property, stringValue, type JsonNode } from '../io/json-tree';

/** One layer of the topology as written in the file. */
export interface LayerLocation {
  name: string;
  className: string;
  /** The whole layer object. */
  offset: number;
  length: number;
  /** The layer's "name" string value (including quotes): where symbols point. */
  nameOffset: number;
  nameLength: number;
  /** Every string holding the layer's name (functional models write it twice): where hovers apply. */
  nameRanges: { offset: number; length: number }[];
}

export interface ModelOutline {
  /** jsonc-parser's tree; when `syntaxErrors` > 0 it is the parser's best guess around the broken places. */
  root: JsonNode;
  syntaxErrors: number;
  /** The "format" string, if any (`layers-model` for TF.js Layers). */
  format: string | undefined;
  /** The layers list node, when the topology has one. */
  layersNode: JsonNode | undefined;
  layers: LayerLocation[];
}

/** Whether a document looks like a TF.js Layers model.json, cheaply, before parsing it. */
export function looksLikeLayersModel(text: string): boolean {
  return /"format"\s*:\s*"layers-model"/.test(text);
}

/**
 * Parses the text and locates the layers. Supports both topology shapes TF.js writes:
 * `modelTopology.config.layers` (tfjs) and `modelTopology.model_config.config.layers` (Keras converter),
 * plus the legacy Sequential form where `config` is the layers array itself.
 * A text with syntax errors still outlines the layers the parser recovered, at their true offsets, so the outline
 * and hovers do not vanish while one line is being edited. Undefined only when there is no tree at all.
 */
export function outlineModel(text: string): ModelOutline | undefined {
  const { root, errors } = parseJsonText(text);
  return root && outlineTree(root, errors.length);
}

/** The outline of an already parsed tree. */
export function outlineTree(root: JsonNode, syntaxErrors: number): ModelOutline {
  const format = stringValue(property(root, 'format'));
  const layersNode = findLayersNode(property(root, 'modelTopology'));
  const layers: LayerLocation[] = [];
  for (const item of items(layersNode)) {
    const loc = locateLayer(item);
    if (loc) layers.push(loc);
  }
  return { root, syntaxErrors, format, layersNode, layers };
}

/** The layers array of a topology object, or undefined. */
export function findLayersNode(topology: JsonNode | undefined): JsonNode | undefined {
  const modelConfig = property(topology, 'model_config') ?? topology;
  const config = property(modelConfig, 'config');
  if (config?.type === 'array') return config;
  return property(config, 'layers');
}

function locateLayer(item: JsonNode): LayerLocation | undefined {
  if (item.type !== 'object') return undefined;
  // Functional models name a layer twice (top level and config); the config's name is the one Keras uses.
  const names = [nodeAt(item, ['config', 'name']), property(item, 'name')].filter((n): n is JsonNode => n?.type === 'string');
  const nameNode = names[0];
  const name = stringValue(nameNode);
  if (!nameNode || name === undefined) return undefined;
  return {
    name,
    className: stringValue(property(item, 'class_name')) ?? 'Layer',
    offset: item.offset,
    length: item.length,
    nameOffset: nameNode.offset,
    nameLength: nameNode.length,
    nameRanges: names.map((n) => ({ offset: n.offset, length: n.length })),
  };
}

/** The layer and the name string that contains the offset (a hover target), if any. */
export function layerAtNameOffset(layers: readonly LayerLocation[], offset: number): { layer: LayerLocation; offset: number; length: number } | undefined {
  for (const layer of layers) {
    const hit = layer.nameRanges.find((r) => offset >= r.offset && offset <= r.offset + r.length);
    if (hit) return { layer, ...hit };
  }
  return undefined;
}

/** The innermost layer object containing the offset, if any. */
export function layerContaining(layers: readonly LayerLocation[], offset: number): LayerLocation | undefined {
  return layers.find((l) => offset >= l.offset && offset < l.offset + l.length);
}
