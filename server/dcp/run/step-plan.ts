/**
 * How many channels each conv adds per greedy step. The paper adds one at a time, and each step costs a forward and
 * backward pass of the selection set through the rest of the stage (DCP-SPEC §3, "Cost"): fine for the examples
 * (a minute or two), hours for a 224×224 MobileNetV2 (Σ kept ≈ 5,200 steps at 5-16 s each, bench/README.md).
 *
 * `channelsPerStep` K ≥ 1 is used as given. K = 0 (the default, "auto") keeps the paper's one channel per step
 * whenever the forecast of the selection phase fits `selectionMinutes`; when it does not, every conv's greedy steps
 * are capped at the same count S (the largest that fits), so a conv keeping k channels adds ⌈k/S⌉ per step. A
 * shared cap, rather than one K for all, keeps small layers at one channel per step where steps are cheap and few.
 * The forecast's speed comes from a small calibration net and is off for other shapes and under load (on the 224×224
 * MobileNetV2 it forecast 3× the time), so the plan is remade after every conv (StepPlanner): the remaining convs
 * share what is left of the budget, at the forecast scaled by how long the finished convs really took.
 * Without a calibrated machine speed (the cpu backend) there is no forecast, and auto means one per step.
 */
import type { MachineSpeed, ForecastSamples } from '../../../protocol/forecast';
import type { MemoryPlan, ModelSummary, RunConfig, StepPlanInfo } from '../../../protocol/model';
import type { PrunePlan } from '../graph/plan';
import { LATENCY_REPEATS, latencyBatch } from '../measure/stats';
import { plannedKeep } from '../select/keep';
import { convSelectionCost, convSelectionSeconds, type ForecastInput } from '../../../protocol/forecast-estimate';

export interface StepPlan {
  /** Channels per greedy step, by conv. */
  perStep: Record<string, number>;
  /** The greedy step cap auto chose (null: K given, or every conv at one per step). */
  cap: number | null;
  /** Forecast seconds of selection at one channel per step, and with this plan (null: no forecast). */
  seconds1: number | null;
  seconds: number | null;
  /** Set when even one step per conv does not fit the budget: the plan is that, and this says so. */
  note: string | null;
}

type StepConfig = Pick<RunConfig, 'channelsPerStep' | 'selectionMinutes'>;

export function planChannelsPerStep(cfg: StepConfig, input: ForecastInput | null, opts: { scale?: number; spentSeconds?: number } = {}): StepPlan {
  const convs = input?.convs ?? [];
  const scale = opts.scale ?? 1;
  const uniform = (k: number): Record<string, number> => Object.fromEntries(convs.map((c) => [c.conv, k]));
  if (cfg.channelsPerStep >= 1 || !input) return { perStep: uniform(Math.max(1, cfg.channelsPerStep)), cap: null, seconds1: null, seconds: null, note: null };
  const costs = convs.map((c) => ({ c, ...convSelectionCost(input, c) }));
  const at = (cap: number): number => scale * costs.reduce((a, x) => a + x.fixed + (x.heuristic ? 1 : Math.min(cap, Math.max(1, x.c.keep))) * x.perStep, 0);
  const most = Math.max(1, ...convs.map((c) => c.keep));
  const seconds1 = at(most);
  const budget = cfg.selectionMinutes * 60 - (opts.spentSeconds ?? 0);
  if (cfg.selectionMinutes <= 0 || seconds1 <= budget) return { perStep: uniform(1), cap: null, seconds1, seconds: seconds1, note: null };
  // at() grows with the cap: the largest cap that fits, by bisection over 1 … most.
  let lo = 1;
  let hi = most;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (at(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  const perStep = Object.fromEntries(convs.map((c) => [c.conv, Math.max(1, Math.ceil(c.keep / lo))]));
  const seconds = at(lo);
  const note = seconds > budget
    ? `even one greedy step per convolution is forecast at ${Math.round(seconds / 60)} min of selection, over dcp.selectionMinutes = ${cfg.selectionMinutes}; each convolution adds all its channels in one step`
    : null;
  return { perStep, cap: lo, seconds1, seconds, note };
}

/**
 * The plan as the selection goes: `perStep(conv)` before a conv, `layerDone(conv, seconds)` after it, which re-plans
 * the convs still to do (auto only) with the budget left and the forecast scaled by the measured/forecast ratio of
 * the convs done so far. With K given, or without a forecast, it is the initial plan throughout.
 */
export class StepPlanner {
  readonly initial: StepPlan;
  private current: Record<string, number>;
  private readonly done = new Map<string, { seconds: number; forecast: number }>();

  constructor(private readonly cfg: StepConfig, private readonly input: ForecastInput | null) {
    this.initial = planChannelsPerStep(cfg, input);
    this.current = { ...this.initial.perStep };
  }

  perStep(conv: string): number {
    return this.current[conv] ?? Math.max(1, this.cfg.channelsPerStep);
  }

  layerDone(conv: string, seconds: number): void {
    const input = this.input;
    if (!input || this.cfg.channelsPerStep >= 1 || this.cfg.selectionMinutes <= 0) return;
    const c = input.convs.find((x) => x.conv === conv);
    if (!c) return;
    this.done.set(conv, { seconds, forecast: convSelectionSeconds(input, c, this.perStep(conv)) });
    const rest = input.convs.filter((x) => !this.done.has(x.conv));
    if (rest.length === 0) return;
    let spent = 0;
    let forecast = 0;
    for (const d of this.done.values()) {
      spent += d.seconds;
      forecast += d.forecast;
    }
    // Clamped: one odd layer (a cold cache, a burst of load) should not swing the plan by more than 10× either way.
    const scale = forecast > 0 ? Math.min(10, Math.max(0.1, spent / forecast)) : 1;
    const plan = planChannelsPerStep(this.cfg, { ...input, convs: rest }, { scale, spentSeconds: spent });
    Object.assign(this.current, plan.perStep);
  }
}

/** The plan as `runStarted` carries it; null when it leaves every conv at its configured K (nothing to tell). */
export function stepPlanInfo(p: StepPlan): StepPlanInfo | null {
  if (p.cap === null) return null;
  return { cap: p.cap, perStep: p.perStep, secondsOneByOne: p.seconds1 ?? 0, seconds: p.seconds ?? 0, ...(p.note ? { note: p.note } : {}) };
}

/**
 * The forecast's input for a run (pipeline.ts) or a dry run (dry-run.ts): the plan's convs at their planned keep, the
 * memory plan and its latency batch, this machine's speed, and the split sizes (a dry run knows only the selection's).
 */
export function forecastInputOf(
  cfg: RunConfig, summary: ModelSummary, plan: PrunePlan, memory: MemoryPlan, speed: MachineSpeed, samples: ForecastSamples,
): ForecastInput {
  return {
    summary, stages: plan.stages, heads: plan.heads, config: cfg, memory, speed, samples,
    latency: { batch: latencyBatch(memory), repeats: LATENCY_REPEATS },
    convs: plan.convs.map((c) => ({ conv: c.conv, inChannels: c.inChannels, stage: c.stage, keep: plannedKeep(c, c.rate ?? cfg.rate, cfg.roundTo) })),
  };
}
