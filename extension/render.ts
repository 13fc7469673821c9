/**
 * Markdown for the read-only documents the commands open: a model's layer table (Inspect Model), a run's
 * report (Show Run Report) and a side-by-side of methods (Compare Methods). Pure text, unit-tested.
 */
import { SPREAD_LEGEND, compareCells, compareDocument, hasSpread } from '../protocol/compare';
import type { ModelStats, ModelSummary, RunReport } from '../protocol/model';

/** 1234567 → "1.23 M"; keeps tables narrow. */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function percent(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(2)}%`;
}

/** "−48.2%" for a reduction from `before` to `after`. */
export function reduction(before: number, after: number): string {
  if (before <= 0) return '–';
  return `−${((1 - after / before) * 100).toFixed(1)}%`;
}

/**
 * A string from a file (a layer or model name, a dataset path) as literal Markdown text: every character Markdown
 * or HTML gives a meaning is escaped, so a name like `[x](command:…)` or `<img onerror=…>` shows as itself.
 */
export function text(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, '\\$&');
}

/** A string from a file as an inline code span: the fence is longer than any run of backticks inside. */
export function code(s: string): string {
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${flat} ${fence}`;
}

/** Escapes the characters that would break a Markdown table cell (cells built from file strings use `text`). */
function cell(s: string): string {
  return s.replace(/(?<!\\)\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

export function inspectMarkdown(s: ModelSummary, where: string): string {
  const convs = s.layers.filter((l) => l.prunable !== undefined);
  return [
    `# ${text(s.name)}`,
    '',
    `${code(where)} · input ${JSON.stringify(s.inputShape)} · ${s.numClasses} classes · ${compact(s.totalParams)} params · ${compact(s.totalFlops)} FLOPs (multiply-adds per sample)`,
    '',
    `**${s.prunable.length} of ${convs.length} convolutions are prunable.**`,
    '',
    '## Convolutions',
    '',
    table(
      ['Layer', 'In → out channels', 'Params', 'FLOPs', 'Prunable'],
      convs.map((l) => [text(l.name), `${l.inChannels ?? '?'} → ${l.outChannels ?? '?'}`, compact(l.params), compact(l.flops), l.prunable ? 'yes' : `no: ${text(l.reason ?? '')}`]),
    ),
    '',
    '## All layers',
    '',
    table(
      ['Layer', 'Class', 'Output shape', 'Params', 'Inputs'],
      s.layers.map((l) => [text(l.name), text(l.className), JSON.stringify(l.outputShape), compact(l.params), l.inboundLayers.map(text).join(', ')]),
    ),
    '',
  ].join('\n');
}

function statsRow(label: string, m: ModelStats): string[] {
  return [label, compact(m.params), compact(m.flops), percent(m.accuracy), m.latencyMs1 === null ? '–' : `${m.latencyMs1.toFixed(2)} ms`];
}

export function reportMarkdown(r: RunReport, runId: string): string {
  return [
    `# DCP run ${text(runId)}: ${text(r.model.name)}`,
    '',
    `Method **${r.config.method}**, rate ${r.config.rate}, λ ${r.config.lambda}, stop rule ${r.config.stop}, dataset ${code(r.config.data)}, backend ${text(r.backend)}, ${r.seconds.toFixed(1)} s.`,
    '',
    `Params ${reduction(r.before.params, r.after.params)}, FLOPs ${reduction(r.before.flops, r.after.flops)}.`,
    '',
    table(['Model', 'Params', 'FLOPs', 'Accuracy', 'Latency (batch 1)'], [
      statsRow('Before', r.before),
      statsRow('After selection', r.afterSelection),
      statsRow('After fine-tune', r.after),
    ]),
    '',
    '## Layers',
    '',
    table(
      ['Layer', 'Stage', 'Kept channels', 'L_M', 'λ·L_S', 'Seconds'],
      r.layers.map((l) => [text(l.layer), String(l.stage), `${l.kept.length}/${l.inChannels}`, l.lossM.toExponential(3), l.lossS.toExponential(3), l.seconds.toFixed(1)]),
    ),
    '',
  ].join('\n');
}

/** One method of a Compare Methods series, finished or not. */
export interface CompareOutcome {
  method: string;
  status: string;
  report: RunReport | null;
}

/**
 * The comparison document: the same cells as `dcp compare`'s table (protocol/compare.ts), with mean ± std where a
 * method ran on several seeds, and a line for each method that did not finish.
 */
export function compareMarkdown(modelName: string, outcomes: readonly CompareOutcome[]): string {
  const reports = outcomes.flatMap((o) => (o.report ? [o.report] : []));
  const unfinished = outcomes.filter((o) => !o.report);
  const doc = reports.length > 0 ? compareDocument(modelName, reports) : null;
  const lines = [`# Compare methods: ${modelName}`, ''];
  if (doc) {
    const [header, ...rows] = compareCells(doc);
    lines.push(table(header, rows), '');
    if (hasSpread(doc)) lines.push(`${SPREAD_LEGEND}.`, '');
    const s = doc.shared;
    lines.push(`Same settings for every run: rate ${s.rate}, λ ${s.lambda}, stop rule ${s.stop}, dataset \`${s.data}\`, ${s.finetuneEpochs} fine-tuning epoch(s).`, '');
  } else {
    lines.push('No run finished.', '');
  }
  if (unfinished.length > 0) lines.push('Not finished:', '', ...unfinished.map((o) => `- ${o.method}: ${o.status}`), '');
  return lines.join('\n');
}
