/**
 * Language features on model.json documents: hover on a layer's name, the "Prune with DCP" / "Inspect" / "Sensitivity" CodeLenses,
 * and the layers as document symbols. Positions come from the document text (model-outline); meaning (shapes,
 * FLOPs, prunability) from the engine's summary of the file on disk; kept channels from the model's last run.
 */
import type { Connection, TextDocuments } from 'vscode-languageserver';
import { MarkupKind, SymbolKind, type CodeLens, type DocumentSymbol, type Hover, type Position, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DcpCommands } from '../../protocol/lsp';
import type { LayerInfo, LayerResult } from '../../protocol/model';
import type { RunManager } from '../runs/manager';
import { budgetLenses, readModelRecipe } from './budget-lenses';
import type { ModelInspector } from './inspect';
import { layerAtNameOffset, looksLikeLayersModel, outlineModel, type LayerLocation, type ModelOutline } from './model-outline';
import { modelRef } from './params';

/** The last finished run's selection for one layer. */
export interface LastRunLayer {
  runId: string;
  result: LayerResult;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Markdown of a layer hover. `info` is absent when the model could not be summarised (the hover still names the layer). */
export function layerHoverMarkdown(loc: LayerLocation, info: LayerInfo | undefined, lastRun: LastRunLayer | undefined): string {
  const lines = [`**${loc.name}** · \`${info?.className ?? loc.className}\``, ''];
  if (info) {
    const from = info.inboundLayers.length > 0 ? ` ← ${info.inboundLayers.join(', ')}` : '';
    lines.push(`- output shape: \`[${info.outputShape.join(', ')}]\`${from}`);
    if (info.inChannels !== undefined) lines.push(`- channels: ${info.inChannels} in → ${info.outChannels ?? '?'} out`);
    lines.push(`- params: ${fmt(info.params)} · FLOPs: ${fmt(info.flops)} multiply-adds per sample`);
    if (info.prunable === true) lines.push('- DCP: prunable (its input channels can be selected)');
    else if (info.prunable === false) lines.push(`- DCP: not prunable — ${info.reason ?? 'no reason given'}`);
  }
  if (lastRun) {
    const r = lastRun.result;
    lines.push(`- last run \`${lastRun.runId}\`: kept ${r.kept.length} of ${r.inChannels} input channels: ${r.kept.join(', ')}`);
    if (r.keptKernels !== undefined && r.totalKernels !== undefined) lines.push(`  (kernels kept: ${r.keptKernels} of ${r.totalKernels})`);
  }
  return lines.join('\n');
}

/** The layers as an outline; the name string is the selection range. */
export function layerSymbols(outline: ModelOutline, doc: TextDocument): DocumentSymbol[] {
  return outline.layers.map((l) => ({
    name: l.name,
    detail: l.className,
    kind: l.className.startsWith('Conv') || l.className.startsWith('DepthwiseConv') ? SymbolKind.Function : SymbolKind.Object,
    range: { start: doc.positionAt(l.offset), end: doc.positionAt(l.offset + l.length) },
    selectionRange: { start: doc.positionAt(l.nameOffset), end: doc.positionAt(l.nameOffset + l.nameLength) },
  }));
}

/** The layer whose name string is at the position, and the range of that string (what the hover covers). */
export function layerHoverTarget(outline: ModelOutline, doc: TextDocument, position: Position): { layer: LayerLocation; range: Range } | undefined {
  const hit = layerAtNameOffset(outline.layers, doc.offsetAt(position));
  if (!hit) return undefined;
  return { layer: hit.layer, range: { start: doc.positionAt(hit.offset), end: doc.positionAt(hit.offset + hit.length) } };
}

/** The two lenses at the top of a model.json; the extension registers the commands. */
export function modelLenses(uri: string): CodeLens[] {
  const top = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return [
    { range: top, command: { title: 'Prune with DCP', command: DcpCommands.pruneModel, arguments: [uri] } },
    { range: top, command: { title: 'Inspect', command: DcpCommands.inspectModel, arguments: [uri] } },
    { range: top, command: { title: 'Sensitivity', command: DcpCommands.layerSensitivity, arguments: [uri] } },
  ];
}

function safeModelRef(uri: string): ReturnType<typeof modelRef> | undefined {
  try {
    return modelRef(uri, 'hover');
  } catch {
    return undefined; // e.g. a file URI with a host on POSIX: no disk file to summarise.
  }
}

/** Parsed outlines per document version: hovers and symbols ask for the same one many times. */
class OutlineCache {
  private readonly entries = new Map<string, { version: number; outline: ModelOutline | undefined }>();
  get(doc: TextDocument): ModelOutline | undefined {
    const hit = this.entries.get(doc.uri);
    if (hit?.version === doc.version) return hit.outline;
    const text = doc.getText();
    // A text with syntax errors still has an outline of what parsed; the diagnostics say where it is broken.
    const outline = looksLikeLayersModel(text) ? outlineModel(text) : undefined;
    this.entries.set(doc.uri, { version: doc.version, outline });
    return outline;
  }
  delete(uri: string): void {
    this.entries.delete(uri);
  }
}

export function registerLanguageFeatures(connection: Connection, documents: TextDocuments<TextDocument>, inspector: ModelInspector, runs: () => RunManager): void {
  const outlines = new OutlineCache();
  documents.onDidClose((e) => outlines.delete(e.document.uri));

  connection.onHover(async ({ textDocument, position }): Promise<Hover | null> => {
    const doc = documents.get(textDocument.uri);
    const outline = doc && outlines.get(doc);
    if (!doc || !outline) return null;
    const hit = layerHoverTarget(outline, doc, position);
    if (!hit) return null;
    const loc = hit.layer;
    let info: LayerInfo | undefined;
    let lastRun: LastRunLayer | undefined;
    const model = doc.uri.startsWith('file:') ? safeModelRef(doc.uri) : undefined;
    if (model) {
      // A model that does not load still gets a hover with its name; the diagnostics explain the problem.
      info = (await inspector.inspect(model).catch(() => undefined))?.layers.find((l) => l.name === loc.name);
      const last = await runs().lastRunOf(model).catch(() => undefined);
      const result = last?.report.layers.find((r) => r.layer === loc.name);
      if (last && result) lastRun = { runId: last.runId, result };
    }
    return { contents: { kind: MarkupKind.Markdown, value: layerHoverMarkdown(loc, info, lastRun) }, range: hit.range };
  });

  connection.onCodeLens(async ({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !looksLikeLayersModel(doc.getText())) return [];
    const lenses = modelLenses(doc.uri);
    const outline = outlines.get(doc);
    const model = doc.uri.startsWith('file:') ? safeModelRef(doc.uri) : undefined;
    if (!outline || !model) return lenses;
    // Per-layer budget lenses need the summary (which convs are prunable); a model that does not load has none.
    const summary = await inspector.inspect(model).catch(() => undefined);
    return summary ? [...lenses, ...budgetLenses(doc.uri, doc, outline, summary, await readModelRecipe(model.path))] : lenses;
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const outline = doc && outlines.get(doc);
    return doc && outline ? layerSymbols(outline, doc) : [];
  });
}
