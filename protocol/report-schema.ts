/**
 * Schemas for the JSON files this project reads back from disk: report.json (RunReport) and the pieces the engine's
 * checkpoint and the run history share. A file on disk is as untrusted as a webview message (hand-edited, torn by a
 * crash, written by an older or newer build), so the readers parse it here before anything uses a field, and a bad
 * file gives an error naming the field instead of a TypeError later in a hover or a Markdown table.
 *
 * Objects are loose (unknown keys kept): a newer build may add fields, and an older reader should still show the
 * ones it knows. `config` is checked by the settings validator, which fills settings an older file lacks.
 */
import * as z from 'zod';
import type { HeadAccuracy, LayerResult, ModelStats, RunReport } from './model';
import { resolveRunConfig } from './settings-validate';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().nonnegative();
const index = z.number().int().nonnegative();
/** A loss: JSON writes NaN and ±Infinity as null, so null reads back as NaN (what was written) instead of refusing the file. */
export const loss = z.number().nullable().transform((v) => v ?? Number.NaN);

export const modelStatsSchema = z.looseObject({
  params: count,
  flops: count,
  accuracy: finite.min(0).max(1).nullable(),
  latencyMs1: finite.nonnegative().nullable(),
  latencyMsBatch: finite.nonnegative().nullable(),
  latencyBatch: z.number().int().positive(),
});

export const layerResultSchema = z.looseObject({
  layer: z.string(),
  stage: index,
  inChannels: z.number().int().positive(),
  kept: z.array(index),
  lossM: loss,
  lossS: loss,
  iterations: count,
  removedWith: z.array(z.string()),
  kernelMask: z.array(z.array(z.union([z.literal(0), z.literal(1)]))).optional(),
  keptKernels: count.optional(),
  totalKernels: count.optional(),
  seconds: finite.nonnegative(),
}).superRefine((l, ctx) => {
  if (l.kept.some((k) => k >= l.inChannels)) ctx.addIssue({ code: 'custom', path: ['kept'], message: `a kept channel is not below inChannels (${l.inChannels})` });
});

export const headAccuracySchema = z.looseObject({ index, after: z.string(), accuracy: finite.min(0).max(1) });

const epochPointSchema = z.looseObject({ epoch: count, loss, accuracy: finite.nullable(), valAccuracy: finite.nullable() });

/** Checked by the one settings validator (ranges, choices, defaults for settings added since the file was written). */
export const runConfigSchema = z.unknown().transform((v, ctx) => {
  try {
    return resolveRunConfig(v, 'field');
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const runReportSchema = z.looseObject({
  schema: z.literal('dcp-report/1'),
  config: runConfigSchema,
  model: z.looseObject({ name: z.string(), input: z.string(), output: z.string().nullable() }),
  layers: z.array(layerResultSchema),
  heads: z.array(headAccuracySchema),
  before: modelStatsSchema,
  afterSelection: modelStatsSchema,
  after: modelStatsSchema,
  finetune: z.array(epochPointSchema),
  selectionCost: z.looseObject({ epochEquivalents: finite.nonnegative(), referenceEpochEquivalents: finite.nonnegative() }),
  seconds: finite.nonnegative(),
  backend: z.string(),
});

// Each schema's output must be assignable to its protocol type: a renamed or retyped field fails to compile here.
void (modelStatsSchema satisfies z.ZodType<ModelStats>);
void (layerResultSchema satisfies z.ZodType<LayerResult>);
void (headAccuracySchema satisfies z.ZodType<HeadAccuracy>);
void (runReportSchema satisfies z.ZodType<RunReport>);

/** A report read back from disk, or why it is not one (field paths first, at most three problems). */
export function parseRunReport(value: unknown, source: string): RunReport {
  const r = runReportSchema.safeParse(value);
  if (!r.success) throw new ReportFileError(source, issuesText(r.error));
  return r.data;
}

/** JSON text → a validated report; syntax errors and schema errors both become a ReportFileError. */
export function parseRunReportText(text: string, source: string): RunReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ReportFileError(source, `not valid JSON (${(e as Error).message})`);
  }
  return parseRunReport(value, source);
}

/** A file read back that is not what it claims to be; the message names the file and the fields at fault. */
export class ReportFileError extends Error {
  constructor(readonly file: string, why: string) {
    super(`${file}: ${why}`);
    this.name = 'ReportFileError';
  }
}

/** zod issues as one line: `layers.0.kept: …; before.params: …`. */
export function issuesText(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`);
  return shown.join('; ') + (error.issues.length > 3 ? `; and ${error.issues.length - 3} more` : '');
}
