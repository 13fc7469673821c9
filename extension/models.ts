/**
 * Finds the model a command should act on. Commands are invoked from the palette (no argument), the explorer
 * and editor-title menus (a `vscode.Uri`), and the server's CodeLenses (a URI string, see DcpCommands).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Folders never searched for models: dependencies and our own run outputs (whose pruned model.json files would otherwise flood the list). */
const EXCLUDE = '**/{node_modules,.dcp-runs,.git,dist,out}/**';

/** A model the commands act on: a TF.js model.json, or an .onnx conv net (the server imports it). */
export function isModelJson(uri: vscode.Uri): boolean {
  return path.posix.basename(uri.path) === 'model.json' || path.posix.extname(uri.path).toLowerCase() === '.onnx';
}

/** Normalises a command argument to a URI, or undefined when it is not one. */
export function uriFromArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg !== '') return arg.includes(':') && !path.isAbsolute(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  return undefined;
}

/** A label for people: the model's folder name, e.g. `resnet` for examples/resnet/model.json. */
export function modelLabel(uri: vscode.Uri): string {
  if (path.posix.extname(uri.path).toLowerCase() === '.onnx') return path.posix.basename(uri.path, path.posix.extname(uri.path));
  return path.posix.basename(path.posix.dirname(uri.path)) || 'model';
}

/**
 * The model to act on: the argument, else the active editor's model.json, else the only model.json in the
 * workspace, else one the user picks (from the workspace's model.json files, or from disk).
 */
export async function resolveModel(arg: unknown, purpose: string): Promise<vscode.Uri | undefined> {
  const given = uriFromArg(arg);
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isModelJson(active)) return active;
  const found = await vscode.workspace.findFiles('**/{model.json,*.onnx}', EXCLUDE, 200);
  // Models this extension wrote (under dcp.outputFolder) can be pruned again, but are rarely what is meant.
  const sources = found.filter((uri) => !isPrunedOutput(uri));
  if (sources.length === 1) return sources[0];
  if (found.length === 1) return found[0];
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
  const item = (uri: vscode.Uri): Item => ({ label: modelLabel(uri), description: vscode.workspace.asRelativePath(uri), uri });
  const byPath = (a: vscode.Uri, b: vscode.Uri): number => a.fsPath.localeCompare(b.fsPath);
  const pruned = found.filter(isPrunedOutput).sort(byPath).map(item);
  const items: Item[] = sources.sort(byPath).map(item);
  if (pruned.length > 0) items.push({ label: 'Pruned models', kind: vscode.QuickPickItemKind.Separator }, ...pruned);
  items.push({ label: '$(folder-opened) Browse…', description: 'Pick a model.json or .onnx file on disk' });
  const picked = await vscode.window.showQuickPick(items, { title: `DCP: ${purpose}`, placeHolder: 'Which model (TF.js model.json or ONNX)?' });
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: purpose,
    filters: { 'TF.js Layers model or ONNX': ['json', 'onnx'] },
  });
  return chosen?.[0];
}

/** Whether `uri` lies in the `dcp.outputFolder` of its workspace folder. */
function isPrunedOutput(uri: vscode.Uri): boolean {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const out = vscode.workspace.getConfiguration('dcp', uri).get<string>('outputFolder', '');
  if (!folder || out.trim() === '') return false;
  const root = path.resolve(folder.uri.fsPath, out);
  const rel = path.relative(root, uri.fsPath);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The workspace folder a model belongs to, else the first one: relative settings resolve against it. */
export function baseDirOf(uri: vscode.Uri): string | undefined {
  return (vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
}
