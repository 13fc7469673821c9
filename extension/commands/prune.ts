/**
 * Prune Model and Compare Methods. Both accept a model argument from menus/CodeLenses or ask for one.
 */
import * as vscode from 'vscode';
import type { PruneMethod } from '../../protocol/model';
import { modelLabel, resolveModel } from '../models';
import { compareMarkdown, type CompareRow } from '../render';
import type { Services } from '../services';
import { requireTrust, startRun } from './start';

/** Returns the run id so tests and other extensions can follow the run (`executeCommand` resolves to it). */
export async function pruneModel(s: Services, arg: unknown): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const model = await resolveModel(arg, 'Prune Model');
  if (!model) return undefined;
  return (await startRun(s, model))?.runId;
}

const METHODS: ReadonlyArray<{ method: PruneMethod; label: string; detail: string; picked: boolean }> = [
  { method: 'dcp', label: 'DCP', detail: 'Discrimination-aware channel pruning: reconstruction + discrimination loss', picked: true },
  { method: 'dkp', label: 'DKP', detail: 'Discrimination-aware kernel pruning (finer: individual kernels)', picked: false },
  { method: 'l1', label: 'L1 norm', detail: 'Baseline: keep the channels with the largest weight norm', picked: true },
  { method: 'random', label: 'Random', detail: 'Baseline: keep random channels', picked: true },
  { method: 'recon', label: 'Reconstruction only', detail: 'Ablation: DCP without the discrimination loss', picked: false },
  { method: 'disc', label: 'Discrimination only', detail: 'Ablation: DCP without the reconstruction loss', picked: false },
];

/**
 * Runs the picked methods one after another on the same settings (the machine has few cores; parallel runs
 * would only slow each other down) and then shows one table. Cancelling one run stops the series.
 */
export async function compareMethods(s: Services, arg: unknown): Promise<void> {
  if (!(await requireTrust())) return;
  const model = await resolveModel(arg, 'Compare Methods');
  if (!model) return;
  const picked = await vscode.window.showQuickPick(
    METHODS.map((m) => ({ ...m, description: m.method })),
    { canPickMany: true, title: `DCP: Compare Methods on ${modelLabel(model)}`, placeHolder: 'Methods to run with the current settings' },
  );
  if (!picked || picked.length === 0) return;
  const rows: CompareRow[] = [];
  for (const { method } of picked) {
    const run = await startRun(s, model, { method });
    if (!run) {
      rows.push({ method, status: 'not started', report: null });
      break;
    }
    const ended = await s.runs.whenEnded(run.runId);
    rows.push({ method, status: ended.status, report: ended.report });
    if (ended.status === 'cancelled' || ended.status === 'interrupted') break;
  }
  await s.docs.open(`compare-${modelLabel(model)}`, compareMarkdown(modelLabel(model), rows));
}
