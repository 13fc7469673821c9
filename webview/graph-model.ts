/**
 * What the graph view and the before/after table show per layer, from the PanelState (pure, unit-tested):
 * channels kept of total, FLOPs before → after (exact from the report's layerDiff, estimated from the kept channels
 * while the run is going), the coupling and the layer's recipe budget.
 */
import type { LayerDiff, LayerInfo, LayerResult, ModelSummary, Recipe } from '../protocol/model';
import { layerRate } from '../protocol/recipe';
import { formatCount, formatRatio, MISSING } from './selectors';
import type { PanelState } from './state';

export interface GraphNodeInfo {
  info: LayerInfo;
  /** A prunable conv that the run selects (it has a LayerState). */
  planned: boolean;
  /** Input channels kept / total once decided (prunable convs), or output channels kept / total (their producers). */
  kept: number | null;
  total: number | null;
  flopsBefore: number;
  /** null until something is known; `estimated` while it comes from kept channels rather than the report. */
  flopsAfter: number | null;
  estimated: boolean;
  budget: number | 'never' | null;
}

/** Fraction of `p`'s channels kept by the selection `r` (a concat input owns the slice offset … offset+channels−1). */
function sliceFraction(r: LayerResult, offset: number, channels: number): number {
  if (channels <= 0) return 1;
  return r.kept.filter((k) => k >= offset && k < offset + channels).length / channels;
}

/** Per layer of the model summary, in its order. */
export function graphNodes(s: PanelState, recipe: Recipe | null | undefined): Map<string, GraphNodeInfo> {
  const out = new Map<string, GraphNodeInfo>();
  const model = s.model;
  if (!model) return out;
  const results = new Map<string, LayerResult>();
  for (const name of s.layerOrder) {
    const l = s.layers[name];
    if (l.status === 'done' && l.result) results.set(name, l.result);
  }
  const diff = new Map((s.layerDiff ?? []).map((d) => [d.layer, d]));
  for (const info of model.layers) {
    const d = diff.get(info.name);
    const own = results.get(info.name);
    const c = info.coupling;
    const by = c?.prunedBy ? results.get(c.prunedBy) : undefined;
    const slice = by && c?.prunedBy ? model.layers.find((l) => l.name === c.prunedBy)?.coupling?.removesWith?.find((p) => p.layer === info.name) : undefined;
    const outFrac = by && slice ? sliceFraction(by, slice.offset, slice.channels) : 1;
    const inFrac = own ? own.kept.length / Math.max(1, own.inChannels) : 1;
    let kept: number | null = null;
    let total: number | null = null;
    if (own) [kept, total] = [own.kept.length, own.inChannels];
    else if (by && slice) [kept, total] = [Math.round(outFrac * slice.channels), slice.channels];
    if (d) [kept, total] = channelsFromDiff(d, kept, total);
    // A depthwise conv's inputs are its outputs' channels: only the output fraction applies.
    const factor = info.className === 'DepthwiseConv2D' ? outFrac : inFrac * outFrac;
    const decided = own !== undefined || by !== undefined;
    const planned = Object.hasOwn(s.layers, info.name);
    out.set(info.name, {
      info, planned, kept, total, flopsBefore: info.flops,
      flopsAfter: d ? d.flopsAfter : decided ? Math.round(info.flops * factor) : null, estimated: !d && decided,
      budget: info.prunable ? budgetOf(recipe, info.name) : null,
    });
  }
  return out;
}

function channelsFromDiff(d: LayerDiff, kept: number | null, total: number | null): [number | null, number | null] {
  if (d.inBefore !== null && d.inAfter !== null && d.inAfter !== d.inBefore) return [d.inAfter, d.inBefore];
  if (d.outAfter !== d.outBefore) return [d.outAfter, d.outBefore];
  return [kept, total];
}

function budgetOf(recipe: Recipe | null | undefined, name: string): number | 'never' | null {
  if (!recipe || !Object.hasOwn(recipe.layers, name)) return null;
  return layerRate(recipe, name, 0);
}

/** "5.07 M → 2.59 M" (≈ while estimated), or the before value alone. */
export function flopsText(n: GraphNodeInfo): string {
  if (n.flopsBefore === 0 && (n.flopsAfter ?? 0) === 0) return '0';
  if (n.flopsAfter === null) return formatCount(n.flopsBefore);
  return `${formatCount(n.flopsBefore)} → ${n.estimated ? '≈' : ''}${formatCount(n.flopsAfter)}`;
}

export function budgetText(b: GraphNodeInfo['budget']): string {
  return b === null ? 'run rate' : b === 'never' ? 'never prune' : `rate ${b}`;
}

/** Words for the layer's coupling, for the details and the table. */
export function couplingText(info: LayerInfo): string {
  const c = info.coupling;
  if (!c) return MISSING;
  const parts: string[] = [];
  if (c.removesWith?.length) {
    parts.push(`removes with its inputs: ${c.removesWith.map((p) => `${p.layer} (${p.kind}${p.offset > 0 ? `, channels ${p.offset}–${p.offset + p.channels - 1}` : ''})`).join(', ')}`);
  }
  if (c.prunedBy) parts.push(`loses channels with ${c.prunedBy}`);
  if (c.widthGroup !== undefined) parts.push(`residual width group ${c.widthGroup + 1}`);
  return parts.join('; ') || MISSING;
}

// ---- the before/after table -------------------------------------------------------------------------------------

export type DiffKey = 'order' | 'layer' | 'channels' | 'params' | 'flops' | 'flopsSaved' | 'drift';

export interface DiffRow {
  d: LayerDiff;
  index: number;
}

const saved = (d: LayerDiff): number => d.flopsBefore - d.flopsAfter;

const SORT: Record<DiffKey, (a: DiffRow, b: DiffRow) => number> = {
  order: (a, b) => a.index - b.index,
  layer: (a, b) => a.d.layer.localeCompare(b.d.layer),
  channels: (a, b) => (a.d.outAfter / Math.max(1, a.d.outBefore)) - (b.d.outAfter / Math.max(1, b.d.outBefore)),
  params: (a, b) => (a.d.paramsBefore - a.d.paramsAfter) - (b.d.paramsBefore - b.d.paramsAfter),
  flops: (a, b) => a.d.flopsAfter - b.d.flopsAfter,
  flopsSaved: (a, b) => saved(a.d) - saved(b.d),
  // Layers without a drift figure sort below every measured one.
  drift: (a, b) => (a.d.drift ?? -1) - (b.d.drift ?? -1),
};

/** The report's rows sorted by `key` (ties in forward order); `changedOnly` drops layers pruning left alone. */
export function diffRows(diff: readonly LayerDiff[], key: DiffKey, descending: boolean, changedOnly: boolean): DiffRow[] {
  const rows = diff.map((d, index) => ({ d, index }))
    .filter((r) => !changedOnly || r.d.paramsAfter !== r.d.paramsBefore || r.d.flopsAfter !== r.d.flopsBefore || r.d.outAfter !== r.d.outBefore);
  const cmp = SORT[key];
  return rows.sort((a, b) => (descending ? -cmp(a, b) : cmp(a, b)) || a.index - b.index);
}

export function reduction(before: number, after: number): string {
  if (before === 0) return MISSING;
  return `${(((before - after) / before) * 100).toFixed(1)} %`;
}

// ---- forecast of the next run ------------------------------------------------------------------------------------

export interface Forecast {
  params: number;
  flops: number;
  paramsBefore: number;
  flopsBefore: number;
}

/**
 * Size of the model the next run would make under the `rate` rule: each prunable conv keeps c − ⌊η·c⌋ input channels
 * (its recipe rate, or all of them for "never prune"), and its producers lose the same fraction of their outputs (a
 * concat input its share, assumed proportional). Before the run the kept channels are unknown, so conv costs scale
 * with kept in × kept out; biases are scaled too, a few parameters off. DKP's kernel pruning is not forecast.
 */
export function forecastRun(model: ModelSummary, rate: number, recipe: Recipe | null | undefined): Forecast {
  const keepFrac = new Map<string, number>();
  for (const name of model.prunable) {
    const info = model.layers.find((l) => l.name === name);
    const c = info?.inChannels ?? 0;
    const r = layerRate(recipe ?? null, name, rate);
    const keep = r === 'never' || c === 0 ? c : Math.max(1, c - Math.floor(r * c));
    keepFrac.set(name, c === 0 ? 1 : keep / c);
  }
  let params = 0;
  let flops = 0;
  for (const l of model.layers) {
    const inFrac = keepFrac.get(l.name) ?? 1;
    const outFrac = l.coupling?.prunedBy ? keepFrac.get(l.coupling.prunedBy) ?? 1 : 1;
    const perChannel = l.className === 'DepthwiseConv2D' || l.className === 'BatchNormalization';
    const f = perChannel ? outFrac : inFrac * outFrac;
    params += l.params * f;
    flops += l.flops * f;
  }
  return { params: Math.round(params), flops: Math.round(flops), paramsBefore: model.totalParams, flopsBefore: model.totalFlops };
}

export function forecastText(f: Forecast, rate: number, recipe: Recipe | null | undefined): string {
  const budgets = recipe ? Object.keys(recipe.layers).length : 0;
  return `Next run at rate ${rate}${budgets > 0 ? ` with ${budgets} layer budget${budgets > 1 ? 's' : ''}` : ''}: `
    + `FLOPs ${formatCount(f.flopsBefore)} → ${formatCount(f.flops)} (${formatRatio(f.flopsBefore, f.flops)} fewer), `
    + `params ${formatCount(f.paramsBefore)} → ${formatCount(f.params)} (forecast for the rate rule; DKP's kernel pruning comes on top).`;
}
