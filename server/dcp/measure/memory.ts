/**
 * The memory planner: before a run, the peak memory of each phase from the graph's shapes, and the choices that
 * keep every phase inside the budget (micro-batches for training, spilled selection caches, smaller inference
 * batches). Planned, not discovered: a WASM abort leaves the backend unusable, so the run must never reach one.
 *
 * Calibration (`npx tsx bench/memory-calibrate.ts`, wasm, 2 training steps of the engine's loop, heap growth over
 * Σ layer outputs × batch × 4 bytes): examples/resnet 2.9 (b 16) / 4.3 (b 64), examples/vgg 3.1 / 4.1, ResNet
 * width 32 4.3 / 4.5, VGG width 32 4.3 / 4.2, MobileNetV2 224×224 5.4 (b 2) / 5.4 (b 4). The heap grows in steps
 * (emscripten over-allocates up to 20%), and holds the forward activations, their gradients, the backprop kernels'
 * workspace and the transposed copies they make (depthwise backprop makes the most). TRAIN_FACTOR = 6 sits above
 * every measurement; the selection sub-problem's step uses it too (a gradient through the rest of its stage).
 */
import type { LayerMemory, MemoryPlan, PhaseMemory } from '../../../protocol/model';
import type { LayerCacheShape } from './memory-shapes';

/** Bytes per float32 element. */
const F32 = 4;
/** Training step bytes = TRAIN_FACTOR × Σ layer outputs × batch × 4 (see the calibration above). */
export const TRAIN_FACTOR = 6;
/**
 * Inference bytes = INFERENCE_FACTOR × Σ layer outputs × batch × 4: the engine's accuracy passes run GraphRunner
 * inside one tidy per batch, which keeps every intermediate until the batch is done. Measured (`--infer`): 0.6-1.1
 * on the examples and their wide versions, 1.6 on MobileNetV2 224×224.
 */
const INFERENCE_FACTOR = 2;
/** The wasm backend's heap is 32-bit: it cannot grow past 4 GiB, and an allocation beyond aborts the backend. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** Left free below a budget: the wasm module's own data, allocator fragmentation, estimates that run low. */
const HEADROOM = 0.1;

/** What the planner knows about a model: weights and per-sample element counts (memory-shapes.ts). */
export interface MemoryModel {
  /** Float32 weights of the model (auxiliary heads included). */
  params: number;
  /** Σ layer outputs of one sample (activationElements). */
  activationElements: number;
  /** One entry per prunable conv the run selects. */
  layers: LayerCacheShape[];
}

export interface MemoryRequest {
  batchSize: number;
  selectionSamples: number;
  /** What the run may use on the compute backend; null = no known limit (native backend, no cap). */
  budget: { bytes: number; source: string } | null;
}

/** No choice fits: names the phase, its smallest estimate and the budget. The run fails before any work. */
export class MemoryPlanError extends Error {
  constructor(readonly phase: string, readonly bytes: number, readonly budget: number, source: string) {
    super(
      `not enough memory for ${phase}: it needs about ${mib(bytes)} even at batch 1, and the budget is ${mib(budget)} ` +
      `(${source}). ${source.includes('WASM') ? 'Use a smaller input size or model, or --backend node (tfjs-node has no 4 GiB ceiling).' : 'Raise dcp.memoryCapMB (--max-old-space-size), or use a smaller input size or model.'}`,
    );
    this.name = 'MemoryPlanError';
  }
}

export function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * The budget of a run: for wasm the 4 GiB heap, lowered to `capMB` (dcp.memoryCapMB, the process's
 * --max-old-space-size) when that is set and smaller; for other backends only the cap. 10% is left as headroom.
 */
export function memoryBudget(backend: string, capMB: number | null): MemoryRequest['budget'] {
  const cap = capMB && capMB > 0 ? capMB * 2 ** 20 : null;
  const limits: { bytes: number; source: string }[] = [];
  if (backend === 'wasm') limits.push({ bytes: WASM_HEAP_BYTES, source: 'the WASM heap\'s 4 GiB ceiling' });
  if (cap !== null) limits.push({ bytes: cap, source: `dcp.memoryCapMB / --max-old-space-size = ${capMB} MB` });
  if (limits.length === 0) return null;
  const least = limits.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  return { bytes: Math.floor(least.bytes * (1 - HEADROOM)), source: `${Math.round(100 * (1 - HEADROOM))}% of ${least.source}` };
}

/** The largest batch in [1, max] whose bytes `cost(b)` fit `room`; 0 when not even batch 1 does. */
function largestFitting(max: number, room: number, cost: (b: number) => number): number {
  if (cost(1) > room) return 0;
  let lo = 1;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cost(mid) <= room) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/**
 * Chooses micro-batch, inference batch, and per layer whether the selection cache stays in memory or is spilled
 * to disk (and, only when even a spilled cache's working set does not fit, a smaller selection batch). Throws
 * MemoryPlanError when a phase does not fit at batch 1.
 */
export function planMemory(m: MemoryModel, r: MemoryRequest): MemoryPlan {
  const weights = m.params * F32;
  // Network + baseline (or pruned copy) are alive throughout; training adds gradients, momentum and the update.
  const resident = 2 * weights;
  const trainResident = resident + 3 * weights;
  const trainStep = (b: number): number => trainResident + TRAIN_FACTOR * m.activationElements * b * F32;
  const inferStep = (b: number): number => resident + INFERENCE_FACTOR * m.activationElements * b * F32;
  const budget = r.budget?.bytes ?? Infinity;
  const source = r.budget?.source ?? 'no limit known';
  const refuse = (phase: string, bytes: number): never => { throw new MemoryPlanError(phase, bytes, budget, source); };

  const microBatch = largestFitting(r.batchSize, budget, trainStep) || refuse('a training step', trainStep(1));
  const inferenceBatch = largestFitting(r.batchSize, budget, inferStep) || refuse('inference', inferStep(1));
  const n = r.selectionSamples;
  const layers: LayerMemory[] = m.layers.map((l) => {
    const cacheBytes = l.cacheElements * n * F32;
    // The sub-problem's step at batch b; a spilled batch is read back from disk while it is used (x twice: as the
    // conv's input and within the cut).
    const step = (b: number): number => resident + 2 * weights + TRAIN_FACTOR * l.stepElements * b * F32;
    // Building it: forward passes of `bb` samples through both networks, each keeping its intermediates, beside
    // what is already cached (all of it in memory; a batch and its parts when spilled).
    const build = (bb: number, held: number): number => resident + INFERENCE_FACTOR * l.buildElements * bb * F32 + held;
    const batch = Math.min(r.batchSize, n);
    if (step(batch) + cacheBytes <= budget && build(1, cacheBytes) <= budget) {
      const buildBatch = largestFitting(batch, budget, (bb) => build(bb, cacheBytes));
      return { layer: l.layer, cacheBytes, spill: false, batch, buildBatch, peakBytes: Math.max(step(batch) + cacheBytes, build(buildBatch, cacheBytes)) };
    }
    const held = (b: number): number => 2 * l.cacheElements * b * F32;
    const spilled = (b: number): number => Math.max(step(b) + held(b), build(1, held(b)));
    const b = largestFitting(batch, budget, spilled) || refuse(`selecting ${l.layer}`, spilled(1));
    const buildBatch = largestFitting(b, budget, (bb) => build(bb, held(b)));
    return { layer: l.layer, cacheBytes, spill: true, batch: b, buildBatch, peakBytes: Math.max(step(b) + held(b), build(buildBatch, held(b))) };
  });
  const phases: PhaseMemory[] = [
    { phase: 'training', bytes: trainStep(microBatch), batch: microBatch },
    { phase: 'inference', bytes: inferStep(inferenceBatch), batch: inferenceBatch },
  ];
  if (layers.length > 0) {
    const worst = layers.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a));
    phases.splice(1, 0, { phase: 'selection', bytes: worst.peakBytes, batch: worst.batch });
  }
  return {
    budgetBytes: r.budget?.bytes ?? null, budgetSource: source, batchSize: r.batchSize, microBatch,
    accumulationSteps: Math.ceil(r.batchSize / microBatch), inferenceBatch, phases, layers,
    spillBytes: layers.filter((l) => l.spill).reduce((a, l) => Math.max(a, l.cacheBytes), 0),
  };
}

/**
 * The process's heap cap in MB from `--max-old-space-size` (how dcp.memoryCapMB reaches the server and its
 * workers, which inherit the server's execArgv), or NODE_OPTIONS; null when none is set.
 */
export function processHeapCapMB(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): number | null {
  let cap: number | null = null;
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(arg);
    if (m) cap = Number(m[1]);
  }
  return cap;
}

/** Splits a batch of `n` samples into micro-batches of at most `micro`, as even as possible: sizes, in order. */
export function microBatchSizes(n: number, micro: number): number[] {
  const parts = Math.max(1, Math.ceil(n / Math.max(1, micro)));
  const base = Math.floor(n / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < n % parts ? 1 : 0));
}
