/** Compact views of a ModelGraph so tests can state expectations in one line each. */
import * as tf from '@tensorflow/tfjs';
import type { ModelGraph, PrunableConv } from '../../../server/dcp/graph/graph';

/** The graph tests only build and read models: the pure-JS backend is enough and starts instantly. */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
}

/** `layer:kind@offset+channels` for each producer of a prunable conv, forward order. */
export function producers(graph: ModelGraph, conv: string): string[] {
  return prunableConv(graph, conv).producers.map((p) => `${p.layer}:${p.kind}@${p.offset}+${p.channels}`);
}

export function prunableConv(graph: ModelGraph, conv: string): PrunableConv {
  const p = graph.prunable.find((x) => x.layer === conv);
  if (!p) throw new Error(`${conv} is not prunable: ${reason(graph, conv)}`);
  return p;
}

export function prunableNames(graph: ModelGraph): string[] {
  return graph.prunable.map((p) => p.layer);
}

export function reason(graph: ModelGraph, layer: string): string {
  const r = graph.notPrunable.find((x) => x.layer === layer);
  if (!r) throw new Error(`${layer} has no reason (prunable or not a conv/dense layer)`);
  return r.reason;
}

/** `index:kind:end[convs]` per block. */
export function blocks(graph: ModelGraph): string[] {
  return graph.blocks.map((b) => `${b.index}:${b.kind}:${b.end}[${b.convs.join(',')}]`);
}
