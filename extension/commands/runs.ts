/**
 * Commands over existing runs: Cancel, Resume, Delete, Open Pruned Model, Show Run Report, Open Pruning Panel.
 * Each takes an optional run: an id (status bar, notification buttons, the panel) or a Runs view node (its menus).
 * Only from the palette, with no argument, do they ask which run with a quick pick.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelRunRequest, DeleteRunRequest, ListRunsRequest, type RunHistoryEntry } from '../../protocol/lsp';
import { parseRunReportText } from '../../protocol/report-schema';
import { modelLabel } from '../models';
import { reportMarkdown } from '../render';
import { isRunNode, runIdOf } from '../runs-tree-items';
import type { Services } from '../services';
import { requireTrust, resumeRun as resume } from './start';

/** Every run the server knows of: this session's, the runs folder's, and those stored next to workspace models. */
export async function listRuns(s: Services): Promise<RunHistoryEntry[]> {
  const models = await vscode.workspace.findFiles('**/{model.json,*.onnx}', '**/{node_modules,.dcp-runs,.git}/**', 50);
  const lists = await Promise.all([
    s.client.sendRequest(ListRunsRequest, {}),
    ...models.map((m) => s.client.sendRequest(ListRunsRequest, { uri: m.toString() })),
  ]);
  const byId = new Map<string, RunHistoryEntry>();
  for (const entry of lists.flat()) byId.set(entry.runId, entry);
  return [...byId.values()].sort((a, b) => b.startedAt - a.startedAt);
}

/** The run named by `arg`, else the user's pick among the runs `filter` accepts. */
async function pickRun(s: Services, arg: unknown, filter: (r: RunHistoryEntry) => boolean, title: string, none: string): Promise<RunHistoryEntry | undefined> {
  if (isRunNode(arg)) return arg.entry;
  const runs = await listRuns(s);
  const named = runs.find((r) => r.runId === runIdOf(arg));
  if (named) return named;
  const candidates = runs.filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`DCP: ${none}`);
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const items = candidates.map((r) => ({
    label: `${modelLabel(vscode.Uri.parse(r.modelUri))} · ${r.config ? `${r.config.method} @ ${r.config.rate}` : 'settings unreadable'}`,
    description: `${r.status} · ${new Date(r.startedAt).toLocaleString()}`,
    detail: r.outcome ? `params ${r.outcome.paramsBefore.toLocaleString()} → ${r.outcome.paramsAfter.toLocaleString()}` : `${r.layersDone} layers done`,
    run: r,
  }));
  return (await vscode.window.showQuickPick(items, { title: `DCP: ${title}` }))?.run;
}

export async function cancelRun(s: Services, arg: unknown): Promise<void> {
  const active = s.runs.active();
  let runId = runIdOf(arg) ?? (active.length === 1 ? active[0].runId : undefined);
  if (!runId && active.length > 1) {
    const items = active.map((r) => ({ label: r.label, description: r.progress.message, runId: r.runId }));
    runId = (await vscode.window.showQuickPick(items, { title: 'DCP: Cancel Run' }))?.runId;
  }
  if (!runId) {
    if (active.length === 0) void vscode.window.showInformationMessage('DCP: no run is in progress.');
    return;
  }
  const id = runId;
  await s.errors.guard('Could not cancel the run', async () => {
    const { cancelled } = await s.client.sendRequest(CancelRunRequest, { runId: id });
    s.log.info(cancelled ? `Cancelling run ${id}` : `Run ${id} had already ended`);
  });
}

export async function resumeRun(s: Services, arg: unknown): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const entry = await pickRun(s, arg, (r) => r.resumable, 'Resume Run', 'no cancelled, failed or interrupted run to resume.');
  if (!entry) return undefined;
  return (await resume(s, entry.runId, vscode.Uri.parse(entry.modelUri)))?.runId;
}

/** Deletes a run's history folder after a modal confirmation that says what goes and what stays. */
export async function deleteRun(s: Services, arg: unknown): Promise<void> {
  const entry = await pickRun(s, arg, (r) => r.status !== 'running', 'Delete Run', 'no ended run to delete.');
  if (!entry) return;
  if (entry.status === 'running') {
    void vscode.window.showWarningMessage('DCP: cancel the run before deleting it.');
    return;
  }
  const rel = path.relative(entry.runDir, entry.outDir);
  const inside = !rel.startsWith('..') && !path.isAbsolute(rel);
  const output = entry.status !== 'finished' ? '' : inside ? ' That includes the pruned model inside it.' : ` The pruned model in ${entry.outDir} is kept.`;
  const what = `${modelLabel(vscode.Uri.parse(entry.modelUri))} (${entry.config ? `${entry.config.method} @ ${entry.config.rate}, ` : ''}${entry.status}, ${new Date(entry.startedAt).toLocaleString()})`;
  const picked = await vscode.window.showWarningMessage(
    `Delete the DCP run on ${what}?`,
    { modal: true, detail: `This removes its history folder ${entry.runDir}.${output}` },
    'Delete',
  );
  if (picked !== 'Delete') return;
  await s.errors.guard('Could not delete the run', async () => {
    const { runDir } = await s.client.sendRequest(DeleteRunRequest, { runId: entry.runId, uri: entry.modelUri });
    s.log.info(`Deleted run ${entry.runId} (${runDir})`);
    await vscode.commands.executeCommand('dcp.refreshRuns');
  });
}

export async function openPrunedModel(s: Services, arg: unknown): Promise<void> {
  const entry = await pickRun(s, arg, (r) => r.status === 'finished', 'Open Pruned Model', 'no finished run yet.');
  if (!entry) return;
  // A run on an .onnx model writes model.onnx (binary): reveal it rather than open it as text.
  const onnx = vscode.Uri.file(path.join(entry.outDir, 'model.onnx'));
  const isOnnx = await vscode.workspace.fs.stat(onnx).then(() => true, () => false);
  const model = isOnnx ? onnx : vscode.Uri.file(path.join(entry.outDir, 'model.json'));
  await s.errors.guard('Could not open the pruned model', async () => {
    if (!isOnnx) await vscode.window.showTextDocument(model, { preview: false });
    await vscode.commands.executeCommand('revealInExplorer', model);
  });
}

export async function showRunReport(s: Services, arg: unknown): Promise<void> {
  const entry = await pickRun(s, arg, (r) => r.status === 'finished', 'Show Run Report', 'no finished run yet.');
  if (!entry) return;
  await s.errors.guard('Could not read the run report', async () => {
    // The history folder keeps the report even when the output folder was moved or deleted.
    const file = await firstExisting([path.join(entry.runDir, 'report.json'), path.join(entry.outDir, 'report.json')]);
    const report = parseRunReportText(await fs.readFile(file, 'utf8'), file);
    // The Markdown preview refuses file: links, so the source file is named rather than linked.
    await s.docs.open(`report-${entry.runId}`, `${reportMarkdown(report, entry.runId)}\nReport: \`${file}\` · pruned model: \`${entry.outDir}\`\n`);
  });
}

async function firstExisting(files: string[]): Promise<string> {
  for (const f of files) {
    try {
      await fs.access(f);
      return f;
    } catch {
      // try the next one
    }
  }
  throw new Error(`No report.json in ${files.map((f) => path.dirname(f)).join(' or ')}`);
}

export async function openPanel(s: Services, arg: unknown): Promise<void> {
  await s.panel.show(runIdOf(arg) ?? s.runs.current()?.runId);
}
