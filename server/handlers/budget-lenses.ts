/**
 * A CodeLens on each prunable convolution in a model.json: its budget in the model's recipe (`<model>.dcp-recipe.json`)
 * — the run's rate, its own rate, or never prune — which opens `dcp.setLayerBudget` to change it. The recipe is read
 * at request time with the engine's validator; a broken recipe puts one lens at the top saying why.
 */
import { readFile } from 'node:fs/promises';
import type { CodeLens } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DcpCommands, type LayerBudgetArgs } from '../../protocol/lsp';
import type { ModelSummary } from '../../protocol/model';
import { layerRate, parseRecipe, recipePathFor, type Recipe } from '../../protocol/recipe';
import type { ModelOutline } from './model-outline';

/** The model's recipe: null when there is none; an Error (not thrown) when it exists but is not a valid recipe. */
export async function readModelRecipe(modelPath: string): Promise<Recipe | null | Error> {
  const file = recipePathFor(modelPath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return parseRecipe(JSON.parse(text) as unknown, file);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export function budgetTitle(recipe: Recipe | null, layer: string): string {
  const r = layerRate(recipe, layer, -1);
  return r === -1 ? 'DCP budget: run rate' : r === 'never' ? 'DCP budget: never prune' : `DCP budget: rate ${r}`;
}

export function budgetLenses(uri: string, doc: TextDocument, outline: ModelOutline, summary: ModelSummary, recipe: Recipe | null | Error): CodeLens[] {
  if (recipe instanceof Error) {
    const top = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return [{ range: top, command: { title: `DCP recipe invalid: ${recipe.message.slice(0, 160)}`, command: '' } }];
  }
  const prunable = new Set(summary.prunable);
  return outline.layers.filter((l) => prunable.has(l.name)).map((l) => {
    const args: LayerBudgetArgs = { uri, layer: l.name };
    const at = doc.positionAt(l.nameOffset);
    return { range: { start: at, end: at }, command: { title: budgetTitle(recipe, l.name), command: DcpCommands.setLayerBudget, arguments: [args] } };
  });
}
