/**
 * Prune Model and Compare Methods. Both accept a model argument from menus/CodeLenses or ask for one.
 */
import * as vscode from 'vscode';
import type { PruneMethod } from '../../protocol/model';
import { PRUNE_METHODS } from '../../protocol/settings';
import { modelLabel, resolveModel } from '../models';
import { compareMarkdown, type CompareOutcome } from '../render';
import type { Services } from '../services';
import { requireTrust, startRun } from './start';

/** Returns the run id so tests and other extensions can follow the run (`executeCommand` resolves to it). */
export async function pruneModel(s: Services, arg: unknown): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const model = await resolveModel(arg, 'Prune Model');
  if (!model) return undefined;
  return (await startRun(s, model))?.runId;
}

/** The quick-pick of methods: every choice of the method setting with its sentence; DCP and two baselines picked. */
const PICKED_BY_DEFAULT: readonly PruneMethod[] = ['dcp', 'l1', 'random'];
const METHODS = PRUNE_METHODS.values.map((method, i) => ({
  method, label: method, detail: PRUNE_METHODS.descriptions[i], picked: PICKED_BY_DEFAULT.includes(method),
}));

/**
 * Runs the picked methods one after another on the same settings (the machine has few cores; parallel runs
 * would only slow each other down) and then shows one table, aggregated as `dcp compare` does
 * (protocol/compare.ts). Cancelling one run stops the series.
 */
export async function compareMethods(s: Services, arg: unknown): Promise<void> {
  if (!(await requireTrust())) return;
  const model = await resolveModel(arg, 'Compare Methods');
  if (!model) return;
  const picked = await vscode.window.showQuickPick(
    METHODS,
    { canPickMany: true, title: `DCP: Compare Methods on ${modelLabel(model)}`, placeHolder: 'Methods to run with the current settings' },
  );
  if (!picked || picked.length === 0) return;
  const rows: CompareOutcome[] = [];
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
