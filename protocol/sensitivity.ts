/**
 * Layer sensitivity (issue 16): each prunable conv pruned alone at each rate, measured on the selection set. Plain
 * JSON-safe data shared by the engine (server/dcp/sensitivity/), the CLI, the language server and the panel, and the
 * zod schema of the result file `sensitivity.json`, which is read back from disk and so is untrusted.
 */
import * as z from 'zod';
import type { RunConfig } from './settings';
import type { Recipe } from './recipe';

/** One layer pruned alone at one rate, every other layer unpruned. Losses are means over the selection set. */
export interface SensitivityPoint {
  layer: string;
  rate: number;
  /** Input channels kept: c − ⌊η·c⌋ (rounded as the run's roundTo says). */
  keep: number;
  /** The kept input channels, ascending. */
  kept: number[];
  /** The layer's DCP loss L_M + λ·L_S (the method's weights) with the solved weights at this keep. */
  jointLoss: number;
  /** L_M, the reconstruction term. */
  reconLoss: number;
  /** L_S, the discrimination term of the layer's stage head (0 when the method has none). */
  discLoss: number;
  /** Final-classifier accuracy on the selection set with only this layer pruned (no fine-tuning), in [0, 1]. */
  accuracy: number;
  /** Unpruned accuracy minus `accuracy`, in [0, 1] (negative when pruning helped on this set). */
  accuracyDrop: number;
  /** Multiply-adds per sample removed: this conv's input slices plus its producers' filters (and BN/depthwise). */
  flopsSaved: number;
  /**
   * Whether the point keeps a channel of every concatenated branch, as a real run at this rate must. The engine
   * re-selects a rate whose greedy prefix left a branch empty, so it writes true; kept in the file for readers.
   */
  exact: boolean;
}

/** One layer's curve. */
export interface SensitivityLayer {
  layer: string;
  stage: number;
  inChannels: number;
  points: SensitivityPoint[];
  seconds: number;
}

/** The target the suggestion meets: the unpruned FLOPs divided by the pruned FLOPs is at least `flopsReduction`. */
export interface SensitivityTarget {
  flopsReduction: number;
}

/** Per-layer rates from the measured grid meeting the target with the least summed accuracy drop. */
export interface SensitivitySuggestion {
  target: SensitivityTarget;
  /** Whether the target can be met on the grid; when not, `message` says why and `recipe` is the most the grid saves. */
  feasible: boolean;
  message: string;
  /** Layer → chosen rate (0 = left unpruned). */
  rates: Record<string, number>;
  flopsBefore: number;
  /** FLOPs with every chosen rate applied together (producers shared by two layers counted once). */
  flopsAfter: number;
  /** flopsBefore / flopsAfter. */
  reduction: number;
  /** Σ of the chosen points' accuracy drops (an estimate: the drops are measured one layer at a time). */
  accuracyDrop: number;
  /** The suggestion as a recipe (`<model>.dcp-recipe.json`, for `dcp prune --recipe`). */
  recipe: Recipe;
}

/** The result file `sensitivity.json`. */
export interface SensitivityResult {
  version: 1;
  /** Absolute path of the model analysed. */
  modelPath: string;
  modelName: string;
  config: RunConfig;
  rates: number[];
  /** Unpruned final-classifier accuracy on the selection set (after head training). */
  baseAccuracy: number;
  selectionSamples: number;
  totalFlops: number;
  layers: SensitivityLayer[];
  suggestion: SensitivitySuggestion | null;
  seconds: number;
}

/** What a sensitivity analysis streams (engine → CLI / worker → server → extension → panel), in order. */
export type SensitivityEvent =
  | { type: 'sensitivityStarted'; modelName: string; rates: number[]; layers: string[]; totalFlops: number; time: number }
  | { type: 'sensitivityBaseline'; baseAccuracy: number; selectionSamples: number; time: number }
  | { type: 'sensitivityLayerStarted'; layer: string; index: number; total: number; time: number }
  | { type: 'sensitivityPoint'; point: SensitivityPoint; time: number }
  | { type: 'sensitivityLayerDone'; layer: string; seconds: number; time: number }
  | { type: 'sensitivityDone'; result: SensitivityResult; time: number }
  | { type: 'sensitivityFailed'; message: string; time: number }
  | { type: 'sensitivityCancelled'; time: number };

/** The end events: a stream ends with exactly one. */
export function isSensitivityEnd(e: SensitivityEvent): boolean {
  return e.type === 'sensitivityDone' || e.type === 'sensitivityFailed' || e.type === 'sensitivityCancelled';
}

/** `--rates 0.1,0.3`: ascending distinct rates in (0, 1); throws an Error naming the bad entry. */
export function parseRates(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new Error('rates: give at least one rate, e.g. 0.1,0.3,0.5,0.7');
  const rates = parts.map((s) => {
    const r = Number(s);
    if (!Number.isFinite(r) || r <= 0 || r >= 1) throw new Error(`rates: ${JSON.stringify(s)} is not a rate in (0, 1)`);
    return r;
  });
  return [...new Set(rates)].sort((a, b) => a - b);
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().nonnegative();
/** JSON writes NaN as null; read it back as NaN rather than refusing the file. */
const loss = z.number().nullable().transform((v) => v ?? Number.NaN);

export const sensitivityPointSchema = z.looseObject({
  layer: z.string(), rate: finite.min(0).max(1), keep: count, kept: z.array(count),
  jointLoss: loss, reconLoss: loss, discLoss: loss,
  accuracy: finite.min(0).max(1), accuracyDrop: finite.min(-1).max(1), flopsSaved: finite.nonnegative(), exact: z.boolean(),
});

const layerSchema = z.looseObject({
  layer: z.string(), stage: count, inChannels: count, points: z.array(sensitivityPointSchema), seconds: finite.nonnegative(),
});

const suggestionSchema = z.looseObject({
  target: z.looseObject({ flopsReduction: finite.min(1) }), feasible: z.boolean(), message: z.string(),
  rates: z.record(z.string(), finite.min(0).max(1)), flopsBefore: finite.nonnegative(), flopsAfter: finite.nonnegative(),
  reduction: finite.nonnegative(), accuracyDrop: finite,
  recipe: z.looseObject({ version: z.literal(1), layers: z.record(z.string(), z.union([z.object({ rate: finite }), z.object({ prune: z.literal(false) })])) }),
});

/** The schema of `sensitivity.json`; `config` is kept as written (the run's resolved settings). */
export const sensitivityResultSchema = z.looseObject({
  version: z.literal(1), modelPath: z.string(), modelName: z.string(), config: z.looseObject({}),
  rates: z.array(finite.min(0).max(1)), baseAccuracy: finite.min(0).max(1), selectionSamples: count, totalFlops: finite.nonnegative(),
  layers: z.array(layerSchema), suggestion: suggestionSchema.nullable(), seconds: finite.nonnegative(),
});

/** Parses a `sensitivity.json`'s JSON; throws an Error naming the first bad field. */
export function parseSensitivityResult(v: unknown, where = 'sensitivity.json'): SensitivityResult {
  const r = sensitivityResultSchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data as unknown as SensitivityResult;
}
