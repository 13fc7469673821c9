/** The memory plan as terminal lines: `dcp prune --dry-run` prints all of them, a run's progress the summary. */
import type { MemoryPlan } from '../../protocol/model';
import { formatTable } from './table';

export function bytesText(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** One line: budget, micro-batching and spilling, as the run's progress prints it under its first line. */
export function memorySummary(p: MemoryPlan): string {
  const budget = p.budgetBytes === null ? 'no memory limit known' : `memory budget ${bytesText(p.budgetBytes)} (${p.budgetSource})`;
  const training = p.accumulationSteps > 1
    ? `batch ${p.batchSize} as ${p.accumulationSteps} micro-batches of ≤ ${p.microBatch} (gradients accumulated)`
    : `batch ${p.batchSize} in one pass`;
  const spilled = p.layers.filter((l) => l.spill).length;
  const cache = spilled > 0 ? `; ${spilled} of ${p.layers.length} selection caches spilled to disk (up to ${bytesText(p.spillBytes)})` : '';
  return `${budget}: ${training}${cache}`;
}

/** The plan: summary line, one row per phase, one per layer selected. */
export function memoryPlanLines(p: MemoryPlan): string[] {
  const phases = formatTable(
    ['phase', 'estimated peak', 'batch'],
    p.phases.map((ph) => [ph.phase, bytesText(ph.bytes), String(ph.batch)]),
    [false, true, true],
  );
  const layers = formatTable(
    ['layer', 'selection cache', 'peak', 'batch', 'built by', 'kept in'],
    p.layers.map((l) => [l.layer, bytesText(l.cacheBytes), bytesText(l.peakBytes), String(l.batch), String(l.buildBatch), l.spill ? 'temp files' : 'memory']),
    [false, true, true, true, true, false],
  );
  return [memorySummary(p), '', ...phases, '', ...layers];
}
