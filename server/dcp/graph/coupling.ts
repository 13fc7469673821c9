/**
 * Which layers' channels are tied together, as the summary reports it to the panel's graph view (LayerInfo.coupling):
 * what each prunable conv removes with its input channels (from the channel trace), and residual width groups.
 */
import type { LayerCoupling } from '../../../protocol/model';
import type { ModelGraph } from './graph';

/**
 * Layers whose output channel j is their input channel j (so an Add joining them ties the producer's width too).
 * Deliberately broader than the prunability trace's list: here a wrong "tied" only colours a node, it cuts nothing.
 */
const SAME_CHANNELS = new Set([
  'BatchNormalization', 'DepthwiseConv2D', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'ThresholdedReLU',
  'Softmax', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'MaxPooling2D', 'AveragePooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'Add', 'Multiply', 'Average',
  'Maximum', 'Minimum', 'Subtract', 'LayerNormalization',
]);
const MERGES = new Set(['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract']);

/** Per layer name, its coupling; layers with nothing tied are absent. */
export function couplingOf(graph: ModelGraph): Map<string, LayerCoupling> {
  const out = new Map<string, LayerCoupling>();
  const get = (name: string): LayerCoupling => {
    let c = out.get(name);
    if (!c) out.set(name, (c = {}));
    return c;
  };
  for (const p of graph.prunable) {
    get(p.layer).removesWith = p.producers.map((q) => ({ layer: q.layer, kind: q.kind, offset: q.offset, channels: q.channels }));
    for (const q of p.producers) get(q.layer).prunedBy = p.layer;
  }
  for (const [i, group] of widthGroups(graph).entries()) for (const name of group) get(name).widthGroup = i;
  return out;
}

/**
 * Union-find over "same channels" edges (a channel-wise layer and its input, a merge and each input); the groups
 * holding a merge are the residual width groups, in forward order of their first layer. Model inputs are left out:
 * the image's channels are not a width anyone can choose.
 */
export function widthGroups(graph: ModelGraph): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(x, r);
    return r;
  };
  for (const name of graph.order) parent.set(name, name);
  for (const name of graph.order) {
    const l = graph.layers[name];
    if (!SAME_CHANNELS.has(l.className)) continue;
    for (const input of l.inputs) if (graph.layers[input]?.className !== 'InputLayer') parent.set(find(input), find(name));
  }
  const members = new Map<string, string[]>();
  for (const name of graph.order) {
    if (graph.layers[name].className === 'InputLayer') continue;
    const root = find(name);
    const list = members.get(root) ?? [];
    list.push(name);
    members.set(root, list);
  }
  return [...members.values()].filter((m) => m.some((n) => MERGES.has(graph.layers[n].className)));
}
