/**
 * The model's recipe file (`<model>.dcp-recipe.json`, protocol/recipe.ts) as the panel edits it: read and validated
 * with the same validator the engine uses, changed one layer at a time, and written atomically (a temporary file in
 * the same folder, then a rename), so a run starting meanwhile never reads half a file.
 */
import * as vscode from 'vscode';
import { parseRecipe, recipePathFor, withLayerBudget, type Recipe, type RecipeLayer } from '../protocol/recipe';

export function recipeUriFor(model: vscode.Uri): vscode.Uri {
  return model.with({ path: recipePathFor(model.path) });
}

/** The recipe next to `model`, null when there is none; throws (with the file named) when it is not a valid recipe. */
export async function readRecipeFile(model: vscode.Uri): Promise<Recipe | null> {
  const uri = recipeUriFor(model);
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(uri);
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return null;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${uri.fsPath} is not valid JSON: ${(e as Error).message}`);
  }
  return parseRecipe(json, uri.fsPath);
}

/**
 * Sets (or with null removes) one layer's budget in the model's recipe; returns the recipe as written. VS Code
 * validates and completes the file by name (package.json's jsonValidation), so no `$schema` is written.
 */
export async function writeLayerBudget(model: vscode.Uri, layer: string, budget: RecipeLayer | null): Promise<Recipe> {
  const current = await readRecipeFile(model);
  return writeRecipeFile(model, withLayerBudget(current ?? { version: 1, layers: {} }, layer, budget));
}

/** Replaces the model's recipe with `recipe` (validated first); returns it as written. */
export async function writeRecipeFile(model: vscode.Uri, recipe: Recipe): Promise<Recipe> {
  const uri = recipeUriFor(model);
  const checked = parseRecipe(recipe, uri.fsPath);
  const tmp = uri.with({ path: `${uri.path}.${Date.now().toString(36)}.tmp` });
  await vscode.workspace.fs.writeFile(tmp, new TextEncoder().encode(`${JSON.stringify(checked, null, 2)}\n`));
  try {
    await vscode.workspace.fs.rename(tmp, uri, { overwrite: true });
  } catch (e) {
    await vscode.workspace.fs.delete(tmp).then(undefined, () => undefined);
    throw e;
  }
  return checked;
}
