import * as tf from '@tensorflow/tfjs';

/** How a layer loses channel k when its consumer conv drops input channel k (DCP-SPEC §1, §5). */
export type CutRole =
  /** Conv2D filters: kernel axis 3 and bias. */
  | 'filters'
  /** BatchNormalization: gamma, beta, moving mean, moving variance. */
  | 'batchnorm'
  /** DepthwiseConv2D with multiplier 1: kernel axis 2 and bias. */
  | 'depthwise'
  /** Conv2D input channels: kernel axis 2 (the selected conv itself). */
  | 'inputs';

/** One layer to slice: which channels of its `role` axis survive. `offset` maps concatenated channels to this producer's own. */
export interface LayerCut {
  layer: string;
  role: CutRole;
  keep: number[];
}

interface TopologyLayer { class_name: string; config: { name: string; filters?: number; [k: string]: unknown } }
interface Topology { class_name: string; config: { layers: TopologyLayer[] } | TopologyLayer[] }

/**
 * Builds the physically smaller model: filters counts rewritten in the topology, then every weight
 * copied with the removed channels sliced out. Exact when the consumer weights of removed channels
 * are zero, which selection guarantees. Layers not named in `cuts` keep their weights unchanged.
 */
export async function pruneModel(model: tf.LayersModel, cuts: LayerCut[]): Promise<tf.LayersModel> {
  const topo = model.toJSON(null, false) as unknown as Topology;
  const layers = Array.isArray(topo.config) ? topo.config : topo.config.layers;
  const byLayer = new Map<string, LayerCut[]>();
  for (const c of cuts) byLayer.set(c.layer, [...(byLayer.get(c.layer) ?? []), c]);
  for (const l of layers) {
    const f = byLayer.get(l.config.name)?.find((c) => c.role === 'filters');
    if (f) l.config.filters = f.keep.length;
  }
  const pruned = await tf.models.modelFromJSON({ modelTopology: topo as unknown as tf.io.ModelJSON['modelTopology'] });
  for (const layer of model.layers) {
    const target = pruned.getLayer(layer.name);
    const own = byLayer.get(layer.name) ?? [];
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const sliced = weights.map((w, i) => {
      const t = tf.tidy(() => sliceWeight(layer.getClassName(), i, w, own));
      const fresh = freshCopy(t);
      t.dispose();
      return fresh;
    });
    target.setWeights(sliced);
    tf.dispose(sliced);
  }
  return pruned;
}

/**
 * A copy of `t` in a buffer of its own, for weights handed to setWeights: the wasm backend keeps a buffer's first
 * shape, and gather's or a reshape's output shares the buffer of a rank-4 tensor, which its fused conv then refuses as
 * a bias ("only supports rank-1 bias").
 */
export function freshCopy(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

/** Slices weight `index` of a layer of class `cls` according to its cuts. */
function sliceWeight(cls: string, index: number, w: tf.Tensor, cuts: LayerCut[]): tf.Tensor {
  let out = w;
  for (const cut of cuts) {
    const idx = tf.tensor1d(cut.keep, 'int32');
    if (cls === 'Conv2D') {
      if (index === 0 && cut.role === 'filters') out = tf.gather(out, idx, 3);
      else if (index === 0 && cut.role === 'inputs') out = tf.gather(out, idx, 2);
      else if (index === 1 && cut.role === 'filters') out = tf.gather(out, idx, 0);
    } else if (cls === 'DepthwiseConv2D' && cut.role === 'depthwise') {
      out = index === 0 ? tf.gather(out, idx, 2) : tf.gather(out, idx, 0);
    } else if (cls === 'BatchNormalization' && cut.role === 'batchnorm') {
      out = tf.gather(out, idx, 0);
    } else if (cut.role !== 'inputs' || cls !== 'Conv2D') {
      throw new Error(`cannot remove channels from ${cls} layer as '${cut.role}'`);
    }
  }
  return out === w ? w.clone() : out;
}

/** A copy of a model with its own weights (the frozen baseline M_b). */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topo = model.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];
  const copy = await tf.models.modelFromJSON({ modelTopology: topo });
  copy.setWeights(model.getWeights());
  return copy;
}
