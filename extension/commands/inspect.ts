/**
 * Inspect Model (works in untrusted workspaces: it only reads the model.json) and Select Dataset.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InspectModelRequest } from '../../protocol/lsp';
import { modelLabel, resolveModel } from '../models';
import { inspectMarkdown } from '../render';
import type { Services } from '../services';

export async function inspectModel(s: Services, arg: unknown): Promise<void> {
  const model = await resolveModel(arg, 'Inspect Model');
  if (!model) return;
  await s.errors.guard('Could not inspect the model', async () => {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `DCP: inspecting ${modelLabel(model)}` },
      () => s.client.sendRequest(InspectModelRequest, { uri: model.toString() }),
    );
    await s.docs.open(`inspect-${modelLabel(model)}`, inspectMarkdown(summary, vscode.workspace.asRelativePath(model)));
  }, model);
}

/** Stores a path relative to the workspace when it is inside it, so the setting survives moving the folder. */
function settingPath(uri: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return folder ? path.relative(folder.uri.fsPath, uri.fsPath) || '.' : uri.fsPath;
}

/** Writes `dcp.dataset`: MNIST, a folder with one sub-folder per class, or an .npz file with x/y arrays. */
export async function selectDataset(): Promise<void> {
  const current = vscode.workspace.getConfiguration('dcp').get<string>('dataset', 'mnist');
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'MNIST', description: 'bundled with the extension, 28×28×1, 10 classes', source: 'mnist' as const },
      { label: '$(folder) Image folder…', description: 'one sub-folder of PNG/JPEG images per class', source: 'folder' as const },
      { label: '$(file-binary) NumPy .npz…', description: 'arrays x (N, H, W, C) and y (N) or one-hot', source: 'npz' as const },
    ],
    { title: 'DCP: Select Dataset', placeHolder: `Current: ${current}` },
  );
  if (!choice) return;
  let spec = 'mnist';
  if (choice.source !== 'mnist') {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: choice.source === 'npz',
      canSelectFolders: choice.source === 'folder',
      canSelectMany: false,
      filters: choice.source === 'npz' ? { 'NumPy archive': ['npz'] } : undefined,
      openLabel: 'Use as dataset',
    });
    if (!picked?.[0]) return;
    spec = `${choice.source}:${settingPath(picked[0])}`;
  }
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('dcp').update('dataset', spec, target);
  void vscode.window.showInformationMessage(`DCP: dataset set to ${spec}.`);
}
