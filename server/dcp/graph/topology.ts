/**
 * Reads the layer graph of a TF.js Layers model into plain adjacency lists: who reads whom, in topological order,
 * and which layers every input-to-output path must cross (cut points, used to delimit blocks).
 * Tensors are named by the layer that produces them: every supported layer has one output tensor.
 */
import * as tf from '@tensorflow/tfjs';

/** One layer as the analysis sees it. `layer` is the live TF.js object (kept out of the JSON-safe ModelGraph). */
export interface TopoNode {
  name: string;
  className: string;
  layer: tf.layers.Layer;
  /** Producers of this layer's inputs, in call order (a name repeats if the same tensor is read twice). */
  inputs: string[];
  /** Layers reading this layer's output, one entry per read. */
  consumers: string[];
  /** Output shape without the batch axis; unknown sizes are -1. */
  outputShape: number[];
  /** How many times the layer is called inside this model (> 1 = shared weights). */
  calls: number;
}

export interface Topology {
  /** Layer names, producers before consumers; model inputs first. */
  order: string[];
  nodes: Map<string, TopoNode>;
  inputs: string[];
  outputs: string[];
}

/** Reads the graph of a Sequential (layers in order) or functional model. */
export function readTopology(model: tf.LayersModel): Topology {
  const nodes = new Map<string, TopoNode>();
  const rank = new Map<string, number>();
  const add = (layer: tf.layers.Layer, inputs: string[], calls: number): void => {
    rank.set(layer.name, rank.size);
    nodes.set(layer.name, {
      name: layer.name, className: layer.getClassName(), layer, inputs, consumers: [], outputShape: shapeOf(layer), calls,
    });
  };
  if (!model.inputs || model.inputs.length === 0) throw new Error(`model '${model.name}' has no inputs yet: build it first (give its first layer an inputShape)`);
  const inputLayers = model.inputs.map((t) => t.sourceLayer as tf.layers.Layer);
  const outputs = model.outputs.map((t) => t.sourceLayer.name);
  if (model.getClassName() === 'Sequential') {
    // A Sequential's input layer is not among model.layers; each layer reads the one before it.
    for (const l of inputLayers) add(l, [], 1);
    let previous = inputLayers[0]?.name;
    for (const l of model.layers) {
      add(l, previous === undefined ? [] : [previous], 1);
      previous = l.name;
    }
  } else {
    // Only nodes created inside this model count: a layer may also have been called by another model (e.g. heads).
    for (const l of model.layers) {
      const own = l.inboundNodes.filter((_, i) => model.containerNodes.has(`${l.name}_ib-${i}`));
      add(l, own.length > 0 ? own[0].inboundLayers.map((p) => p.name) : [], Math.max(own.length, 1));
    }
    for (const l of inputLayers) if (!nodes.has(l.name)) add(l, [], 1);
  }
  for (const n of nodes.values()) {
    for (const p of n.inputs) nodes.get(p)?.consumers.push(n.name);
  }
  const inputs = inputLayers.map((l) => l.name);
  const order = topoSort([...nodes.keys()], (n) => nodes.get(n)?.inputs ?? [], rank);
  return { order, nodes, inputs, outputs };
}

/** Output shape of a layer without the batch axis (first output if several). */
function shapeOf(layer: tf.layers.Layer): number[] {
  let shape: tf.Shape | tf.Shape[];
  try {
    shape = layer.outputShape;
  } catch {
    // Shared layers called on different shapes have no single output shape: use their first call.
    shape = layer.inboundNodes[0]?.outputShapes ?? [];
  }
  const first = Array.isArray(shape[0]) || shape.length === 0 ? ((shape[0] as tf.Shape | undefined) ?? []) : (shape as tf.Shape);
  return first.slice(1).map((d) => (d === null ? -1 : d));
}

/** Kahn's algorithm; ties broken by the model's own layer order so the result is stable and familiar. */
export function topoSort(names: string[], inputsOf: (n: string) => string[], rank: Map<string, number>): string[] {
  const pending = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const n of names) {
    const ins = inputsOf(n).filter((p) => names.includes(p));
    pending.set(n, ins.length);
    for (const p of ins) readers.set(p, [...(readers.get(p) ?? []), n]);
  }
  const byRank = (a: string, b: string): number => (rank.get(a) ?? 0) - (rank.get(b) ?? 0);
  const ready = names.filter((n) => pending.get(n) === 0).sort(byRank);
  const order: string[] = [];
  while (ready.length > 0) {
    const n = ready.shift() as string;
    order.push(n);
    for (const r of readers.get(n) ?? []) {
      const left = (pending.get(r) ?? 0) - 1;
      pending.set(r, left);
      if (left === 0) {
        ready.push(r);
        ready.sort(byRank);
      }
    }
  }
  if (order.length !== names.length) throw new Error('the model graph has a cycle');
  return order;
}

/**
 * Layers that every path from a model input to a model output goes through, in topological order.
 * Between two consecutive cut points lies one self-contained piece of the network (a residual block, an
 * Inception block, or a single layer of a plain stack). O(V·(V+E)), fine for a few hundred layers.
 */
export function cutPoints(topo: Topology): string[] {
  const onPath = reachable(topo, null, 'forward');
  const toOutput = reachable(topo, null, 'backward');
  const candidates = topo.order.filter((n) => onPath.has(n) && toOutput.has(n));
  return candidates.filter((v) => {
    const seen = reachable(topo, v, 'forward');
    return !topo.outputs.some((o) => seen.has(o));
  });
}

/** Layers reachable from the inputs (forward) or from the outputs (backward), never entering `blocked`. */
function reachable(topo: Topology, blocked: string | null, direction: 'forward' | 'backward'): Set<string> {
  const start = direction === 'forward' ? topo.inputs : topo.outputs;
  const seen = new Set<string>();
  const stack = start.filter((s) => s !== blocked);
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    const node = topo.nodes.get(n);
    const next = direction === 'forward' ? node?.consumers : node?.inputs;
    for (const m of next ?? []) if (m !== blocked && !seen.has(m)) stack.push(m);
  }
  return seen;
}
