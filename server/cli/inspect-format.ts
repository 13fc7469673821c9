/** The `dcp inspect` report: a per-layer table and totals (text), or one JSON document (`--json`). */
import type { ModelSummary } from '../../protocol/model';
import type { GraphBlock, HeadPosition, ModelGraph, PrunableConv } from '../dcp/graph/graph';
import { formatTable, grouped, human, shapeText } from './table';

/** What `dcp inspect --json` prints. */
export interface InspectReport {
  schema: 'dcp-inspect/1';
  /** Per-layer rows, totals and the names of the prunable convs. */
  summary: ModelSummary;
  /** Each prunable conv with the layers that lose channels with it (see server/dcp/graph.ts). */
  prunable: PrunableConv[];
  /** Blocks with their end layer (where heads attach) and prunable convs; `layers` left out for brevity. */
  blocks: Omit<GraphBlock, 'layers'>[];
  /** The default number of auxiliary heads and where they go. */
  heads: { count: number; positions: HeadPosition[] };
  /** The TF.js backend that loaded the model. */
  backend: string;
}

export function inspectReport(summary: ModelSummary, graph: ModelGraph, heads: HeadPosition[], backend: string): InspectReport {
  return {
    schema: 'dcp-inspect/1',
    summary,
    prunable: graph.prunable,
    blocks: graph.blocks.map(({ index, end, kind, convs }) => ({ index, end, kind, convs })),
    heads: { count: heads.length, positions: heads },
    backend,
  };
}

/** The DCP column: what selection would do with this layer, or why it leaves it alone. */
function verdict(row: ModelSummary['layers'][number], conv: PrunableConv | undefined): string {
  if (conv) return `prunable (${conv.inChannels} in); removes ${[...new Set(conv.producers.map((p) => p.layer))].join(', ')}`;
  return row.reason ? `no: ${row.reason}` : '';
}

/** 1722 → "1,722 (1.72 K)"; small numbers without the rounded form. */
function approx(n: number): string {
  return n >= 1000 ? `${grouped(n)} (${human(n)})` : grouped(n);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The text report, one string per line. */
export function formatInspect(report: InspectReport): string[] {
  const { summary: s } = report;
  const prunable = new Map(report.prunable.map((p) => [p.layer, p]));
  const rows = s.layers.map((l) => [
    l.name, l.className, shapeText(l.outputShape), grouped(l.params), grouped(l.flops), verdict(l, prunable.get(l.name)),
  ]);
  const convs = s.layers.filter((l) => l.prunable !== undefined).length;
  const heads = report.heads.positions.map((h) => h.after);
  return [
    `Model ${s.name}: input ${shapeText(s.inputShape)}, ${s.numClasses} classes, ${s.layers.length} layers`,
    '',
    ...formatTable(['Layer', 'Type', 'Output', 'Params', 'FLOPs', 'DCP'], rows, [false, false, false, true, true, false]),
    '',
    `Total: ${approx(s.totalParams)} params, ${approx(s.totalFlops)} FLOPs (multiply-adds per sample)`,
    `Prunable: ${s.prunable.length} of ${convs} convolutions; ${plural(report.blocks.length, 'block')}; ` +
      (heads.length > 0 ? `${plural(heads.length, 'auxiliary head')} by default, after ${heads.join(', ')}` : `no auxiliary heads by default (${plural(report.blocks.length, 'block')}: L_S is the classifier's own loss; --heads P adds P)`),
  ];
}
