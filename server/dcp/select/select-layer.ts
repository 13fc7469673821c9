import * as tf from '@tensorflow/tfjs';
import type { LayerMemory, LayerResult, RunConfig, RunEvent, SolverName } from '../../../protocol/model';
import type { Split } from '../../data/dataset';
import { mulberry32, mixSeed } from '../../data/dataset';
import type { GraphRunner } from '../exec/executor';
import type { Head } from '../train/heads';
import { convSpec } from '../exec/layers';
import { buildSelectionBatches, disposeBatches, stageRest } from './layer-cache';
import { greedySelect, type SelectionOutcome, type SelectionProblem, type Snapshot } from './selection';
import { branchGroups, coveringPrefix, plannedKeep } from './keep';
import { accumulateGram, gramBytes, type GramStats } from './gram';
import type { Network } from '../train/train';
import type { ConvPlan } from '../graph/plan';

export interface LayerContext {
  net: Network;
  baseline: GraphRunner;
  config: RunConfig;
  selection: Split;
  signal?: AbortSignal;
  /** The memory plan's per-layer choices (selection batch, spill); absent = the run's batch size, in memory. */
  memory?: readonly LayerMemory[];
  /** Channels per greedy step for this conv (the run's step plan, run/step-plan.ts); absent = the config's (≥ 1). */
  channelsPerStep?: number;
  /** Kept counts at which selection keeps copies of its weights (layer sensitivity); DCP's channel step only. */
  snapshotAt?: ReadonlySet<number>;
}

/** What selecting one layer produced, besides the events: the kept channels and the pass counts for the cost report. */
export interface LayerOutcome {
  result: LayerResult;
  gradientPasses: number;
  forwardPasses: number;
  /** The copies `snapshotAt` asked for; the caller disposes them. */
  snapshots: Snapshot[];
}

/** Loss weights per method: DCP L_M + λ·L_S; `recon` (ThiNet-like, λ = 0) L_M only; `disc` λ·L_S only. */
function lossWeights(cfg: RunConfig): { m: number; s: number } {
  // random and l1 differ from DCP only in which channels they pick ("the same pipeline"), so they fit with DCP's loss.
  if (cfg.method === 'recon') return { m: 1, s: 0 };
  if (cfg.method === 'disc') return { m: 0, s: cfg.lambda };
  return { m: 1, s: cfg.lambda };
}

/**
 * Selects the input channels of one conv (and, for DKP, its kernels), writes the resulting weights
 * into the pruned network, records the mask, and yields the per-iteration events.
 */
export async function* selectLayer(ctx: LayerContext, plan: ConvPlan, head: Head | null): AsyncGenerator<RunEvent, LayerOutcome> {
  const t0 = Date.now();
  const cfg = ctx.config;
  const { net } = ctx;
  const layer = net.runner.layer(plan.conv);
  const spec = convSpec(layer);
  const c = plan.inChannels;
  const fixedKeep = plannedKeep(plan, cfg.rate, cfg.roundTo);
  const target = cfg.stop === 'rate' || !['dcp', 'dkp', 'recon', 'disc'].includes(cfg.method) ? fixedKeep : null;
  const perStep = Math.max(1, ctx.channelsPerStep ?? cfg.channelsPerStep);
  yield { type: 'selectionStarted', layer: plan.conv, stage: plan.stage, inChannels: c, target, ...(perStep > 1 ? { channelsPerStep: perStep } : {}), time: Date.now() };

  const stageTarget = head ? head.after : net.logits.target;
  const choice = ctx.memory?.find((m) => m.layer === plan.conv);
  const batches = await buildSelectionBatches(net, ctx.baseline, plan.conv, stageTarget, ctx.selection, choice?.batch ?? cfg.batchSize, ctx.signal, {
    spillBytes: choice?.spill ? choice.cacheBytes : undefined, buildBatch: choice?.buildBatch,
  });
  const reference = spec.kernel.read().clone() as tf.Tensor4D;
  const bias = spec.bias ? (spec.bias.read().clone() as tf.Tensor1D) : null;
  const weights = lossWeights(cfg);
  const greedy = !(cfg.method === 'random' || cfg.method === 'l1');
  const solver = chooseSolver(cfg, weights, reference.shape, bias !== null);
  let gram: GramStats | null = null;
  const problem: SelectionProblem = {
    spec, reference, bias, batches,
    rest: weights.s > 0 ? stageRest(net, plan.conv, head) : null,
    weights, granularity: 'channel', candidates: range(c), keep: fixedKeep,
    stop: greedy ? cfg.stop : 'rate', epsilon: cfg.epsilon, tau: cfg.tau, score: cfg.score,
    learningRate: cfg.selectionLearningRate, unitsPerStep: perStep, gram, solverSgdSteps: cfg.solverSgdSteps, signal: ctx.signal,
    groups: branchGroups(plan), roundTo: cfg.roundTo, snapshotAt: ctx.snapshotAt,
  };
  let outcome: SelectionOutcome | null = null;
  let kernelOutcome: SelectionOutcome | null = null;
  let handedOver = false;
  try {
    // Inside the try: a cancelled accumulation must still free the batches.
    if (solver.solver === 'exact') problem.gram = gram = await accumulateGram(batches, spec, reference.shape, bias !== null, ctx.signal);
    if (!greedy) problem.candidates = await fixedChoice(cfg, plan, net.runner, reference, fixedKeep);
    outcome = yield* forward(plan.conv, greedySelect(problem));
    if (cfg.method === 'dkp') {
      // DKP runs on the channels DCP kept, from W = 0 again, with Ŵ = the DCP weights.
      const n = reference.shape[3];
      const candidates = outcome.kept.flatMap((k) => range(n).map((j) => k * n + j));
      // A branch must keep a kernel too, or DKP would empty the channel (and the branch) after DCP kept it.
      const allowed = new Set(candidates);
      const groups = branchGroups(plan, n).map((g) => g.filter((u) => allowed.has(u)));
      const kernelProblem: SelectionProblem = {
        ...problem, reference: outcome.weights, bias: outcome.bias, granularity: 'kernel', candidates,
        keep: Math.max(1, groups.length, candidates.length - Math.floor(cfg.kernelRate * candidates.length)),
        stop: cfg.stop === 'adaptive' ? 'adaptive' : 'rate', unitsPerStep: cfg.kernelsPerStep, groups, roundTo: 1, snapshotAt: undefined,
      };
      kernelOutcome = yield* forward(plan.conv, greedySelect(kernelProblem));
    }
    const final = kernelOutcome ?? outcome;
    spec.kernel.write(final.weights);
    if (spec.bias && final.bias) spec.bias.write(final.bias);
    net.masks.get(plan.conv)?.dispose();
    net.masks.set(plan.conv, final.mask.clone());
    // A channel whose every kernel DKP dropped is removed physically too (its row of M is all zero).
    const kept = kernelOutcome ? outcome.kept.filter((k) => kernelOutcome!.kept.some((u) => Math.floor(u / reference.shape[3]) === k)) : outcome.kept;
    const result: LayerResult = {
      layer: plan.conv, stage: plan.stage, inChannels: c, kept,
      lossM: final.lossM, lossS: final.lossS, iterations: outcome.iterations + (kernelOutcome?.iterations ?? 0),
      removedWith: plan.producers.map((p) => p.layer), seconds: (Date.now() - t0) / 1000,
      solver: solver.solver, ...(solver.note ? { solverNote: solver.note } : {}), ...(perStep > 1 ? { channelsPerStep: perStep } : {}),
    };
    if (kernelOutcome) {
      const n = reference.shape[3];
      const mask = Array.from({ length: c }, () => new Array<number>(n).fill(0));
      for (const u of kernelOutcome.kept) mask[Math.floor(u / n)][u % n] = 1;
      Object.assign(result, { kernelMask: mask, keptKernels: kernelOutcome.kept.length, totalKernels: outcome.kept.length * n });
    }
    yield { type: 'layerDone', result, time: Date.now() };
    handedOver = true;
    return {
      result, snapshots: outcome.snapshots,
      gradientPasses: outcome.gradientPasses + (kernelOutcome?.gradientPasses ?? 0),
      // Accumulating the Gram statistics is one forward pass of the conv alone (an im2col), counted as a full one.
      forwardPasses: outcome.forwardPasses + (kernelOutcome?.forwardPasses ?? 0) + (gram ? 1 : 0),
    };
  } finally {
    disposeBatches(batches);
    tf.dispose([reference, ...(bias ? [bias] : [])]);
    for (const o of [outcome, kernelOutcome]) if (o) tf.dispose([o.weights, o.mask, ...(o.bias ? [o.bias] : [])]);
    // Snapshots are the caller's once returned; a failure or cancellation before that frees them here.
    if (!handedOver) for (const o of [outcome, kernelOutcome]) for (const sn of o?.snapshots ?? []) tf.dispose([sn.weights, ...(sn.bias ? [sn.bias] : [])]);
  }
}

/**
 * The solver a layer runs: the config's, except that the exact solver needs an L_M term (not `disc`) and Gram
 * statistics that fit `solverMemoryMB`; a layer over the budget falls back to SGD and says why.
 */
export function chooseSolver(cfg: RunConfig, weights: { m: number }, kernelShape: readonly number[], hasBias: boolean): { solver: SolverName; note: string | null } {
  if (cfg.solver === 'sgd') return { solver: 'sgd', note: null };
  if (weights.m === 0) return { solver: 'sgd', note: 'the exact solver needs the reconstruction term L_M; this method has none, so SGD ran' };
  const bytes = gramBytes(kernelShape, hasBias);
  const budget = cfg.solverMemoryMB * 1024 * 1024;
  if (bytes > budget) {
    const mb = (bytes / (1024 * 1024)).toFixed(1);
    return { solver: 'sgd', note: `the exact solver's Gram statistics need ${mb} MB, over dcp.solverMemoryMB = ${cfg.solverMemoryMB} MB; SGD ran instead` };
  }
  return { solver: 'exact', note: null };
}

/** Re-yields greedy iterations as engine events and returns the selection's outcome. */
async function* forward(layer: string, gen: AsyncGenerator<import('./selection').Iteration, SelectionOutcome>): AsyncGenerator<RunEvent, SelectionOutcome> {
  let done = false;
  try {
    for (;;) {
      const r = await gen.next();
      if (r.done) { done = true; return r.value; }
      const it = r.value;
      yield { type: 'selectionIteration', layer, iteration: it.iteration, added: it.added, scores: it.scores, lossM: it.lossM, lossS: it.lossS, loss: it.loss, time: Date.now() };
    }
  } finally {
    // A consumer that stops reading returns this generator at its yield; `gen` is still suspended at its own and
    // would never run its finally (which frees the weights) unless it is returned too.
    if (!done) await gen.return(undefined as unknown as SelectionOutcome);
  }
}

/**
 * The baselines' fixed choices: `random` (seeded per layer) and `l1`, the L1 norm of the producer
 * conv's filters (Li et al.'s magnitude criterion), or of the consumer's input slices when no conv produces them.
 */
export async function fixedChoice(cfg: RunConfig, plan: ConvPlan, runner: GraphRunner, consumerKernel: tf.Tensor4D, keep: number): Promise<number[]> {
  const c = plan.inChannels;
  if (cfg.method === 'random') {
    const rand = mulberry32(mixSeed(cfg.choiceSeed ?? cfg.seed, plan.index + 1));
    const order = range(c);
    for (let i = c - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return coveringPrefix(order, keep, branchGroups(plan)).sort((a, b) => a - b);
  }
  const scores = await l1Scores(plan, runner, consumerKernel);
  const order = range(c).sort((a, b) => scores[b] - scores[a] || a - b);
  return coveringPrefix(order, keep, branchGroups(plan)).sort((a, b) => a - b);
}

/** L1 norm per input channel: of the producing conv's filter, else of the consumer's kernel slice. */
export async function l1Scores(plan: ConvPlan, runner: GraphRunner, consumerKernel: tf.Tensor4D): Promise<number[]> {
  const producer = plan.producers.find((p) => p.kind === 'conv-filters' && p.offset === 0 && p.channels === plan.inChannels);
  const s = tf.tidy(() => {
    if (producer) {
      const k = (runner.layer(producer.layer) as unknown as { kernel: tf.LayerVariable }).kernel.read();
      return tf.sum(tf.abs(k), [0, 1, 2]);
    }
    return tf.sum(tf.abs(consumerKernel), [0, 1, 3]);
  });
  const out = Array.from(await s.data());
  s.dispose();
  return out;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
