/**
 * Read-only Markdown documents under the `dcp-doc:` scheme (inspection tables, reports, comparisons).
 * A content provider rather than untitled documents, so closing them never asks "Save changes?".
 */
import * as vscode from 'vscode';

export const DOC_SCHEME = 'dcp-doc';

export class ReadOnlyDocs implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Shows `markdown` rendered (falls back to the source when the Markdown preview is unavailable). */
  async open(name: string, markdown: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${name.replace(/[^\w.-]+/g, '-')}.md` });
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      await vscode.window.showTextDocument(uri, { preview: true });
    }
  }

  dispose(): void {
    this.changed.dispose();
    this.contents.clear();
  }
}
