/**
 * The schema of run.json, the run history's record of one run. It is rewritten while the run lives and read back
 * by every later session (listing, resume, delete), so a torn or hand-edited record is checked field by field before
 * the manager trusts a path or a status in it.
 */
import * as z from 'zod';
import type { RunOutcome } from '../../protocol/lsp';
import { issuesText } from '../../protocol/report-schema';
import type { RunRecord } from './history';

const time = z.number().int().nonnegative();
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const outcomeSchema = z.looseObject({
  paramsBefore: z.number().int().nonnegative(),
  paramsAfter: z.number().int().nonnegative(),
  flopsBefore: z.number().int().nonnegative(),
  flopsAfter: z.number().int().nonnegative(),
  accuracyBefore: finite.min(0).max(1).nullable(),
  accuracyAfter: finite.min(0).max(1).nullable(),
  seconds: finite.nonnegative(),
});

// A run id names a folder: a path separator or `..` in it would point the manager outside the history root.
const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'is not a run id (letters, digits, . _ -)');
const path = z.string().min(1).refine((s) => !s.includes('\0'), 'holds a NUL character');

export const runRecordSchema = z.looseObject({
  schema: z.literal('dcp-run/1'),
  runId,
  modelUri: z.string(),
  modelPath: path,
  outDir: path,
  status: z.enum(['running', 'finished', 'failed', 'cancelled', 'interrupted']),
  startedAt: time,
  endedAt: time.nullable(),
  layersDone: z.number().int().nonnegative(),
  outcome: outcomeSchema.nullable(),
  message: z.string().nullable(),
});

void (outcomeSchema satisfies z.ZodType<RunOutcome>);
void (runRecordSchema satisfies z.ZodType<RunRecord>);

/** A parsed run.json, or why it is not one. */
export function parseRunRecord(value: unknown): { record: RunRecord } | { problem: string } {
  const r = runRecordSchema.safeParse(value);
  return r.success ? { record: r.data } : { problem: issuesText(r.error) };
}
