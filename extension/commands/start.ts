/**
 * Starting a run, shared by Prune Model, Compare Methods and Resume Run: settings → StartRunParams → the
 * server → the RunTracker → the panel. Also the trust gate, since every run executes on the user's data.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { recipePathFor } from '../../protocol/recipe';
import { ResumeRunRequest, StartRunRequest, type StartRunParams, type StartRunResult } from '../../protocol/lsp';
import type { RunConfig } from '../../protocol/model';
import { baseDirOf, modelLabel } from '../models';
import type { TrackedRun } from '../runs';
import type { Services } from '../services';
import type { ConfigError } from '../../protocol/settings-validate';
import { describeSettingErrors, outputDirFromSettings, runConfigFromSettings, settingKeyOf, type SettingReader } from '../settings';

/**
 * Reads only what the user set (in any scope), so unset options fall through to the server's defaults;
 * the `default`s in package.json are documentation of those same values. An untrusted workspace's own settings
 * are not used at all: they could point the server at arbitrary folders or starve it of memory.
 */
export function readerFor(scope: vscode.ConfigurationScope | undefined): SettingReader {
  const cfg = vscode.workspace.getConfiguration('dcp', scope);
  return (key) => {
    const i = cfg.inspect(key);
    if (!vscode.workspace.isTrusted) return i?.globalValue;
    return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
  };
}

/** Untrusted workspaces may only inspect: a run reads datasets and writes models where settings point. */
export async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = 'Manage Workspace Trust';
  const picked = await vscode.window.showWarningMessage(
    'DCP: pruning is disabled in Restricted Mode, because a run reads the datasets and writes to the folders your workspace settings name. Inspect Model still works.',
    manage,
  );
  if (picked === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/**
 * The params of a run on `model` from the current settings, with `override` on top (Compare Methods sets the method,
 * the panel its form), and the user's settings the table refuses; an overridden setting cannot spoil the run.
 */
export function startParams(model: vscode.Uri, override: Partial<RunConfig> = {}, now = new Date()): { params: StartRunParams; errors: ConfigError[] } {
  const get = readerFor(model);
  const baseDir = baseDirOf(model);
  const read = runConfigFromSettings(get, baseDir);
  const config = { ...read.config, ...override };
  // Unset, the recipe the panel writes next to the model applies (an explicit '' in an override means none).
  if (config.recipe === undefined && model.scheme === 'file') {
    const nextToModel = recipePathFor(model.fsPath);
    if (fs.existsSync(nextToModel)) config.recipe = nextToModel;
  }
  const errors = read.errors.filter((e) => !(e.key in override && override[e.key as keyof RunConfig] !== undefined));
  const outDir = outputDirFromSettings(get, baseDir, model.fsPath, config.method ?? 'dcp', now);
  return { params: { uri: model.toString(), config, ...(outDir ? { outDir } : {}) }, errors };
}

/** One error notification for all invalid settings; "Open Settings" jumps to the first. */
async function showSettingErrors(s: Services, errors: readonly ConfigError[]): Promise<void> {
  const message = describeSettingErrors(errors);
  s.log.error(`Invalid settings: ${message}`);
  const open = 'Open Settings';
  if ((await vscode.window.showErrorMessage(`DCP: ${message}`, open)) === open) {
    await vscode.commands.executeCommand('workbench.action.openSettings', settingKeyOf(errors[0]));
  }
}

function track(s: Services, result: StartRunResult, model: vscode.Uri, verb: string): TrackedRun {
  s.log.info(`${verb} run ${result.runId} on ${model.fsPath} → ${result.outDir} (history in ${result.runDir})`);
  const run = s.runs.register(result, model.toString(), modelLabel(model));
  void s.panel.show(run.runId);
  return run;
}

/** Starts a run; failures (bad settings, unreadable model) are shown with "Show log" / "Open model". */
export async function startRun(s: Services, model: vscode.Uri, override: Partial<RunConfig> = {}): Promise<TrackedRun | undefined> {
  const { params, errors } = startParams(model, override);
  if (errors.length > 0) {
    void showSettingErrors(s, errors);
    return undefined;
  }
  s.log.info(`Starting a run on ${model.fsPath} with ${JSON.stringify(params.config)}`);
  return s.errors.guard('Could not start pruning', async () => track(s, await s.client.sendRequest(StartRunRequest, params), model, 'Started'), model);
}

/** Continues a stopped run from its last finished layer. */
export async function resumeRun(s: Services, runId: string, model: vscode.Uri): Promise<TrackedRun | undefined> {
  return s.errors.guard(
    'Could not resume the run',
    async () => track(s, await s.client.sendRequest(ResumeRunRequest, { runId, uri: model.toString() }), model, 'Resumed'),
    model,
  );
}
