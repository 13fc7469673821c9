/**
 * The schema of a RunEvent read back from disk (a run folder's events.jsonl, replayed to the panel and counted by
 * the run manager). A hand-edited or foreign line must not reach code that trusts the event's shape: a `layerDone`
 * without its `result` would throw inside the server's event handler. Objects are loose, as in report-schema.ts.
 */
import * as z from 'zod';
import type { ModelSummary, RunEvent } from './model';
import { headAccuracySchema, layerResultSchema, loss, modelStatsSchema, runConfigSchema, runReportSchema } from './report-schema';

const time = z.number();
const int = z.number().int();
const stage = int.nonnegative().nullable();
const trainPhase = z.enum(['heads', 'stage', 'final']);

const layerInfoSchema = z.looseObject({
  name: z.string(), className: z.string(), inboundLayers: z.array(z.string()), outputShape: z.array(z.number()),
  params: z.number(), flops: z.number(), prunable: z.boolean().optional(), reason: z.string().optional(),
  inChannels: int.optional(), outChannels: int.optional(),
});

const modelSummarySchema = z.looseObject({
  name: z.string(), inputShape: z.array(z.number()), numClasses: int.positive(), layers: z.array(layerInfoSchema),
  totalParams: z.number(), totalFlops: z.number(), prunable: z.array(z.string()),
});

const epochPointSchema = z.looseObject({ epoch: int, loss, accuracy: z.number().nullable(), valAccuracy: z.number().nullable() });

export const runEventSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('runStarted'), config: runConfigSchema, model: modelSummarySchema, before: modelStatsSchema, time,
    heads: z.array(z.looseObject({ index: int, after: z.string(), weight: z.number() })),
    stages: z.array(z.looseObject({ index: int, layers: z.array(z.string()), head: int })),
  }),
  z.looseObject({ type: z.literal('trainProgress'), phase: trainPhase, stage, epoch: int, epochs: int, batch: int, batches: int, loss, time }),
  z.looseObject({ type: z.literal('epochDone'), phase: trainPhase, stage, point: epochPointSchema, time }),
  z.looseObject({ type: z.literal('headsTrained'), heads: z.array(headAccuracySchema), time }),
  z.looseObject({ type: z.literal('stageStarted'), stage: int, layers: z.array(z.string()), time }),
  z.looseObject({ type: z.literal('selectionStarted'), layer: z.string(), stage: int, inChannels: int.positive(), target: int.nullable(), time }),
  z.looseObject({
    type: z.literal('selectionIteration'), layer: z.string(), iteration: int, added: z.array(int.nonnegative()), scores: z.array(z.number()),
    lossM: loss, lossS: loss, loss, time,
  }),
  z.looseObject({ type: z.literal('layerDone'), result: layerResultSchema, time }),
  z.looseObject({ type: z.literal('surgeryDone'), afterSelection: modelStatsSchema, time }),
  z.looseObject({ type: z.literal('runFinished'), report: runReportSchema, time }),
  z.looseObject({ type: z.literal('runFailed'), message: z.string(), time }),
  z.looseObject({ type: z.literal('runCancelled'), time }),
]);

void (modelSummarySchema satisfies z.ZodType<ModelSummary>);
void (runEventSchema satisfies z.ZodType<RunEvent>);

const KNOWN = new Set<string>(runEventSchema.options.map((o) => o.shape.type.value));

/**
 * A stored event, or null when the value is not one. An event type this schema does not list yet (added to RunEvent
 * since) passes with only its envelope checked, so a replay is never cut short at it; add its schema above.
 */
export function parseRunEvent(value: unknown): RunEvent | null {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && !KNOWN.has(type)) {
    return typeof (value as { time?: unknown }).time === 'number' ? (value as RunEvent) : null;
  }
  const r = runEventSchema.safeParse(value);
  return r.success ? r.data : null;
}
