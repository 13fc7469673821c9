/**
 * Diagnostics of open model.json documents, recomputed shortly after the user stops typing. Only documents whose
 * text says `"format": "layers-model"` are checked, so other JSON files the client happens to send stay untouched.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticSeverity, type Connection, type Diagnostic, type TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ModelJsonProblem } from '../io/model-types';
import { looksLikeLayersModel } from './model-outline';

/** Long enough to skip most keystrokes of a burst, short enough to feel immediate. */
const DEBOUNCE_MS = 250;

export const DIAGNOSTIC_SOURCE = 'dcp';

/** Problems (offsets) → LSP diagnostics (line/character) for one document. */
export function toDiagnostics(doc: TextDocument, problems: readonly ModelJsonProblem[]): Diagnostic[] {
  return problems.map((p) => ({
    range: { start: doc.positionAt(p.offset), end: doc.positionAt(p.offset + Math.max(1, p.length)) },
    severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: DIAGNOSTIC_SOURCE,
    message: p.message,
  }));
}

export function registerDiagnostics(connection: Connection, documents: TextDocuments<TextDocument>): void {
  const timers = new Map<string, NodeJS.Timeout>();
  /** Documents that got diagnostics, so a document that stops being a model gets them cleared once. */
  const published = new Set<string>();

  const publish = (uri: string, diagnostics: Diagnostic[]): void => {
    if (diagnostics.length === 0 && !published.has(uri)) return;
    if (diagnostics.length > 0) published.add(uri);
    else published.delete(uri);
    void connection.sendDiagnostics({ uri, diagnostics });
  };

  const validate = async (doc: TextDocument): Promise<void> => {
    const text = doc.getText();
    if (!looksLikeLayersModel(text)) return publish(doc.uri, []);
    // The shard checks need the model's folder; unsaved (untitled:) documents get the text-only checks.
    const modelDir = doc.uri.startsWith('file:') ? dirname(fileURLToPath(doc.uri)) : undefined;
    try {
      const { diagnoseModelJson } = await import('./diagnostics');
      const problems = await diagnoseModelJson(text, modelDir);
      // A newer version may have arrived while TF.js was busy; its own validation will publish.
      if (documents.get(doc.uri)?.version !== doc.version) return;
      publish(doc.uri, toDiagnostics(doc, problems));
    } catch (e) {
      connection.console.error(`Could not check ${doc.uri}: ${(e as Error).stack ?? String(e)}`);
    }
  };

  const schedule = (doc: TextDocument, delay: number): void => {
    clearTimeout(timers.get(doc.uri));
    timers.set(doc.uri, setTimeout(() => {
      timers.delete(doc.uri);
      void validate(doc);
    }, delay));
  };

  // Also fired when a document opens.
  documents.onDidChangeContent((e) => schedule(e.document, DEBOUNCE_MS));
  // Saving may create the shard files the diagnostics complained about.
  documents.onDidSave((e) => schedule(e.document, 0));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    publish(e.document.uri, []);
  });
}
