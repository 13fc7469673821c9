/**
 * The score contract (protocol/model.ts, RunEvent) on the recorded real runs, through the panel's reducer and
 * selectors: every greedy iteration scores every unit of its layer with a finite number (c for a channel step, c·n for
 * a DKP kernel step), and the panel marks as "kept earlier" exactly the channels the layer's earlier iterations added,
 * live and when the slider goes back. The synthetic stream the remaining tests use is held to the same contract.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../protocol/model';
import { layerDetail } from '../../../webview/selectors';
import { initialState, reduce, type LayerState } from '../../../webview/state';
import { recorded } from '../../fixtures/events/recorded';
import { synthetic } from '../../fixtures/events/synthetic';

type Iteration = Extract<RunEvent, { type: 'selectionIteration' }>;

/** What one greedy step of the stream says, read from the events alone (not through the reducer). */
interface Step {
  event: Iteration;
  kind: 'channel' | 'kernel';
  /** Channels the layer's channel steps added before this step, since its selectionStarted. */
  keptBefore: Set<number>;
}

const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);
const marked = (layer: LayerState, index: number | null, mark: string): number[] =>
  layerDetail(layer, index).scores.filter((c) => c.mark === mark).map((c) => c.channel);

function checkContract(name: string, events: RunEvent[], method: 'dcp' | 'dkp'): void {
  describe(`score contract on the ${name} (${events.length} events)`, () => {
    const first = events[0];
    assert.ok(first.type === 'runStarted');
    const shape = new Map(first.model.layers.map((l) => [l.name, { c: l.inChannels ?? 0, n: l.outChannels ?? 0 }]));
    const stepsOf = new Map<string, Step[]>();

    test('every iteration scores every unit of its layer with a finite number', () => {
      let channelSteps = 0;
      let kernelSteps = 0;
      for (const e of events) {
        if (e.type === 'selectionStarted') stepsOf.set(e.layer, []);
        if (e.type !== 'selectionIteration') continue;
        const steps = stepsOf.get(e.layer);
        assert.ok(steps, `${e.layer}: selectionIteration before its selectionStarted`);
        const { c, n } = shape.get(e.layer) ?? { c: 0, n: 0 };
        assert.ok(c > 0 && n > 0, `${e.layer}: the model summary gives its channels`);
        // DKP numbers its kernel steps from 1 again, after the layer's channel steps.
        const kind = steps.length > 0 && (steps.at(-1)?.kind === 'kernel' || e.iteration === 1) ? 'kernel' : 'channel';
        const keptBefore = new Set(steps.filter((s) => s.kind === 'channel').flatMap((s) => s.event.added));
        const where = `${e.layer} ${kind} step ${e.iteration}`;
        assert.equal(e.scores.length, kind === 'channel' ? c : c * n, `${where}: one score per unit`);
        const bad = e.scores.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
        assert.equal(bad, -1, `${where}: score ${bad} is ${String(e.scores[bad])}`);
        assert.ok(e.added.length > 0, `${where} adds something`);
        if (kind === 'channel') {
          assert.equal(e.added.length, 1, `${where}: one channel per step`);
          assert.ok(!keptBefore.has(e.added[0]) && e.added[0] >= 0 && e.added[0] < c, `${where} adds channel ${e.added[0]} again or out of range`);
        } else {
          const earlier = new Set(steps.filter((s) => s.kind === 'kernel').flatMap((s) => s.event.added));
          for (const u of e.added) {
            assert.ok(keptBefore.has(Math.floor(u / n)), `${where}: kernel ${u} is not of a kept channel`);
            assert.ok(!earlier.has(u), `${where}: kernel ${u} added twice`);
          }
        }
        steps.push({ event: e, kind, keptBefore });
        if (kind === 'channel') channelSteps++; else kernelSteps++;
      }
      assert.ok(channelSteps > 0, 'the run has channel steps');
      if (method === 'dkp') assert.ok(kernelSteps > 0, 'a DKP run has kernel steps');
      else assert.equal(kernelSteps, 0, 'a DCP run has no kernel steps');
    });

    test('live: each new iteration marks exactly the earlier-added channels as kept earlier', () => {
      let s = initialState('r');
      const seen = new Map<string, number>();
      for (const e of events) {
        s = reduce(s, e);
        if (e.type === 'selectionStarted') seen.set(e.layer, 0);
        if (e.type !== 'selectionIteration') continue;
        const i = seen.get(e.layer) ?? 0;
        seen.set(e.layer, i + 1);
        const step = stepsOf.get(e.layer)?.[i];
        assert.ok(step, `${e.layer} step ${i} was read`);
        const layer = s.layers[e.layer];
        assert.equal(layer.iterations.at(-1)?.kind, step.kind, `${e.layer} step ${i}: the reducer reads its kind`);
        const d = layerDetail(layer, null);
        assert.equal(d.index, i);
        assert.deepEqual(marked(layer, null, 'kept'), sorted(step.keptBefore), `${e.layer} step ${i}: kept earlier`);
        assert.deepEqual(marked(layer, null, 'added'), step.kind === 'channel' ? sorted(e.added) : [], `${e.layer} step ${i}: added now`);
        assert.equal(d.scores.length, shape.get(e.layer)?.c);
        const n = shape.get(e.layer)?.n ?? 0;
        for (const cs of d.scores) {
          // Kept channels show their real score, as every channel does: the one the engine sent (or its row sum).
          const expected = step.kind === 'channel' ? e.scores[cs.channel] : e.scores.slice(cs.channel * n, (cs.channel + 1) * n).reduce((a, v) => a + v, 0);
          assert.ok(Number.isFinite(cs.score) && Math.abs(cs.score - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
            `${e.layer} step ${i} channel ${cs.channel}: ${cs.score} ≠ ${expected}`);
        }
      }
    });

    test('afterwards: the slider at any iteration shows the channels kept before it', () => {
      let s = initialState('r');
      for (const e of events) s = reduce(s, e);
      for (const [layerName, steps] of stepsOf) {
        const layer = s.layers[layerName];
        assert.equal(layer.status, 'done');
        assert.equal(layer.iterations.length, steps.length, `${layerName}: every iteration is in the state`);
        steps.forEach((step, i) => {
          assert.deepEqual(marked(layer, i, 'kept'), sorted(step.keptBefore), `${layerName} iteration ${i}`);
          const channels = layerDetail(layer, i).scores;
          assert.ok(channels.every((c) => Number.isFinite(c.score)), `${layerName} iteration ${i}: a score is not a number`);
        });
      }
    });
  });
}

checkContract('recorded DCP run', recorded('dcp'), 'dcp');
checkContract('recorded DKP run', recorded('dkp'), 'dkp');
checkContract('synthetic DCP stream', synthetic(), 'dcp');
checkContract('synthetic DKP stream', synthetic({ method: 'dkp' }), 'dkp');
