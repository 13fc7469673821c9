import type { ModelStats, RunReport } from '../../protocol/model';

/** Fixed-width table of plain strings: first row is the header; numbers right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

const pct = (a: number | null): string => (a === null ? '-' : `${(a * 100).toFixed(2)}%`);
const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)} ms`);
const ratio = (before: number | null, after: number | null): string =>
  before === null || after === null || after === 0 ? '-' : `${(before / after).toFixed(2)}x`;

/** The before / after-selection / after-fine-tuning table every prune run ends with. */
export function beforeAfterTable(r: RunReport): string {
  const cols: ModelStats[] = [r.before, r.afterSelection, r.after];
  const rows: string[][] = [
    ['', 'before', 'after selection', 'after fine-tuning', 'reduction'],
    ['params', ...cols.map((c) => fmtCount(c.params)), ratio(r.before.params, r.after.params)],
    ['FLOPs (mult-adds)', ...cols.map((c) => fmtCount(c.flops)), ratio(r.before.flops, r.after.flops)],
    ['val accuracy', ...cols.map((c) => pct(c.accuracy)), r.before.accuracy !== null && r.after.accuracy !== null ? `${((r.after.accuracy - r.before.accuracy) * 100).toFixed(2)} pt` : '-'],
    ['latency, batch 1', ...cols.map((c) => ms(c.latencyMs1)), ratio(r.before.latencyMs1, r.after.latencyMs1)],
    [`latency, batch ${r.before.latencyBatch}`, ...cols.map((c) => ms(c.latencyMsBatch)), ratio(r.before.latencyMsBatch, r.after.latencyMsBatch)],
  ];
  return formatTable(rows);
}

/** Per-layer table: channels kept, final losses, iterations. */
export function layersTable(r: RunReport): string {
  const rows = [['layer', 'stage', 'kept', 'L_M', 'λ·L_S', 'iters', 'kernels', 'seconds']];
  for (const l of r.layers) {
    rows.push([
      l.layer, String(l.stage), `${l.kept.length}/${l.inChannels}`, l.lossM.toFixed(4), l.lossS.toFixed(4), String(l.iterations),
      l.keptKernels !== undefined ? `${l.keptKernels}/${l.totalKernels}` : '-', l.seconds.toFixed(1),
    ]);
  }
  return formatTable(rows);
}

/** Per-conv latency in isolation, before → after (only when the run measured it: `--layer-latency`). */
export function layerLatencyTable(r: RunReport): string {
  const b = r.before.latencyBatch;
  const rows = [['conv', 'channels in', 'channels out', 'batch 1 before', 'after', `batch ${b} before`, 'after']];
  for (const l of r.layerLatency ?? []) {
    const [i0, i1] = l.inputShape.map((s) => s.at(-1) ?? 0);
    rows.push([
      l.layer, i0 === i1 ? String(i0) : `${i0}→${i1}`, l.outChannels[0] === l.outChannels[1] ? String(l.outChannels[0]) : `${l.outChannels[0]}→${l.outChannels[1]}`,
      ms(l.before[0]), ms(l.after[0]), ms(l.before[1]), ms(l.after[1]),
    ]);
  }
  return formatTable(rows);
}

/** Selection cost line: ours vs. the reference algorithm, in training-epoch equivalents. */
export function costLine(r: RunReport): string {
  const c = r.selectionCost;
  return `selection cost: ${c.epochEquivalents.toFixed(2)} training-epoch equivalents (reference algorithm: 2·Σk_l = ${c.referenceEpochEquivalents} passes over the training data)`;
}

/** Where the latency rows were timed: said always, since it need not be the run's backend (`--latency-backend`). */
export function latencyBackendLine(r: RunReport): string {
  const on = r.latencyBackend ?? r.backend;
  return r.latencyBackendNote ? `latency timed on ${on}: ${r.latencyBackendNote}` : `latency timed on ${on}${on === r.backend ? '' : ` (the run computed on ${r.backend})`}`;
}

/** What `dcp prune` and `dcp demo` print when a run finishes: the layer table, the before/after table, the cost. */
export function summaryLines(r: RunReport): string[] {
  const latency = r.layerLatency ? ['', 'per-layer latency, each conv timed alone:', layerLatencyTable(r)] : [];
  if (r.onnxLatency) {
    const o = r.onnxLatency;
    latency.push(`${o.runtime}: ${o.batches.map((b, i) => `batch ${b} ${o.before[i].toFixed(3)} → ${o.after[i].toFixed(3)} ms (${(o.before[i] / o.after[i]).toFixed(2)}x)`).join(', ')}`);
  } else if (r.onnxLatencyNote) latency.push(`onnxruntime latency not measured: ${r.onnxLatencyNote}`);
  return ['', layersTable(r), '', beforeAfterTable(r), costLine(r), latencyBackendLine(r), ...foldingLines(r), ...latency];
}

/**
 * With `--fold-batchnorm`: what was folded, and the unpruned model folded the same way, so the reader can tell the
 * gain of pruning (folded over folded) from what folding adds (the table's "after" is the folded model).
 */
export function foldingLines(r: RunReport): string[] {
  if (r.foldingNote) return [`--fold-batchnorm: ${r.foldingNote}`];
  const f = r.folding;
  if (!f) return [];
  const bns = f.convs.filter((c) => c.batchNorm).length;
  const acts = f.convs.filter((c) => c.activation).length;
  const pair = (folded: number | null, after: number | null, label: string): string =>
    `${label} ${ms(folded)} → ${ms(after)} (${ratio(folded, after)})`;
  return [
    `folded ${bns} BatchNorm and ${acts} activation layers into their convs (${f.layers[0]} → ${f.layers[1]} layers); "after" is the folded model`,
    `pruning alone, the unpruned model folded the same way → the saved model: ${pair(f.beforeFoldedLatencyMs1, r.after.latencyMs1, 'batch 1')}, ${pair(f.beforeFoldedLatencyMsBatch, r.after.latencyMsBatch, `batch ${r.before.latencyBatch}`)}`,
  ];
}
