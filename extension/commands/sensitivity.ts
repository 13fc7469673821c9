/**
 * DCP: Layer Sensitivity (the command, the model.json CodeLens and the panel's Analyse button): asks for the rates
 * and the FLOPs target unless the panel gave them, starts the analysis on the language server (it runs in a
 * worker), shows its points in the panel as they come, with a cancellable progress notification.
 */
import * as vscode from 'vscode';
import { CancelSensitivityRequest, StartSensitivityRequest } from '../../protocol/lsp';
import type { RunConfig } from '../../protocol/model';
import { parseRates, type SensitivityEvent } from '../../protocol/sensitivity';
import { resolveModel } from '../models';
import type { Services } from '../services';
import { startParams } from './start';

const DEFAULT_RATES = '0.1,0.3,0.5,0.7';

/** The palette command and the CodeLens: the model from the argument, the editor or a pick; rates and target asked. */
export async function layerSensitivity(s: Services, arg: unknown): Promise<void> {
  const model = await resolveModel(arg, 'Layer Sensitivity');
  if (!model) return;
  const ratesText = await vscode.window.showInputBox({
    title: 'DCP: rates to prune each layer at', value: DEFAULT_RATES,
    validateInput: (v) => { try { parseRates(v); return null; } catch (e) { return (e as Error).message; } },
  });
  if (ratesText === undefined) return;
  const target = await vscode.window.showInputBox({
    title: 'DCP: FLOPs reduction to suggest per-layer rates for (empty = no suggestion)', value: '2',
    validateInput: (v) => (v.trim() === '' || (Number.isFinite(Number(v)) && Number(v) >= 1) ? null : 'a number ≥ 1, or empty'),
  });
  if (target === undefined) return;
  await startSensitivity(s, model, parseRates(ratesText), target.trim() === '' ? null : Number(target), {});
}

/**
 * Starts an analysis of `model` with the user's settings (over `override`, the panel's form) and routes its events
 * to the panel; resolves once the server accepted it.
 */
export async function startSensitivity(s: Services, model: vscode.Uri, rates: number[], targetFlops: number | null, override: Partial<RunConfig>): Promise<void> {
  const { params } = startParams(model, override);
  // Every layer is measured at every rate: a recipe's budgets and the run's rate do not apply.
  const config: Partial<RunConfig> = { ...params.config };
  delete config.recipe;
  delete config.rate;
  await s.errors.guard('Could not start the sensitivity analysis', async () => {
    const started = await s.client.sendRequest(StartSensitivityRequest, { uri: model.toString(), rates, targetFlops, config });
    s.log.info(`Sensitivity of ${model.fsPath} at ${rates.join(', ')} → ${started.outFile}`);
    // show() may point the panel at the current run's model; startSensitivity then points it at this one (Apply
    // writes its recipe). Nothing awaits in between, so no event of the analysis can slip past (the worker only
    // starts after the server answered); the bridge keeps the events for a webview that is not ready yet.
    await s.panel.show();
    s.panel.startSensitivity(started.analysisId, model);
    void progress(s, started.analysisId);
  }, model);
}

/** A notification that follows the analysis layer by layer; its Cancel asks the server to stop it. */
function progress(s: Services, analysisId: string): Thenable<void> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'DCP: layer sensitivity', cancellable: true }, (report, token) =>
    new Promise<void>((resolve) => {
      token.onCancellationRequested(() => void s.client.sendRequest(CancelSensitivityRequest, { analysisId }).catch(() => undefined));
      const sub = s.panel.onSensitivityEvent(analysisId, (e: SensitivityEvent) => {
        if (e.type === 'sensitivityLayerStarted') report.report({ message: `${e.layer} (${e.index + 1} of ${e.total})`, increment: 100 / Math.max(1, e.total) });
        if (e.type === 'sensitivityDone' || e.type === 'sensitivityFailed' || e.type === 'sensitivityCancelled') {
          sub.dispose();
          resolve();
          if (e.type === 'sensitivityFailed') void vscode.window.showErrorMessage(`DCP: the sensitivity analysis failed: ${e.message}`);
          if (e.type === 'sensitivityDone' && e.result.suggestion) void vscode.window.showInformationMessage(`DCP: sensitivity done. ${e.result.suggestion.message}`);
        }
      });
    }));
}
