/**
 * The schemas of a checkpoint's state.json and heads.json. A checkpoint is read back by a later process (resume after
 * a crash, a kill, a full disk), so it is as untrusted as any input: a torn, hand-edited or foreign file must give a
 * "start afresh" error, never a TypeError mid-resume, and the folder names in it must stay inside the checkpoint
 * folder (`"network": "../../elsewhere"` would load weights from anywhere).
 */
import * as z from 'zod';
import { headAccuracySchema, issuesText, layerResultSchema, modelStatsSchema } from '../../../protocol/report-schema';
import type { CheckpointState } from './checkpoint';

const count = z.number().int().nonnegative();
/** A folder the checkpoint itself wrote: `step-<n>-<hex>` or `baseline-<hex>`, never a path. */
const ownFolder = (pattern: RegExp, what: string) => z.string().regex(pattern, `is not a ${what} folder name`);

export const checkpointStateSchema = z.looseObject({
  schema: z.enum(['dcp-checkpoint/2', 'dcp-checkpoint/1']),
  // Compared key by key with the resumed run's config by readCheckpoint, which names the keys that differ.
  config: z.record(z.string(), z.unknown()),
  modelPath: z.string().min(1),
  before: modelStatsSchema,
  heads: z.array(headAccuracySchema),
  layers: z.array(layerResultSchema),
  passes: z.array(z.looseObject({ layer: z.string(), gradientPasses: count, forwardPasses: count })),
  stagesTuned: z.array(count),
  network: ownFolder(/^step-\d+-[0-9a-f]{1,16}$/, 'step'),
  baseline: ownFolder(/^baseline-[0-9a-f]{1,16}$/, 'baseline'),
  step: count,
});

const tensorSchema = z.object({ shape: z.array(count), values: z.array(z.number()) }).refine(
  (t) => t.values.length === t.shape.reduce((a, b) => a * b, 1), 'values do not fill the shape',
);
export const headWeightsSchema = z.array(z.array(tensorSchema));
export type HeadWeightsData = z.infer<typeof headWeightsSchema>;

/** state.json's parsed value as a CheckpointState, or the problem in one line. */
export function parseCheckpointState(value: unknown): { state: CheckpointState } | { problem: string } {
  const r = checkpointStateSchema.safeParse(value);
  return r.success ? { state: r.data as unknown as CheckpointState } : { problem: issuesText(r.error) };
}

/**
 * heads.json against the live heads' weight shapes (per head: BatchNorm's, then the dense layer's), so a mismatch
 * is refused before a tensor is made from it.
 */
export function checkHeadWeights(value: unknown, shapes: readonly (readonly number[])[][], file: string): HeadWeightsData {
  const r = headWeightsSchema.safeParse(value);
  if (!r.success) throw new Error(`${file}: not the heads' weights (${issuesText(r.error)}); start the run afresh`);
  if (r.data.length !== shapes.length) throw new Error(`${file}: weights for ${r.data.length} heads, the run has ${shapes.length}; start the run afresh`);
  r.data.forEach((rows, h) => {
    const want = shapes[h];
    const bad = rows.length !== want.length || rows.some((t, i) => t.shape.join('x') !== want[i].join('x'));
    if (bad) throw new Error(`${file}: head ${h}'s weights have shapes ${rows.map((t) => t.shape.join('x')).join(', ')}, expected ${want.map((s) => s.join('x')).join(', ')}; start the run afresh`);
  });
  return r.data;
}
