/**
 * The panel's view of a layer-sensitivity analysis, folded from its event stream by a pure reducer (no DOM, no
 * clock), like state.ts for runs: the same stream always gives the same state, so a replay restores the chart.
 */
import type { SensitivityEvent, SensitivityPoint, SensitivityResult, SensitivitySuggestion } from '../protocol/sensitivity';

export type SensitivityStatus = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

export interface SensitivityState {
  status: SensitivityStatus;
  modelName: string | null;
  rates: number[];
  /** Layers in the order the analysis visits them (forward order). */
  order: string[];
  points: Readonly<Record<string, SensitivityPoint[]>>;
  /** The layer being measured, null when none is. */
  current: string | null;
  baseAccuracy: number | null;
  selectionSamples: number | null;
  result: SensitivityResult | null;
  failure: string | null;
  eventCount: number;
}

export const initialSensitivity: SensitivityState = {
  status: 'idle', modelName: null, rates: [], order: [], points: {}, current: null, baseAccuracy: null,
  selectionSamples: null, result: null, failure: null, eventCount: 0,
};

export function reduceSensitivity(s: SensitivityState, e: SensitivityEvent): SensitivityState {
  const n = { ...s, eventCount: s.eventCount + 1 };
  switch (e.type) {
    case 'sensitivityStarted':
      return { ...initialSensitivity, eventCount: n.eventCount, status: 'running', modelName: e.modelName, rates: e.rates, order: e.layers };
    case 'sensitivityBaseline':
      return { ...n, baseAccuracy: e.baseAccuracy, selectionSamples: e.selectionSamples };
    case 'sensitivityLayerStarted':
      return { ...n, current: e.layer };
    case 'sensitivityPoint': {
      const mine = s.points[e.point.layer] ?? [];
      return { ...n, points: { ...s.points, [e.point.layer]: [...mine, e.point] } };
    }
    case 'sensitivityLayerDone':
      return { ...n, current: null };
    case 'sensitivityDone': {
      // The result is the whole truth: it replaces what the points built up.
      const points: Record<string, SensitivityPoint[]> = {};
      for (const l of e.result.layers) points[l.layer] = l.points;
      return {
        ...n, status: 'done', current: null, result: e.result, points, rates: e.result.rates, order: e.result.layers.map((l) => l.layer),
        modelName: e.result.modelName, baseAccuracy: e.result.baseAccuracy, selectionSamples: e.result.selectionSamples,
      };
    }
    case 'sensitivityFailed':
      return { ...n, status: 'failed', current: null, failure: e.message };
    case 'sensitivityCancelled':
      return { ...n, status: 'cancelled', current: null };
    default:
      // Unknown event types (a newer host) are counted and otherwise ignored.
      return n;
  }
}

/** The suggestion to highlight, when the analysis made one. */
export function suggestionOf(s: SensitivityState): SensitivitySuggestion | null {
  return s.result?.suggestion ?? null;
}

/** A one-line status for the section: what is happening, or how it ended. */
export function sensitivityStatusText(s: SensitivityState): string {
  const done = Object.keys(s.points).filter((l) => (s.points[l]?.length ?? 0) >= s.rates.length).length;
  switch (s.status) {
    case 'idle':
      return 'No analysis yet: each prunable layer is pruned alone at each rate and measured on the selection set.';
    case 'running':
      return s.current ? `Measuring ${s.current} (${done} of ${s.order.length} layers done)` : `Training heads, then ${s.order.length} layers × ${s.rates.length} rates`;
    case 'done': {
      const base = s.baseAccuracy === null ? '' : `; unpruned accuracy ${(s.baseAccuracy * 100).toFixed(1)}% on ${s.selectionSamples ?? '?'} selection samples`;
      return `${s.order.length} layers × ${s.rates.length} rates measured in ${(s.result?.seconds ?? 0).toFixed(0)} s${base}`;
    }
    case 'failed':
      return `The analysis failed: ${s.failure ?? 'unknown error'}`;
    case 'cancelled':
      return `The analysis was cancelled after ${done} of ${s.order.length} layers.`;
  }
}
