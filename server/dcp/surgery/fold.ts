import * as tf from '@tensorflow/tfjs';
import { freshCopy } from './surgery';

/**
 * Deployment folding (issue 12, latency-aware output): a BatchNormalization in inference mode right after a conv is
 * an affine map per output channel, so it can be folded into the conv's kernel and bias; a ReLU right after a Conv2D
 * can become its activation, which tfjs-layers runs as one fused conv + bias + ReLU kernel. Only plain ReLU into a
 * Conv2D: tfjs-layers fuses nothing else (`mapActivationToFusedKernel`: relu, elu, linear; never a depthwise conv),
 * and a `relu6` activation runs as relu then `minimum(6, x)`, which on wasm cost more than the ReLU6 layer's single
 * clip (a folded 224×224 MobileNetV2 became 1.8× slower at batch 1 that way, bench/README.md).
 * What is removed is per-layer dispatch, not arithmetic: on the 28×28 examples the 15 BatchNorm layers cost as much
 * wasm time at batch 1 as all the convs together (measured with tf.profile, bench/README.md).
 *
 * Exact up to float rounding. The result is an ordinary Layers model (Conv2D / DepthwiseConv2D with a bias and an
 * activation), so it loads unchanged in tf.loadLayersModel; it has no BatchNorm left to fine-tune, which is why
 * folding is an output option and never applied to the network being pruned.
 */

interface InboundRef { 0: string; 1: number; 2: number; 3: Record<string, unknown> }
interface LayerJson {
  name: string;
  class_name: string;
  config: { name: string; activation?: string; use_bias?: boolean; axis?: number | number[]; epsilon?: number; center?: boolean; scale?: boolean;
    max_value?: number | null; negative_slope?: number; threshold?: number; [k: string]: unknown };
  inbound_nodes?: InboundRef[][];
}
interface FunctionalConfig { layers: LayerJson[]; input_layers: unknown; output_layers: [string, number, number][]; [k: string]: unknown }
interface TopologyJson { class_name: string; config: FunctionalConfig | LayerJson[] | { layers: LayerJson[] } }

/** One conv that absorbed layers: the BatchNorm (or null) and the activation layer (or null) it replaced. */
export interface FoldedConv { conv: string; batchNorm: string | null; activation: string | null }

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D']);

/** Whether a layer is a plain ReLU (no cap, slope or threshold), the one activation tfjs-layers fuses into a Conv2D. */
function isPlainRelu(l: LayerJson): boolean {
  const c = l.config;
  if (l.class_name === 'Activation') return c.activation === 'relu';
  return l.class_name === 'ReLU' && (c.negative_slope ?? 0) === 0 && (c.threshold ?? 0) === 0 && (c.max_value === null || c.max_value === undefined);
}

/** The only layer fed by `name` (through its single output), or null when it has several consumers, none, or is an output. */
function soleConsumer(name: string, layers: LayerJson[], outputs: Set<string>): LayerJson | null {
  if (outputs.has(name)) return null;
  const users = layers.filter((l) => (l.inbound_nodes ?? []).some((node) => node.some((ref) => ref[0] === name)));
  if (users.length !== 1) return null;
  const u = users[0];
  const nodes = u.inbound_nodes ?? [];
  return nodes.length === 1 && nodes[0].length === 1 && nodes[0][0][1] === 0 && nodes[0][0][2] === 0 ? u : null;
}

function isChannelLastBatchNorm(l: LayerJson): boolean {
  const axis = Array.isArray(l.config.axis) ? l.config.axis : [l.config.axis ?? -1];
  return l.class_name === 'BatchNormalization' && axis.length === 1 && (axis[0] === -1 || axis[0] === 3);
}

/** Plans the folds on a functional topology; Sequential models are rare among pruned convnets and are left as they are. */
function planFolds(layers: LayerJson[], outputs: Set<string>): FoldedConv[] {
  const folds: FoldedConv[] = [];
  for (const l of layers) {
    if (!CONVS.has(l.class_name) || (l.config.activation ?? 'linear') !== 'linear' || (l.inbound_nodes ?? []).length !== 1) continue;
    let tail = l.name;
    let batchNorm: string | null = null;
    const next = soleConsumer(tail, layers, outputs);
    if (next && isChannelLastBatchNorm(next)) { batchNorm = next.name; tail = next.name; }
    const act = soleConsumer(tail, layers, outputs);
    const activation = act && l.class_name === 'Conv2D' && isPlainRelu(act) ? act.name : null;
    if (batchNorm || activation) folds.push({ conv: l.name, batchNorm, activation });
  }
  return folds;
}

/**
 * Returns a folded copy of `model` and what was folded; the input model is left untouched. A model with nothing to
 * fold (or a Sequential one) comes back as a plain copy with an empty list.
 */
export async function foldBatchNorms(model: tf.LayersModel): Promise<{ model: tf.LayersModel; folded: FoldedConv[] }> {
  const topo = model.toJSON(null, false) as unknown as TopologyJson;
  const cfg = topo.config;
  const functional = !Array.isArray(cfg) && 'output_layers' in cfg;
  const layers = Array.isArray(cfg) ? cfg : cfg.layers;
  const outputs = new Set(functional ? (cfg as FunctionalConfig).output_layers.map((o) => o[0]) : []);
  const folds = functional ? planFolds(layers, outputs) : [];
  const replacedBy = new Map<string, string>();
  for (const f of folds) {
    const conv = layers.find((l) => l.name === f.conv)!;
    if (f.batchNorm) conv.config.use_bias = true;
    if (f.activation) conv.config.activation = 'relu';
    for (const gone of [f.batchNorm, f.activation]) if (gone) replacedBy.set(gone, f.conv);
  }
  const kept = layers.filter((l) => !replacedBy.has(l.name));
  for (const l of kept) for (const node of l.inbound_nodes ?? []) for (const ref of node) ref[0] = replacedBy.get(ref[0]) ?? ref[0];
  if (Array.isArray(cfg)) topo.config = kept; else cfg.layers = kept;
  // A folded BatchNorm or ReLU may have been a model output: the conv that absorbed it now produces that tensor.
  if (functional) {
    const f = cfg as FunctionalConfig;
    f.output_layers = f.output_layers.map(([name, node, tensor]) => [replacedBy.get(name) ?? name, node, tensor]);
  }
  const folded = await tf.models.modelFromJSON({ modelTopology: topo as unknown as tf.io.ModelJSON['modelTopology'] });
  const foldOf = new Map(folds.map((f) => [f.conv, f]));
  for (const target of folded.layers) {
    const source = model.getLayer(target.name);
    const fold = foldOf.get(target.name);
    const weights = fold?.batchNorm ? foldedWeights(source, model.getLayer(fold.batchNorm)) : source.getWeights().map((w) => w.clone());
    if (weights.length > 0) target.setWeights(weights);
    tf.dispose(weights);
  }
  return { model: folded, folded: folds };
}

/** Kernel and bias of `conv` with `bn` (inference mode) folded in: W·s and (b − μ)·s + β, s = γ/√(σ² + ε). */
function foldedWeights(conv: tf.layers.Layer, bn: tf.layers.Layer): tf.Tensor[] {
  return tf.tidy(() => {
    const bnCfg = bn.getConfig() as { epsilon?: number; center?: boolean; scale?: boolean };
    const bw = bn.getWeights();
    let i = 0;
    const gamma = bnCfg.scale === false ? null : bw[i++];
    const beta = bnCfg.center === false ? null : bw[i++];
    const [mean, variance] = [bw[i], bw[i + 1]];
    const s = tf.div(gamma ?? tf.onesLike(mean), tf.sqrt(tf.add(variance, bnCfg.epsilon ?? 1e-3)));
    const [kernel, bias] = conv.getWeights();
    const [kh, kw, c, m] = kernel.shape as number[];
    // Conv2D: output channel = kernel axis 3. Depthwise: output channel k·m + j = kernel [.., k, j].
    const depthwise = conv.getClassName() === 'DepthwiseConv2D';
    const k2 = depthwise ? tf.reshape(tf.mul(tf.reshape(kernel, [kh, kw, c * m]), s), [kh, kw, c, m]) : tf.mul(kernel, s);
    const b0 = bias ?? tf.zerosLike(mean);
    const b2 = tf.add(tf.mul(tf.sub(b0, mean), s), beta ?? tf.zerosLike(mean));
    return [freshCopy(k2), freshCopy(b2)];
  });
}
