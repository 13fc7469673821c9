/**
 * Entry point. Deliberately thin: all wiring lives in DcpContext, and every disposable it creates goes into
 * `context.subscriptions`, so there is nothing to undo in `deactivate`.
 */
import type * as vscode from 'vscode';
import { DcpContext } from './context';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  await new DcpContext(context).start();
}

export function deactivate(): void {
  // VS Code disposes context.subscriptions, which stops the language server.
}
