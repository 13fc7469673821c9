/**
 * One layer's sensitivity curve: DCP's greedy selection for this conv alone, run once up to the kept count of the
 * smallest rate, with a snapshot at every rate's kept count (greedy only adds channels, so each snapshot is what a
 * run at that rate would have returned: docs/sensitivity.md). The one exception, a snapshot that leaves a
 * concatenated branch empty, is selected again at its own rate. At each snapshot the network, unpruned elsewhere, is
 * evaluated with the solved weights; the conv's own weights are restored afterwards, whatever happens.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelSummary, RunConfig, RunEvent } from '../../../protocol/model';
import type { SensitivityPoint } from '../../../protocol/sensitivity';
import type { Split } from '../../data/dataset';
import type { GraphRunner } from '../exec/executor';
import { convSpec } from '../exec/layers';
import type { ConvPlan } from '../graph/plan';
import { checkCancelled } from '../run/cancel';
import { branchGroups, plannedKeep } from '../select/keep';
import { selectLayer, type LayerOutcome } from '../select/select-layer';
import type { Head } from '../train/heads';
import { accuracy, type Network } from '../train/train';
import { flopsSavedBy } from './flops';

export interface LayerSensitivityContext {
  net: Network;
  baseline: GraphRunner;
  /** The run's settings; `rate` and `stop` are set here per layer. */
  config: RunConfig;
  selection: Split;
  summary: ModelSummary;
  baseAccuracy: number;
  inferenceBatch: number;
  memory?: LayerContextMemory;
  signal?: AbortSignal;
}

type LayerContextMemory = Parameters<typeof selectLayer>[0]['memory'];

/** Kept count per rate for this conv (several rates may share one when the conv is narrow). */
export function keepsFor(plan: ConvPlan, rates: readonly number[], roundTo: number): number[] {
  return rates.map((r) => plannedKeep(plan, r, roundTo));
}

/**
 * Yields one point per rate (ascending rate order) for `plan.conv`. The network is left exactly as it came in: the
 * conv's kernel and bias are restored and its mask removed.
 */
export async function* layerSensitivity(ctx: LayerSensitivityContext, plan: ConvPlan, head: Head | null, rates: readonly number[]): AsyncGenerator<SensitivityPoint> {
  const { net, config } = ctx;
  const spec = convSpec(net.runner.layer(plan.conv));
  const keeps = keepsFor(plan, rates, config.roundTo);
  const most = Math.max(...keeps);
  // The smallest rate keeps the most channels: one run there passes through every other rate's kept count.
  const smallest = rates[keeps.indexOf(most)];
  const original = spec.kernel.read().clone();
  const originalBias = spec.bias ? spec.bias.read().clone() : null;
  const restore = (): void => {
    spec.kernel.write(original);
    if (spec.bias && originalBias) spec.bias.write(originalBias);
    net.masks.get(plan.conv)?.dispose();
    net.masks.delete(plan.conv);
  };
  const outcomes: LayerOutcome[] = [];
  /** One greedy selection from the unpruned conv at `rate`, with snapshots at `at`. */
  const select = async (rate: number, at: number[]): Promise<LayerOutcome> => {
    restore();
    const gen = selectLayer({
      net, baseline: ctx.baseline, config: { ...config, rate, stop: 'rate' }, selection: ctx.selection,
      signal: ctx.signal, memory: ctx.memory, snapshotAt: new Set(at),
    }, plan, head);
    const out = await drainSelection(gen);
    outcomes.push(out);
    return out;
  };
  try {
    const out = await select(smallest, keeps);
    const groups = branchGroups(plan);
    const covers = (kept: readonly number[]): boolean => groups.every((g) => g.some((u) => kept.includes(u)));
    for (let i = 0; i < rates.length; i++) {
      checkCancelled(ctx.signal);
      let snap = out.snapshots.find((s) => s.kept.length === keeps[i]);
      if (!snap) throw new Error(`${plan.conv}: selection never kept ${keeps[i]} channels (it stopped at ${out.result.kept.length})`);
      // A prefix that leaves a concatenated branch empty is not what a run at this rate keeps (it would have forced
      // a channel of that branch in its last steps): select again at this rate alone.
      if (!covers(snap.kept)) snap = (await select(rates[i], [keeps[i]])).snapshots[0];
      spec.kernel.write(snap.weights);
      if (spec.bias && snap.bias) spec.bias.write(snap.bias);
      const acc = await accuracy(net, ctx.selection, ctx.inferenceBatch, ctx.signal);
      yield {
        layer: plan.conv, rate: rates[i], keep: keeps[i], kept: snap.kept,
        jointLoss: snap.loss, reconLoss: snap.lossM, discLoss: snap.lossS,
        accuracy: acc, accuracyDrop: ctx.baseAccuracy - acc,
        flopsSaved: flopsSavedBy(ctx.summary, plan, snap.kept),
        exact: covers(snap.kept),
      };
    }
  } finally {
    restore();
    tf.dispose([original, ...(originalBias ? [originalBias] : [])]);
    for (const o of outcomes) for (const s of o.snapshots) tf.dispose([s.weights, ...(s.bias ? [s.bias] : [])]);
  }
}

/** Runs a layer's selection to its end; its per-iteration events are not part of the sensitivity stream. */
async function drainSelection(gen: AsyncGenerator<RunEvent, LayerOutcome>): Promise<LayerOutcome> {
  for (;;) {
    const r = await gen.next();
    if (r.done) return r.value;
  }
}
