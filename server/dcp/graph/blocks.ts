/**
 * Blocks, head positions and stages (DCP-SPEC §2). A block is the piece of network between two layers that every
 * input-to-output path crosses (cut points) holding a prunable conv or a residual Add: a residual block, an
 * Inception block, or one conv of a plain stack (MobileNet's depthwise conv joins the pointwise conv after it).
 */
import type { StageInfo } from '../../../protocol/model';
import { cutPoints, type Topology, type TopoNode } from './topology';

/** One block, in forward order. */
export interface GraphBlock {
  index: number;
  /** Layer whose output is the block's result (e.g. the ReLU after the Add): a head after this block reads it. */
  end: string;
  /** `residual` when the block contains an Add, else `plain`. */
  kind: 'residual' | 'plain';
  /** Prunable convs of the block, forward order. */
  convs: string[];
  /** Every layer after the previous block's end up to and including `end`, topological order. */
  layers: string[];
}

/** Where an auxiliary head attaches: after block `blockIndex` (0-based), reading the output of layer `after`. */
export interface HeadPosition {
  after: string;
  blockIndex: number;
}

/** Layers a head may look past: they only normalise, activate or pool what the block produced. */
const HEAD_TRANSPARENT = new Set([
  'BatchNormalization', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'MaxPooling2D', 'AveragePooling2D',
  'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
]);

function headTransparent(n: TopoNode): boolean {
  if (n.className === 'Activation') return n.layer.getConfig().activation !== 'softmax';
  return HEAD_TRANSPARENT.has(n.className) && n.outputShape.length === 3;
}

/** Splits the network into blocks; `prunable` lists the prunable convs. */
export function findBlocks(topo: Topology, prunable: ReadonlySet<string>): GraphBlock[] {
  const cuts = cutPoints(topo);
  const cutIndex = new Map(cuts.map((c, i) => [c, i]));
  // nextCut(L): the first cut point at or after L; every path from L to an output passes it.
  const nextCut = new Map<string, number>();
  for (const name of [...topo.order].reverse()) {
    const own = cutIndex.get(name);
    const after = (topo.nodes.get(name)?.consumers ?? []).map((c) => nextCut.get(c)).filter((i) => i !== undefined);
    const best = own ?? (after.length > 0 ? Math.min(...after) : undefined);
    if (best !== undefined) nextCut.set(name, best);
  }
  const ends: { end: string; residual: boolean }[] = [];
  cuts.forEach((cut, i) => {
    const members = topo.order.filter((n) => nextCut.get(n) === i);
    const residual = members.some((n) => topo.nodes.get(n)?.className === 'Add');
    if (!residual && !members.some((n) => prunable.has(n))) return;
    ends.push({ end: extendEnd(topo, cut), residual });
  });
  const position = new Map(topo.order.map((n, i) => [n, i]));
  let from = 0;
  const blocks: GraphBlock[] = ends.map(({ end, residual }, index) => {
    const to = position.get(end) as number;
    const layers = topo.order.slice(from, to + 1);
    from = to + 1;
    return { index, end, kind: residual ? 'residual' : 'plain', convs: layers.filter((n) => prunable.has(n)), layers };
  });
  // Prunable convs past the last cut (only with several outputs) join the last block, or form one.
  const tail = topo.order.slice(from).filter((n) => prunable.has(n));
  if (tail.length > 0 && blocks.length === 0) {
    blocks.push({ index: 0, end: topo.outputs[0], kind: 'plain', convs: tail, layers: [...topo.order] });
  } else if (tail.length > 0) {
    blocks[blocks.length - 1].convs.push(...tail);
  }
  return blocks;
}

/**
 * Follows a block's last layer through the BN / activation / pooling it alone feeds, so the head sees activated
 * features (conv → BN → ReLU → pool; Add → ReLU). A BatchNorm after an Add starts the next pre-activation block,
 * so it ends the walk.
 */
function extendEnd(topo: Topology, cut: string): string {
  let n = topo.nodes.get(cut) as TopoNode;
  const afterAdd = n.className === 'Add';
  while (n.consumers.length === 1 && !topo.outputs.includes(n.name)) {
    const next = topo.nodes.get(n.consumers[0]) as TopoNode;
    if (!headTransparent(next) || next.inputs.length !== 1) break;
    if (afterAdd && next.className === 'BatchNormalization') break;
    n = next;
  }
  return n.name;
}

/**
 * Up to this many blocks the default is no auxiliary head: L_S is the network's own classifier's loss, at most a few
 * blocks away [ours]. Measured on the three examples (4-6 blocks; docs/compare.md, "Heads"): before any fine-tuning the
 * classifier's loss chose better than the authors' 2 heads (ResNet 97.10% against 94.50%, Fashion-MNIST ResNet 81.49%
 * against 79.79%, VGG level at 98.35%); an early head on so shallow a net reaches only 73-80% and steers stage 0's
 * choice toward what that head can read, not what the rest of the network needs.
 */
export const HEADLESS_MAX_BLOCKS = 8;

/**
 * Default number of auxiliary heads P: none up to HEADLESS_MAX_BLOCKS blocks, 3 for deep residual nets (≥ 12 blocks),
 * else 2 (the authors' defaults); always < number of blocks so that the last stage keeps at least one block.
 */
export function defaultHeads(graph: { blocks: GraphBlock[] }): number {
  const b = graph.blocks.length;
  if (b <= HEADLESS_MAX_BLOCKS) return 0;
  const deepResidual = b >= 12 && graph.blocks.some((x) => x.kind === 'residual');
  return Math.min(deepResidual ? 3 : 2, b - 1);
}

/**
 * Head positions by the authors' rule: with B blocks and S = P+1 stages, per = ⌊B/S⌋+1 and head i (1…P) follows
 * the first min(per·i, B−1) blocks, i.e. `blockIndex` = min(per·i, B−1) − 1 (0-based).
 * When the cap makes two heads coincide (P close to B) we spread them evenly instead, at round(i·B/S) blocks
 * [ours]: the authors' code would give two heads the same position and one stage no layers.
 * @throws RangeError unless 0 ≤ P < B.
 */
export function headPositions(graph: { blocks: GraphBlock[] }, heads: number): HeadPosition[] {
  const b = graph.blocks.length;
  if (!Number.isInteger(heads) || heads < 0 || heads >= Math.max(b, 1)) {
    throw new RangeError(`${heads} auxiliary heads need more than ${heads} blocks; this model has ${b} (use 0 to ${Math.max(0, b - 1)})`);
  }
  const stages = heads + 1;
  const per = Math.floor(b / stages) + 1;
  let counts = Array.from({ length: heads }, (_, i) => Math.min(per * (i + 1), b - 1));
  if (new Set(counts).size < counts.length) counts = Array.from({ length: heads }, (_, i) => Math.round(((i + 1) * b) / stages));
  return counts.map((n) => ({ after: graph.blocks[n - 1].end, blockIndex: n - 1 }));
}

/**
 * Stage s holds the prunable convs of the blocks after head s−1 up to and including head s's block; the last stage
 * (index P) holds the rest and uses the network's own classifier, whose head index is P.
 */
export function assignStages(graph: { blocks: GraphBlock[] }, heads: HeadPosition[]): StageInfo[] {
  const bounds = heads.map((h) => h.blockIndex);
  return Array.from({ length: heads.length + 1 }, (_, s) => {
    const lo = s === 0 ? -1 : bounds[s - 1];
    const hi = s === heads.length ? Infinity : bounds[s];
    const layers = graph.blocks.filter((bl) => bl.index > lo && bl.index <= hi).flatMap((bl) => bl.convs);
    return { index: s, layers, head: s };
  });
}

const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/**
 * Lb of the v2 head weights: the most convolutions one path crosses inside a residual block (basic block 2,
 * bottleneck 3; a 1×1 shortcut conv is a shorter, parallel path), the largest over the blocks. Paths are counted
 * from the block's input, the last layer read twice (so a stem in the first block does not count). Plain stacks
 * count prunable convs as blocks, so their Lb is 1.
 */
export function layersPerBlock(graph: { blocks: GraphBlock[]; layers: Record<string, { className: string; inputs: string[] }> }): number {
  const reads = new Map<string, number>();
  for (const l of Object.values(graph.layers)) for (const i of l.inputs) reads.set(i, (reads.get(i) ?? 0) + 1);
  let lb = 0;
  for (const block of graph.blocks) {
    if (block.kind !== 'residual') continue;
    const depth = new Map<string, number>();
    // block.layers is in topological order, so every producer inside the block has its depth already.
    for (const name of block.layers) {
      const l = graph.layers[name];
      if ((reads.get(name) ?? 0) > 1) { depth.set(name, 0); continue; }
      const before = Math.max(0, ...(l?.inputs ?? []).map((i) => depth.get(i) ?? 0));
      depth.set(name, before + (l && CONV_CLASSES.has(l.className) ? 1 : 0));
    }
    lb = Math.max(lb, ...depth.values());
  }
  return Math.max(1, lb);
}
