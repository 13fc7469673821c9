/**
 * The run's recipe (`config.recipe`, protocol/recipe.ts): read and checked against the model before any work, then
 * applied to the plan. A budget's rate replaces `config.rate` for that conv only; `prune: false` takes the conv out
 * of the plan (it keeps every channel and is never selected, so it costs nothing).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseRecipe, type Recipe } from '../../../protocol/recipe';
import type { ModelGraph } from '../graph/graph';
import type { PrunePlan } from '../graph/plan';

/** The recipe file's content, validated; null when the run has none. Relative paths are taken from the working directory. */
export async function readRecipe(file: string): Promise<Recipe | null> {
  if (file.trim() === '') return null;
  const where = path.resolve(file);
  let text: string;
  try {
    text = await readFile(where, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the recipe ${where}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`the recipe ${where} is not valid JSON: ${(e as Error).message}`);
  }
  return parseRecipe(json, where);
}

/**
 * The plan with the recipe applied. Every layer the recipe names must be a prunable conv of this model: a budget on
 * a layer that cannot be pruned, or a misspelt name, would otherwise be silently ignored.
 */
export function applyRecipe(plan: PrunePlan, graph: ModelGraph, recipe: Recipe | null): PrunePlan {
  if (!recipe) return plan;
  const prunable = new Set(graph.prunable.map((p) => p.layer));
  for (const name of Object.keys(recipe.layers)) {
    if (prunable.has(name)) continue;
    const why = graph.notPrunable.find((n) => n.layer === name)?.reason;
    throw new Error(why
      ? `recipe: layer '${name}' is not prunable (${why}); remove it from the recipe`
      : `recipe: the model has no prunable convolution '${name}' (prunable: ${[...prunable].join(', ')})`);
  }
  const never = new Set(Object.entries(recipe.layers).filter(([, b]) => 'prune' in b).map(([n]) => n));
  const convs = plan.convs.filter((c) => !never.has(c.conv)).map((c) => {
    const b = recipe.layers[c.conv];
    return b && 'rate' in b ? { ...c, rate: b.rate } : c;
  });
  if (convs.length === 0) throw new Error('recipe: every prunable convolution is marked "prune": false; there is nothing to prune');
  const stages = plan.stages.map((s) => ({ ...s, layers: s.layers.filter((l) => !never.has(l)) }));
  return { ...plan, convs, stages };
}
