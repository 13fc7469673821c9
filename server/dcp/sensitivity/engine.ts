/**
 * Layer sensitivity (issue 16) as an async stream of typed events: the model and data are loaded like a prune run's
 * (load phase), the heads trained once (heads phase), then each prunable conv is pruned alone at each rate
 * (layer.ts) and a per-layer rate suggested for a FLOPs target (suggest.ts). The stream ends with exactly one of
 * sensitivityDone, sensitivityFailed, sensitivityCancelled; errors never escape as exceptions. Pure like the engine.
 */
import type { RunConfig } from '../../../protocol/model';
import type { SensitivityEvent, SensitivityLayer, SensitivityResult, SensitivityTarget } from '../../../protocol/sensitivity';
import { writeJsonAtomic } from '../../io/atomic';
import { loadLayersModel } from '../../io/model-files';
import { initBackend } from '../../tfjs/backend';
import { GraphRunner } from '../exec/executor';
import { CancelledError, checkCancelled } from '../run/cancel';
import { resolveConfig } from '../run/config';
import { errorMessage } from '../run/engine';
import { createSelectionNetwork, disposeSelectionNetwork, headsPhase } from '../run/phases/heads';
import { loadInputs } from '../run/phases/load';
import { accuracy } from '../train/train';
import { prunedFlops } from './flops';
import { layerSensitivity } from './layer';
import { suggestRates } from './suggest';

export interface SensitivityOptions {
  /** Absolute path of the model.json (or .onnx) to analyse; only read. */
  modelPath: string;
  /** Ascending rates in (0, 1) (protocol/sensitivity.ts parseRates). */
  rates: readonly number[];
  /** Suggest per-layer rates for this target; null = no suggestion. */
  target: SensitivityTarget | null;
  /** When set, the result is written here atomically (`sensitivity.json`). */
  outFile?: string;
  signal?: AbortSignal;
  memoryCapMB?: number | null;
}

/** Methods whose selection is DCP's greedy channel selection (the only ones with a loss to snapshot). */
const GREEDY_METHODS = new Set(['dcp', 'recon', 'disc']);

export async function* runSensitivity(config: Partial<RunConfig>, opts: SensitivityOptions): AsyncGenerator<SensitivityEvent> {
  try {
    // A recipe's per-layer rates have no meaning here: every layer is measured at every rate.
    const cfg = resolveConfig({ ...config, recipe: '' });
    if (!GREEDY_METHODS.has(cfg.method)) throw new Error(`sensitivity measures DCP's greedy channel selection: method must be dcp, recon or disc (got ${cfg.method})`);
    if (opts.rates.length === 0 || opts.rates.some((r) => !(r > 0 && r < 1))) throw new Error(`rates must be in (0, 1) (got ${opts.rates.join(', ')})`);
    yield* sensitivityPipeline(cfg, opts);
  } catch (e) {
    if (e instanceof CancelledError || opts.signal?.aborted) yield { type: 'sensitivityCancelled', time: Date.now() };
    else yield { type: 'sensitivityFailed', message: errorMessage(e), time: Date.now() };
  }
}

async function* sensitivityPipeline(cfg: RunConfig, opts: SensitivityOptions): AsyncGenerator<SensitivityEvent> {
  const started = Date.now();
  const { signal } = opts;
  const rates = [...opts.rates].sort((a, b) => a - b);
  await initBackend(cfg.backend, { threads: cfg.threads });
  const model = await loadLayersModel(opts.modelPath);
  try {
    const inputs = await loadInputs(cfg, { modelPath: opts.modelPath, outDir: '', signal, memoryCapMB: opts.memoryCapMB }, model);
    const { plan, summary, data } = inputs;
    yield { type: 'sensitivityStarted', modelName: summary.name, rates, layers: plan.convs.map((c) => c.conv), totalFlops: summary.totalFlops, time: Date.now() };
    const s = createSelectionNetwork(model, inputs, cfg);
    const layers: SensitivityLayer[] = [];
    let baseAccuracy: number;
    try {
      // Heads trained once for every layer; their events (per-batch progress) are not part of this stream.
      const heads = headsPhase(cfg, { modelPath: opts.modelPath, outDir: '', signal }, inputs, s);
      while (!(await heads.next()).done) checkCancelled(signal);
      const batch = inputs.memory.inferenceBatch;
      baseAccuracy = await accuracy(s.net, data.selection, batch, signal);
      yield { type: 'sensitivityBaseline', baseAccuracy, selectionSamples: data.selection.count, time: Date.now() };
      const baseline = new GraphRunner(s.baseline!);
      const ctx = { net: s.net, baseline, config: cfg, selection: data.selection, summary, baseAccuracy, inferenceBatch: batch, memory: inputs.memory.layers, signal };
      for (const [index, conv] of plan.convs.entries()) {
        checkCancelled(signal);
        const t0 = Date.now();
        yield { type: 'sensitivityLayerStarted', layer: conv.conv, index, total: plan.convs.length, time: Date.now() };
        const head = conv.stage < s.net.heads.length ? s.net.heads[conv.stage] : null;
        const curve: SensitivityLayer = { layer: conv.conv, stage: conv.stage, inChannels: conv.inChannels, points: [], seconds: 0 };
        for await (const point of layerSensitivity(ctx, conv, head, rates)) {
          curve.points.push(point);
          yield { type: 'sensitivityPoint', point, time: Date.now() };
        }
        curve.seconds = (Date.now() - t0) / 1000;
        layers.push(curve);
        yield { type: 'sensitivityLayerDone', layer: conv.conv, seconds: curve.seconds, time: Date.now() };
      }
    } finally {
      disposeSelectionNetwork(s);
    }
    checkCancelled(signal);
    const suggestion = opts.target ? suggestRates({
      layers, totalFlops: summary.totalFlops, target: opts.target,
      combinedFlops: (chosen) => prunedFlops(summary, plan.convs, new Map([...chosen].map(([l, p]) => [l, p.kept]))),
    }) : null;
    const result: SensitivityResult = {
      version: 1, modelPath: opts.modelPath, modelName: summary.name, config: cfg, rates, baseAccuracy,
      selectionSamples: data.selection.count, totalFlops: summary.totalFlops, layers, suggestion, seconds: (Date.now() - started) / 1000,
    };
    if (opts.outFile) await writeJsonAtomic(opts.outFile, result);
    yield { type: 'sensitivityDone', result, time: Date.now() };
  } finally {
    model.dispose();
  }
}
