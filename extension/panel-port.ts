/**
 * Connects the pruning panel (extension/panel, a webview host) to the rest of the extension: run events flow
 * from the RunTracker into it, its buttons (start, cancel, resume) become the same calls the commands make,
 * and VS Code can restore it after a reload through its serializer.
 */
import * as vscode from 'vscode';
import { GetRunEventsRequest } from '../protocol/lsp';
import type { RunConfig } from '../protocol/model';
import { DEFAULT_RUN_CONFIG } from '../protocol/settings';
import { cancelRun, resumeRun } from './commands/runs';
import { readerFor, startRun } from './commands/start';
import { baseDirOf, isModelJson, modelLabel, resolveModel } from './models';
import { PruningPanel, registerPruningPanelSerializer, type PanelAction } from './panel/pruningPanel';
import type { PanelPort, Services } from './services';
import { readRecipeFile, recipeUriFor, writeLayerBudget, writeRecipeFile } from './recipe-file';
import { startSensitivity } from './commands/sensitivity';
import type { SensitivityEvent } from '../protocol/sensitivity';
import { runConfigFromSettings } from './settings';

/**
 * The panel's run controls start from the user's valid settings over the table's defaults; an invalid setting is
 * reported when a run starts, not here.
 */
function controlDefaults(model: vscode.Uri | undefined): RunConfig {
  const scope = model ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  return { ...DEFAULT_RUN_CONFIG, ...runConfigFromSettings(readerFor(scope), model ? baseDirOf(model) : scope?.fsPath).config };
}

export function createPanelPort(s: Omit<Services, 'panel'>, subs: vscode.Disposable[]): PanelPort {
  /** The model a Start pressed in the panel prunes: the last one a run was started on or the panel was opened for. */
  let model: vscode.Uri | undefined;
  const panel = new PruningPanel({
    extensionUri: s.context.extensionUri,
    defaults: controlDefaults(undefined),
    loadEvents: async (runId) => (await s.client.sendRequest(GetRunEventsRequest, { runId })).map((p) => p.event),
  });
  const loadRecipe = async (uri: vscode.Uri | undefined): Promise<void> => {
    if (!uri || uri.scheme !== 'file') return panel.setRecipe(undefined);
    try {
      const recipe = await readRecipeFile(uri);
      if (model?.toString() === uri.toString()) panel.setRecipe(recipe);
    } catch (e) {
      // A broken recipe is not edited over: the panel shows why, and a run would fail with the same message.
      panel.setRecipe(undefined);
      panel.notify('error', e instanceof Error ? e.message : String(e));
    }
  };
  const setModel = (uri: vscode.Uri | undefined): void => {
    const changed = uri?.toString() !== model?.toString();
    model = uri;
    panel.setModel(uri ? modelLabel(uri) : null, controlDefaults(uri));
    if (changed) void loadRecipe(uri);
  };
  // Commands need the whole Services bag; the panel is part of it, so it is assembled lazily here.
  const services = (): Services => ({ ...s, panel: port });

  const onAction = async (action: PanelAction): Promise<void> => {
    switch (action.type) {
      case 'start': {
        const target = model ?? (await resolveModel(undefined, 'Prune Model'));
        if (!target) return;
        const run = await startRun(services(), target, action.config);
        if (!run) panel.notify('error', 'The run did not start; see the notification or the DCP Pruning log.');
        return;
      }
      case 'cancel':
        return cancelRun(services(), action.runId);
      case 'resume':
        await resumeRun(services(), action.runId);
        return;
      case 'selectLayer':
        // Layer selection is the panel's own view state; nothing to do host-side.
        return;
      case 'setLayerBudget': {
        const target = recipeTarget();
        if (!target) return;
        const recipe = await writeLayerBudget(target, action.layer, action.budget);
        if (model?.toString() === target.toString()) panel.setRecipe(recipe);
        return;
      }
      case 'startSensitivity': {
        const target = model ?? (await resolveModel(undefined, 'Layer Sensitivity'));
        if (!target) return;
        await startSensitivity(services(), target, action.rates, action.targetFlops, action.config);
        return;
      }
      case 'applyRecipe': {
        // The sensitivity suggestion, saved whole through the same writer as the graph view's budget edits.
        const target = recipeTarget();
        if (!target) return;
        const recipe = await writeRecipeFile(target, action.recipe);
        if (model?.toString() === target.toString()) panel.setRecipe(recipe);
        panel.notify('info', `Saved the suggestion as ${vscode.workspace.asRelativePath(recipeUriFor(target))}; the next run uses it.`);
        return;
      }
    }
  };
  /** The model whose recipe the panel may write, or null after telling the user why not (no file model, Restricted Mode). */
  function recipeTarget(): vscode.Uri | null {
    if (!model || model.scheme !== 'file') {
      panel.notify('error', 'No model to save a recipe for: open a model.json or start a run on one.');
      return null;
    }
    if (!vscode.workspace.isTrusted) {
      panel.notify('error', 'Recipes are not written in Restricted Mode.');
      return null;
    }
    return model;
  }
  // The analysis the panel shows, and who follows which analysis (the progress notification).
  let analysis: string | null = null;
  const followers = new Set<{ id: string; listener: (e: SensitivityEvent) => void }>();

  const port: PanelPort = {
    startSensitivity: (analysisId, uri) => {
      analysis = analysisId;
      setModel(uri);
      panel.sensitivity([], true);
    },
    sensitivityEvent: (p) => {
      for (const f of [...followers]) if (f.id === p.analysisId) f.listener(p.event);
      if (p.analysisId === analysis) panel.sensitivity([p.event], false);
    },
    onSensitivityEvent: (id, listener) => {
      const f = { id, listener };
      followers.add(f);
      return new vscode.Disposable(() => followers.delete(f));
    },
    show: async (runId?: string) => {
      const run = runId ? s.runs.get(runId) : s.runs.current();
      const active = vscode.window.activeTextEditor?.document.uri;
      if (run) setModel(vscode.Uri.parse(run.modelUri));
      else if (!model && active && isModelJson(active)) setModel(active);
      panel.open();
      // A run of an earlier session is not in the panel's store: showRun makes it fetch the log from the server.
      const shown = runId ?? run?.runId;
      if (shown) panel.showRun(shown);
    },
  };

  // The recipe also changes by the budget CodeLens or by hand: the panel shows what the next run will read.
  const recipes = vscode.workspace.createFileSystemWatcher('**/*.dcp-recipe.json');
  const onRecipe = (uri: vscode.Uri): void => {
    if (model && recipeUriFor(model).toString() === uri.toString()) void loadRecipe(model);
  };
  subs.push(
    recipes, recipes.onDidChange(onRecipe), recipes.onDidCreate(onRecipe), recipes.onDidDelete(onRecipe),
    panel,
    registerPruningPanelSerializer(panel),
    panel.onAction((a) => void onAction(a).catch((e: unknown) => s.errors.show('The panel action failed', e))),
    s.runs.addSink({ post: (runId, event) => panel.post(runId, event) }),
    s.runs.onDidStart((run) => setModel(vscode.Uri.parse(run.modelUri))),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('dcp')) setModel(model);
    }),
  );
  return port;
}
