/**
 * Set Layer Budget, the command behind the per-layer CodeLens in model.json: pick the run's rate, an own rate or
 * never prune, and the model's recipe file is updated (extension/recipe-file.ts). The panel follows the file.
 */
import * as vscode from 'vscode';
import type { LayerBudgetArgs } from '../../protocol/lsp';
import { layerRate, type RecipeLayer } from '../../protocol/recipe';
import { readRecipeFile, recipeUriFor, writeLayerBudget } from '../recipe-file';
import type { Services } from '../services';

function isArgs(v: unknown): v is LayerBudgetArgs {
  const o = v as Partial<LayerBudgetArgs> | null;
  return typeof o === 'object' && o !== null && typeof o.uri === 'string' && typeof o.layer === 'string' && o.layer !== '';
}

export async function setLayerBudget(s: Services, arg: unknown): Promise<void> {
  if (!isArgs(arg)) {
    void vscode.window.showInformationMessage('DCP: use the "DCP budget" lens above a prunable layer in model.json.');
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('DCP: recipes are not written in Restricted Mode.');
    return;
  }
  const model = vscode.Uri.parse(arg.uri);
  await s.errors.guard('Could not update the recipe', async () => {
    const current = layerRate(await readRecipeFile(model), arg.layer, -1);
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Run rate', description: 'prune at dcp.rate like the other layers', value: 'run' as const },
        { label: 'Own rate…', description: current !== -1 && current !== 'never' ? `now ${current}` : 'a pruning rate in [0, 1) for this layer', value: 'rate' as const },
        { label: 'Never prune', description: 'keep every input channel', value: 'never' as const },
      ],
      { title: `DCP: budget of ${arg.layer}`, placeHolder: `Saved in ${vscode.workspace.asRelativePath(recipeUriFor(model))}` },
    );
    if (!pick) return;
    let budget: RecipeLayer | null = pick.value === 'run' ? null : { prune: false };
    if (pick.value === 'rate') {
      const text = await vscode.window.showInputBox({
        title: `DCP: pruning rate of ${arg.layer}`, value: typeof current === 'number' && current >= 0 ? String(current) : '0.5',
        validateInput: (v) => (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) < 1 && v.trim() !== '' ? null : 'a number in [0, 1)'),
      });
      if (text === undefined) return;
      budget = { rate: Number(text) };
    }
    await writeLayerBudget(model, arg.layer, budget);
    s.log.info(`Recipe of ${model.fsPath}: ${arg.layer} → ${JSON.stringify(budget)}`);
  }, model);
}
