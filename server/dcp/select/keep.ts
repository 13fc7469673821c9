/**
 * How many input channels a conv keeps, and which groups of them must not be emptied, decided from the plan before
 * any work. Two rules on top of the rate rule c − ⌊η·c⌋ (stopping.ts):
 * - never empty a branch: a conv reading a Concatenate keeps at least one channel of every concatenated input,
 *   since surgery cannot remove every filter of a conv (a layer with zero filters is not a layer);
 * - `roundTo` N: the kept count is rounded to a multiple of N (latency: SIMD kernels such as XNNPACK's work on
 *   channel blocks, so 13 channels can cost as much as 16).
 */
import type { ConvPlan } from '../graph/plan';
import { keepCount } from './stopping';

/** One concatenated input's slice of the consumer's input channels. */
export interface BranchSlice {
  /** The conv whose filters make the slice. */
  layer: string;
  offset: number;
  channels: number;
}

/**
 * The concatenated inputs a conv reads, one slice per producer conv, or [] when it reads one tensor. Every traced
 * branch ends at exactly one conv's filters (graph/channels.ts), so the conv producers are the branches.
 */
export function branchSlices(plan: Pick<ConvPlan, 'producers'>): BranchSlice[] {
  const convs = plan.producers.filter((p) => p.kind === 'conv-filters');
  if (convs.length < 2) return [];
  return convs.map((p) => ({ layer: p.layer, offset: p.offset, channels: p.channels })).sort((a, b) => a.offset - b.offset);
}

/**
 * `keep` rounded to the nearest multiple of `roundTo` (ties up), at least one multiple, at most `channels`:
 * a conv narrower than `roundTo` keeps all its channels.
 */
export function roundKeep(keep: number, channels: number, roundTo: number): number {
  if (roundTo <= 1) return Math.min(channels, Math.max(1, keep));
  const rounded = Math.max(roundTo, Math.round(keep / roundTo) * roundTo);
  return Math.min(channels, rounded);
}

/** Rounds a count up to a multiple of `roundTo`, capped at `channels` (for counts a stopping rule chose). */
export function roundKeepUp(keep: number, channels: number, roundTo: number): number {
  if (roundTo <= 1) return Math.min(channels, Math.max(1, keep));
  return Math.min(channels, Math.max(roundTo, Math.ceil(keep / roundTo) * roundTo));
}

/** Channels the `rate` rule keeps for this conv: c − ⌊η·c⌋, at least one per branch, rounded to `roundTo`. */
export function plannedKeep(plan: Pick<ConvPlan, 'inChannels' | 'producers'>, rate: number, roundTo: number): number {
  const c = plan.inChannels;
  const branches = branchSlices(plan).length;
  const base = Math.max(keepCount(c, rate), branches);
  const rounded = roundKeep(base, c, roundTo);
  return rounded >= branches ? rounded : roundKeepUp(branches, c, roundTo);
}

/** The units of each branch (channel k, or kernel k·n + j when `perChannel` = n): each group must keep one. */
export function branchGroups(plan: Pick<ConvPlan, 'producers'>, perChannel = 1): number[][] {
  return branchSlices(plan).map((s) => Array.from({ length: s.channels * perChannel }, (_, i) => s.offset * perChannel + i));
}

/**
 * The first `keep` units of a preference order such that every group keeps one: a unit is skipped while the slots
 * left are needed for groups not yet covered. Used by the fixed choices (random, l1), which have no greedy loop.
 */
export function coveringPrefix(order: readonly number[], keep: number, groups: readonly (readonly number[])[]): number[] {
  const groupOf = new Map<number, number>();
  groups.forEach((g, i) => { for (const u of g) groupOf.set(u, i); });
  const covered = new Set<number>();
  const out: number[] = [];
  for (const u of order) {
    if (out.length >= keep) break;
    const g = groupOf.get(u);
    const opensGroup = g !== undefined && !covered.has(g);
    const open = groups.length - covered.size;
    if (!opensGroup && keep - out.length <= open) continue;
    out.push(u);
    if (g !== undefined) covered.add(g);
  }
  return out;
}
