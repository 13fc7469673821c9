import * as tf from '@tensorflow/tfjs';

/** Replaces one layer's computation during a run (e.g. the conv under selection with its masked weights). */
export type LayerOverride = (inputs: tf.Tensor[]) => tf.Tensor;

export interface RunOptions {
  /** BatchNorm and Dropout in training mode. Selection always runs with `false` (DCP-SPEC pitfall 4). */
  training: boolean;
  overrides?: ReadonlyMap<string, LayerOverride>;
}

/**
 * Runs a Layers model's graph eagerly from arbitrary intermediate tensors to arbitrary layer outputs.
 * tfjs' own `execute` starts only from the model inputs; DCP needs to restart from a cached cut
 * (the pruned input of one conv plus the shortcut tensors its stage still needs).
 * Tensors are named by the layer that produces them (one output per layer, layers used once).
 */
export class GraphRunner {
  /** Layer names in topological order, model inputs first. */
  readonly order: string[];
  readonly inputNames: string[];
  readonly outputName: string;
  private readonly layers = new Map<string, tf.layers.Layer>();
  private readonly inbound = new Map<string, string[]>();
  private readonly position = new Map<string, number>();

  constructor(readonly model: tf.LayersModel) {
    const inner = innerModel(model);
    this.inputNames = inner.inputLayers.map((l) => l.name);
    for (const l of inner.inputLayers) this.layers.set(l.name, l);
    for (const l of inner.layers) {
      this.layers.set(l.name, l);
      if (l.inboundNodes.length > 1) throw new Error(`layer ${l.name} is used more than once; shared layers are not supported`);
    }
    for (const [name, l] of this.layers) {
      const node = l.inboundNodes[0];
      this.inbound.set(name, node ? node.inboundLayers.map((p) => p.name) : []);
    }
    if (inner.outputLayers.length !== 1) throw new Error('models with several outputs are not supported');
    this.outputName = inner.outputLayers[0].name;
    this.order = topoSort([...this.layers.keys()], this.inbound);
    this.order.forEach((n, i) => this.position.set(n, i));
  }

  layer(name: string): tf.layers.Layer {
    const l = this.layers.get(name);
    if (!l) throw new Error(`no layer named ${name}`);
    return l;
  }

  inputsOf(name: string): string[] {
    return this.inbound.get(name) ?? [];
  }

  consumersOf(name: string): string[] {
    return this.order.filter((n) => this.inputsOf(n).includes(name));
  }

  indexOf(name: string): number {
    const i = this.position.get(name);
    if (i === undefined) throw new Error(`no layer named ${name}`);
    return i;
  }

  /** Every layer needed to compute `targets` when the tensors named in `fed` are given. */
  ancestors(targets: string[], fed: ReadonlySet<string> = new Set()): Set<string> {
    const seen = new Set<string>();
    const stack = [...targets];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      if (!fed.has(n)) stack.push(...this.inputsOf(n));
    }
    return seen;
  }

  /**
   * The tensors that must be cached to recompute `target` once `layer`'s output is replaced:
   * every tensor produced before `layer` that a layer at or after it (on the way to `target`) consumes.
   */
  cutFor(layer: string, target: string): string[] {
    const at = this.indexOf(layer);
    const needed = this.ancestors([target]);
    const cut = new Set<string>();
    for (const n of needed) {
      if (this.indexOf(n) < at) continue;
      for (const p of this.inputsOf(n)) if (this.indexOf(p) < at) cut.add(p);
    }
    return [...cut].sort((a, b) => this.indexOf(a) - this.indexOf(b));
  }

  /**
   * Computes `targets` from `feeds`. Returned tensors are new (caller disposes); intermediates are
   * not disposed here, so call inside `tf.tidy` or a gradient function.
   */
  run(feeds: ReadonlyMap<string, tf.Tensor>, targets: string[], opts: RunOptions): Map<string, tf.Tensor> {
    const fed = new Set(feeds.keys());
    const needed = this.ancestors(targets, fed);
    const values = new Map<string, tf.Tensor>(feeds);
    for (const name of this.order) {
      if (!needed.has(name) || values.has(name)) continue;
      const ins = this.inputsOf(name).map((p) => {
        const v = values.get(p);
        if (!v) throw new Error(`cannot compute ${name}: its input ${p} was neither fed nor computed`);
        return v;
      });
      if (ins.length === 0) throw new Error(`model input ${name} must be fed`);
      const override = opts.overrides?.get(name);
      const out = override
        ? override(ins)
        : (this.layer(name).apply(ins.length === 1 ? ins[0] : ins, { training: opts.training }) as tf.Tensor);
      values.set(name, out);
    }
    const result = new Map<string, tf.Tensor>();
    for (const t of targets) {
      const v = values.get(t);
      if (!v) throw new Error(`target ${t} was not computed`);
      result.set(t, v);
    }
    return result;
  }
}

/** Sequential models wrap a functional model; its input layer is only visible there. */
export function innerModel(model: tf.LayersModel): tf.LayersModel {
  if (model instanceof tf.Sequential) {
    const seq = model as unknown as { model: tf.LayersModel | undefined };
    // A Sequential read from JSON builds its inner functional model lazily, on first use.
    if (!seq.model) model.build(model.inputs[0]?.shape ?? []);
    if (!seq.model) throw new Error('sequential model has no input shape');
    return seq.model;
  }
  return model;
}

function topoSort(names: string[], inbound: ReadonlyMap<string, string[]>): string[] {
  const out: string[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (n: string): void => {
    const s = state.get(n);
    if (s === 2) return;
    if (s === 1) throw new Error(`the model graph has a cycle at ${n}`);
    state.set(n, 1);
    for (const p of inbound.get(n) ?? []) visit(p);
    state.set(n, 2);
    out.push(n);
  };
  for (const n of names) visit(n);
  return out;
}
