/**
 * Pure views of the PanelState: what each chart and table shows, and how its numbers are written. No DOM, so they
 * are unit-tested with the reducer.
 */
import type { IterationPoint, LayerState, PanelState } from './state';

/** One bar of the overview. DKP counts kernels (in × out slices), the other methods input channels. */
export interface OverviewRow {
  name: string;
  kept: number;
  removed: number;
  /** Not decided yet (layer pending or being selected). */
  pending: number;
  status: LayerState['status'];
}

export type OverviewUnit = 'channels' | 'kernels';

export function overviewUnit(s: PanelState): OverviewUnit {
  return s.config?.method === 'dkp' ? 'kernels' : 'channels';
}

export function overviewRows(s: PanelState): OverviewRow[] {
  const unit = overviewUnit(s);
  return s.layerOrder.map((name) => {
    const l = s.layers[name];
    if (unit === 'kernels') {
      // The whole layer's kernels (in × out): the engine's totalKernels counts only the kept channels' kernels.
      const total = l.outChannels !== null ? l.inChannels * l.outChannels : l.result?.totalKernels ?? l.inChannels;
      const kept = l.result?.keptKernels ?? countMask(l.kernelMask);
      return l.status === 'done'
        ? { name, kept, removed: total - kept, pending: 0, status: l.status }
        : { name, kept, removed: 0, pending: total - kept, status: l.status };
    }
    const kept = l.status === 'done' && l.result ? l.result.kept.length : l.kept.length;
    return l.status === 'done'
      ? { name, kept, removed: l.inChannels - kept, pending: 0, status: l.status }
      : { name, kept, removed: 0, pending: l.inChannels - kept, status: l.status };
  });
}

function countMask(mask: LayerState['kernelMask']): number {
  let n = 0;
  for (const row of mask ?? []) for (const v of row) n += v ? 1 : 0;
  return n;
}

/** L_M and λ·L_S per layer: the final values of finished layers, the latest iteration's for the one in progress. */
export interface LossRow {
  name: string;
  lossM: number;
  lossS: number;
  final: boolean;
}

export function lossRows(s: PanelState): LossRow[] {
  const rows: LossRow[] = [];
  for (const name of s.layerOrder) {
    const l = s.layers[name];
    const last = l.iterations.at(-1);
    if (l.result) rows.push({ name, lossM: l.result.lossM, lossS: l.result.lossS, final: true });
    else if (last) rows.push({ name, lossM: last.lossM, lossS: last.lossS, final: false });
  }
  return rows;
}

export type ChannelMark = 'kept' | 'added' | 'candidate' | 'removed';

export interface ChannelScore {
  channel: number;
  /**
   * Score at the shown iteration, for every channel: channels kept earlier have one too (the engine scores the whole
   * kernel) but are out of the running; a kernel step's is the channel's kernel scores summed over its outputs.
   */
  score: number;
  /** `kept` = added at an earlier channel iteration of this layer, known from those iterations' `added`. */
  mark: ChannelMark;
}

/** The selected layer at one greedy iteration: per-channel scores with marks, the kernel mask so far, the loss curves. */
export interface LayerDetail {
  layer: LayerState;
  /** Shown iteration (0-based, clamped), -1 when the layer has no iteration yet. */
  index: number;
  point: IterationPoint | null;
  scores: ChannelScore[];
  /** DKP mask [in][out] as of the shown iteration, and the flat indices k·out + j added at it. */
  mask: ReadonlyArray<ReadonlyArray<number>> | null;
  maskAdded: ReadonlySet<number>;
}

export function layerDetail(layer: LayerState, iteration: number | null): LayerDetail {
  const n = layer.iterations.length;
  const index = n === 0 ? -1 : iteration === null ? n - 1 : Math.max(0, Math.min(n - 1, iteration));
  const point = index >= 0 ? layer.iterations[index] : null;
  // The stream is the truth: a kernel step comes after all of its layer's channel steps, so this is every kept channel.
  const keptBefore = new Set<number>();
  for (let i = 0; i < index; i++) if (layer.iterations[i].kind === 'channel') layer.iterations[i].added.forEach((k) => keptBefore.add(k));
  const added = new Set(point?.kind === 'channel' ? point.added : []);
  const isLastChannelStep = point !== null && layer.status === 'done' && !layer.iterations.slice(index + 1).some((p) => p.kind === 'channel');
  const perChannel = point ? channelScores(point, layer) : [];
  const scores: ChannelScore[] = [];
  for (let k = 0; k < perChannel.length; k++) {
    const mark: ChannelMark = added.has(k) ? 'added' : keptBefore.has(k) ? 'kept' : isLastChannelStep ? 'removed' : 'candidate';
    scores.push({ channel: k, score: perChannel[k], mark });
  }
  return { layer, index, point, scores, ...maskAt(layer, index) };
}

/** Channel scores; DKP kernel iterations are summed over outputs so the chart stays one bar per input channel. */
function channelScores(point: IterationPoint, layer: LayerState): number[] {
  if (point.kind === 'channel') return [...point.scores];
  const out = layer.outChannels ?? 1;
  return Array.from({ length: layer.inChannels }, (_, k) => {
    let sum = 0;
    for (let j = 0; j < out; j++) sum += point.scores[k * out + j];
    return sum;
  });
}

function maskAt(layer: LayerState, index: number): Pick<LayerDetail, 'mask' | 'maskAdded'> {
  const out = layer.outChannels;
  const kernelSteps = layer.iterations.slice(0, index + 1).filter((p) => p.kind === 'kernel');
  const isLatest = index === layer.iterations.length - 1;
  if (kernelSteps.length === 0 || out === null) {
    // No kernel step yet, or a report that carries only the final mask.
    return { mask: isLatest || index < 0 ? layer.kernelMask : null, maskAdded: new Set() };
  }
  if (isLatest && layer.kernelMask) return { mask: layer.kernelMask, maskAdded: new Set(kernelSteps.at(-1)?.added ?? []) };
  const mask = Array.from({ length: layer.inChannels }, () => new Array<number>(out).fill(0));
  for (const p of kernelSteps) for (const flat of p.added) if (flat >= 0 && flat < layer.inChannels * out) mask[Math.floor(flat / out)][flat % out] = 1;
  return { mask, maskAdded: new Set(kernelSteps.at(-1)?.added ?? []) };
}

/** Rows of the before/after table: before, after selection, after fine-tuning, and the reduction factor. */
export interface SummaryRow {
  label: string;
  before: string;
  afterSelection: string;
  after: string;
  change: string;
}

export function summaryRows(s: PanelState): SummaryRow[] {
  const b = s.before;
  const m = s.afterSelection;
  const a = s.after;
  const batch = b?.latencyBatch ?? a?.latencyBatch ?? 1;
  const accChange = b?.accuracy != null && a?.accuracy != null ? `${((a.accuracy - b.accuracy) * 100).toFixed(2)} pt` : '—';
  return [
    { label: 'Parameters', before: formatCount(b?.params), afterSelection: formatCount(m?.params), after: formatCount(a?.params ?? m?.params), change: formatRatio(b?.params, a?.params ?? m?.params) },
    { label: 'FLOPs (multiply-adds)', before: formatCount(b?.flops), afterSelection: formatCount(m?.flops), after: formatCount(a?.flops ?? m?.flops), change: formatRatio(b?.flops, a?.flops ?? m?.flops) },
    { label: 'Accuracy', before: formatPercent(b?.accuracy), afterSelection: formatPercent(m?.accuracy), after: formatPercent(a?.accuracy), change: accChange },
    { label: 'Latency, batch 1', before: formatMs(b?.latencyMs1), afterSelection: formatMs(m?.latencyMs1), after: formatMs(a?.latencyMs1), change: formatRatio(b?.latencyMs1, a?.latencyMs1) },
    { label: `Latency, batch ${batch}`, before: formatMs(b?.latencyMsBatch), afterSelection: formatMs(m?.latencyMsBatch), after: formatMs(a?.latencyMsBatch), change: formatRatio(b?.latencyMsBatch, a?.latencyMsBatch) },
  ];
}

/** A message from the host (a refused start, a lost server), tagged with the run and attempt it arrived during. */
export interface HostNotice {
  level: 'info' | 'error';
  message: string;
  runId: string | null;
  attempt: number;
}

/**
 * The header's notice. The host's latest one holds while the run it arrived during is on the same attempt; the run's
 * own failure holds while the run is failed. Both go when a resumed attempt's runStarted arrives (after a server
 * crash the notice would otherwise sit above a run that is running again) or another run is shown.
 */
export function visibleNotice(s: PanelState, host: HostNotice | null): Pick<HostNotice, 'level' | 'message'> | null {
  if (host && host.runId === s.runId && host.attempt === s.attempt) return { level: host.level, message: host.message };
  if (s.status === 'failed' && s.failure) return { level: 'error', message: s.failure };
  return null;
}

/** The layer the detail view follows when the user has not picked one: the one being selected, else the last done. */
export function followedLayer(s: PanelState): string | null {
  if (s.currentLayer && s.layers[s.currentLayer]) return s.currentLayer;
  const done = s.layerOrder.filter((n) => s.layers[n].status === 'done');
  return done.at(-1) ?? s.layerOrder[0] ?? null;
}

// ---- number formatting: short, unit-bearing, and '—' for values that were not measured --------------------------

export const MISSING = '—';

/** 1234 → "1.23 k", 2.5e6 → "2.50 M": parameter and FLOP counts. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return MISSING;
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(2)} k`;
  return String(Math.round(n));
}

/** Accuracy in [0, 1] → "91.2 %". */
export function formatPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? MISSING : `${(v * 100).toFixed(1)} %`;
}

export function formatMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(v >= 10 ? 1 : 2)} ms`;
}

/** Seconds → "45 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return MISSING;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Losses span orders of magnitude: 4 significant digits, exponent form when tiny. */
export function formatLoss(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  return Math.abs(v) !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(4);
}

/** "before → after" reduction as a factor, e.g. "1.97×" fewer; null when either side is missing. */
export function formatRatio(before: number | null | undefined, after: number | null | undefined): string {
  if (!before || !after || !Number.isFinite(before) || !Number.isFinite(after)) return MISSING;
  return `${(before / after).toFixed(2)}×`;
}
