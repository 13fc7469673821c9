/**
 * A pruning recipe: per-layer budgets that override the run's rate, saved next to the model as
 * `<model>.dcp-recipe.json` (schema: schemas/dcp-recipe.schema.json). The CLI reads it with `--recipe FILE`, the
 * extension passes the one next to the model, the panel edits it. Pure (no Node, no VS Code): the engine, the
 * extension host and the webview share this validator.
 */

/** One layer's budget: its own pruning rate, or `prune: false` = keep every input channel (no selection at all). */
export type RecipeLayer = { rate: number } | { prune: false };

export interface Recipe {
  /** Editors use it to find the schema; the engine ignores it. */
  $schema?: string;
  version: 1;
  /** Prunable convolution name → budget. Layers not named use the run's `rate`. */
  layers: Record<string, RecipeLayer>;
}

/** Recipes are tiny; the bound stops a hostile file or webview from handing the host megabytes. */
export const MAX_RECIPE_LAYERS = 10_000;
const MAX_NAME = 4096;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks one budget; returns the problem in words, or null when it is valid. */
export function recipeLayerProblem(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object: {"rate": η} or {"prune": false}';
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'prune') return v.prune === false ? null : '"prune" may only be false (leave the layer out to prune it at the run\'s rate)';
  if (keys.length === 1 && keys[0] === 'rate') {
    const r = v.rate;
    return typeof r === 'number' && Number.isFinite(r) && r >= 0 && r < 1 ? null : `"rate" must be a number in [0, 1) (got ${JSON.stringify(r)})`;
  }
  return `must be {"rate": η} or {"prune": false} (got keys ${JSON.stringify(keys)})`;
}

/** Validates parsed JSON as a recipe; throws an Error naming the first problem (`where` = the file, for the message). */
export function parseRecipe(v: unknown, where = 'recipe'): Recipe {
  if (!isObject(v)) throw new Error(`${where}: a recipe must be a JSON object {"version": 1, "layers": {…}}`);
  const extra = Object.keys(v).filter((k) => k !== '$schema' && k !== 'version' && k !== 'layers');
  if (extra.length > 0) throw new Error(`${where}: unknown field ${JSON.stringify(extra[0])} (a recipe has "version" and "layers")`);
  if (v.version !== 1) throw new Error(`${where}: "version" must be 1 (got ${JSON.stringify(v.version)})`);
  if (v.$schema !== undefined && typeof v.$schema !== 'string') throw new Error(`${where}: "$schema" must be a string`);
  if (!isObject(v.layers)) throw new Error(`${where}: "layers" must be an object mapping layer names to budgets`);
  const names = Object.keys(v.layers);
  if (names.length > MAX_RECIPE_LAYERS) throw new Error(`${where}: more than ${MAX_RECIPE_LAYERS} layers`);
  const layers: Record<string, RecipeLayer> = {};
  for (const name of names) {
    if (name.length === 0 || name.length > MAX_NAME) throw new Error(`${where}: layer names must be 1-${MAX_NAME} characters`);
    const problem = recipeLayerProblem(v.layers[name]);
    if (problem) throw new Error(`${where}: layer ${JSON.stringify(name)}: ${problem}`);
    const b = v.layers[name] as RecipeLayer;
    layers[name] = 'rate' in b ? { rate: b.rate } : { prune: false };
  }
  const out: Recipe = { version: 1, layers };
  if (typeof v.$schema === 'string') out.$schema = v.$schema;
  return out;
}

export function isRecipe(v: unknown): v is Recipe {
  try {
    parseRecipe(v);
    return true;
  } catch {
    return false;
  }
}

/** The recipe with one layer's budget set, or removed (null = back to the run's rate). Does not modify `recipe`. */
export function withLayerBudget(recipe: Recipe | null, layer: string, budget: RecipeLayer | null): Recipe {
  const layers = { ...(recipe?.layers ?? {}) };
  if (budget === null) delete layers[layer];
  else layers[layer] = budget;
  return { ...(recipe?.$schema ? { $schema: recipe.$schema } : {}), version: 1, layers };
}

/**
 * The recipe file that belongs to a model file: `model.json` → `model.dcp-recipe.json` in the same folder.
 * Works on a path or a URI path (only the last segment changes).
 */
export function recipePathFor(modelPath: string): string {
  return modelPath.replace(/(\.json)?$/i, '.dcp-recipe.json');
}

/** Rate of `layer` under the recipe: its own, `never` for `prune: false`, else the run's. */
export function layerRate(recipe: Recipe | null, layer: string, runRate: number): number | 'never' {
  const b = recipe && Object.hasOwn(recipe.layers, layer) ? recipe.layers[layer] : undefined;
  if (!b) return runRate;
  return 'rate' in b ? b.rate : 'never';
}
