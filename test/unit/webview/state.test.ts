/**
 * The panel's reducer on whole recorded streams: the final state agrees with the run's report, every prefix is a
 * consistent state, and the reducer is pure (frozen inputs, same output twice).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../protocol/model';
import { initialState, reduce, reduceAll, type PanelState } from '../../../webview/state';
import { visibleNotice } from '../../../webview/selectors';
import { doneLayers, recorded } from '../../fixtures/events/recorded';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function report(events: RunEvent[]): Extract<RunEvent, { type: 'runFinished' }>['report'] {
  const last = events.at(-1);
  assert.ok(last?.type === 'runFinished', 'stream ends with runFinished');
  return last.report;
}

for (const [name, stream] of [['recorded DCP', recorded('dcp')], ['recorded DKP', recorded('dkp')]] as const) {
  describe(`reducer on a ${name} run (${stream.length} events)`, () => {
    const final = reduceAll(initialState('r'), stream);

    test('the final state agrees with the report', () => {
      const r = report(stream);
      assert.equal(final.status, 'finished');
      assert.equal(final.step, 'done');
      assert.equal(final.eventCount, stream.length);
      assert.deepEqual(final.before, r.before);
      assert.deepEqual(final.afterSelection, r.afterSelection);
      assert.deepEqual(final.after, r.after);
      assert.deepEqual(final.layerOrder.filter((l) => final.layers[l].result), r.layers.map((l) => l.layer));
      for (const lr of r.layers) {
        const l = final.layers[lr.layer];
        assert.equal(l.status, 'done');
        assert.deepEqual([...l.kept].sort((a, b) => a - b), [...lr.kept].sort((a, b) => a - b), lr.layer);
        const its = stream.filter((e) => e.type === 'selectionIteration' && e.layer === lr.layer).length;
        assert.equal(l.iterations.length, its, `${lr.layer} iterations`);
        if (lr.kernelMask) assert.deepEqual(l.kernelMask, lr.kernelMask);
      }
      assert.equal(final.curves.final?.length ?? 0, r.finetune.length);
      // Recorded without --layer-latency, before reports named the latency backend: the run's backend stands in.
      assert.deepEqual(final.latency, {
        backend: r.latencyBackend ?? r.backend, note: r.latencyBackendNote ?? null, layers: r.layerLatency ?? null,
        folding: r.folding ?? null, foldingNote: r.foldingNote ?? null,
      });
    });

    test('the kept channels grow by what each iteration added, in order', () => {
      let s = initialState('r');
      for (const e of stream) {
        const before = e.type === 'selectionIteration' ? s.layers[e.layer]?.kept.length ?? 0 : 0;
        s = reduce(s, e);
        if (e.type === 'selectionIteration' && s.layers[e.layer].iterations.at(-1)?.kind === 'channel') {
          assert.equal(s.layers[e.layer].kept.length, before + e.added.length);
          assert.deepEqual(s.layers[e.layer].kept.slice(-e.added.length), e.added);
        }
      }
    });

    test('walks the pipeline steps in order', () => {
      const steps: string[] = [];
      let s = initialState('r');
      for (const e of stream) {
        s = reduce(s, e);
        if (steps.at(-1) !== s.step) steps.push(s.step);
      }
      const order = ['starting', 'heads', 'selection', 'stageFinetune', 'surgery', 'finetune', 'done'];
      const seen = steps.filter((x, i) => steps.indexOf(x) === i);
      assert.deepEqual(seen, order.filter((x) => seen.includes(x)), steps.join(' → '));
      assert.equal(steps[0], 'starting');
      assert.equal(steps.at(-1), 'done');
    });

    test('is pure: frozen inputs, same result twice', () => {
      const frozen = deepFreeze(structuredClone(stream));
      const a = reduceAll(deepFreeze(initialState('r')), frozen);
      const b = reduceAll(initialState('r'), frozen);
      assert.deepEqual(a, b);
    });
  });
}

describe('reducer edge cases', () => {
  const events = recorded('dcp');
  const layers = doneLayers(events);

  test('a DKP kernel step adds flat indices k·out + j to the mask', () => {
    const dkp = recorded('dkp');
    const i = dkp.findIndex((e, j) => e.type === 'selectionIteration' && e.iteration === 1 && dkp[j - 1]?.type === 'selectionIteration');
    const e = dkp[i];
    assert.ok(e?.type === 'selectionIteration', 'the DKP recording has a kernel step');
    const s = reduceAll(initialState('r'), dkp.slice(0, i + 1));
    const layer = s.layers[e.layer];
    const out = layer.outChannels ?? 0;
    assert.equal(layer.iterations.at(-1)?.kind, 'kernel');
    for (const flat of e.added) assert.equal(layer.kernelMask?.[Math.floor(flat / out)][flat % out], 1);
    assert.equal(layer.kernelMask?.flat().filter((v) => v === 1).length, e.added.length);
  });

  test('a resumed run keeps the layers it finished and redoes the rest; failures and cancels end it', () => {
    // Cut in the middle of the fourth layer's selection, as a crash or a cancel would.
    const redone = layers[3];
    const cut = events.findIndex((e) => e.type === 'selectionIteration' && e.layer === redone && e.iteration === 2);
    const mid = reduceAll(initialState('r'), events.slice(0, cut));
    assert.equal(mid.status, 'running');
    const cancelled = reduce(mid, { type: 'runCancelled', time: 1 });
    assert.equal(cancelled.status, 'cancelled');
    const resumed = reduce(cancelled, events[0]);
    assert.equal(resumed.status, 'running');
    assert.deepEqual(resumed.layerOrder.map((l) => resumed.layers[l].status), layers.map((_, i) => (i < 3 ? 'done' : 'pending')));
    assert.equal(resumed.layers[layers[0]], mid.layers[layers[0]]);
    assert.equal(resumed.eventCount, cut + 2);
    assert.deepEqual([mid.attempt, resumed.attempt], [1, 2]);
    // The resumed attempt redoes the layer from its selectionStarted: its earlier iterations are gone.
    const started = events.find((e) => e.type === 'selectionStarted' && e.layer === redone);
    assert.ok(started);
    const redo = reduce(resumed, started);
    assert.deepEqual([redo.layers[redone].iterations.length, redo.layers[redone].kept.length], [0, 0]);
    const failed = reduce(mid, { type: 'runFailed', message: `Out of memory in layer ${redone}`, time: 1 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure, `Out of memory in layer ${redone}`);
  });

  test('a server crash’s notices go once the resumed attempt’s events arrive', () => {
    const cut = events.findIndex((e) => e.type === 'layerDone') + 1;
    // The run fails when the server is lost; the host then says so in a notice of its own.
    const failed = reduce(reduceAll(initialState('r'), events.slice(0, cut)), { type: 'runFailed', message: 'The pruning server stopped unexpectedly.', time: 1 });
    assert.deepEqual(visibleNotice(failed, null), { level: 'error', message: 'The pruning server stopped unexpectedly.' });
    const host = { level: 'error' as const, message: 'DCP: the pruning server crashed and was restarted.', runId: 'r', attempt: failed.attempt };
    assert.deepEqual(visibleNotice(failed, host), { level: 'error', message: host.message });
    // Resume: the same run's log continues with a new runStarted and the events after the last finished layer.
    const resumed = reduceAll(failed, [events[0], ...events.slice(cut, cut + 3)]);
    assert.equal(resumed.status, 'running');
    assert.equal(visibleNotice(resumed, host), null);
    assert.equal(visibleNotice(resumed, null), null);
    // A notice during the resumed attempt shows; another run's does not.
    assert.deepEqual(visibleNotice(resumed, { ...host, attempt: resumed.attempt }), { level: 'error', message: host.message });
    assert.equal(visibleNotice(resumed, { ...host, runId: 'other', attempt: resumed.attempt }), null);
  });

  test('unknown events are counted and ignored; unknown layers are added', () => {
    const s0 = reduceAll(initialState('r'), events.slice(0, 5));
    const s1 = reduce(s0, { type: 'fromTheFuture', time: 9 } as unknown as RunEvent);
    assert.equal(s1.eventCount, s0.eventCount + 1);
    assert.deepEqual({ ...s1, eventCount: 0, lastTime: 0 }, { ...s0, eventCount: 0, lastTime: 0 });
    const s2 = reduce(s0, { type: 'selectionStarted', layer: 'extra', stage: 0, inChannels: 4, target: 2, time: 10 });
    assert.equal(s2.layerOrder.at(-1), 'extra');
    assert.equal(s2.currentLayer, 'extra');
  });

  test('curves are kept per phase, in the order the phases began', () => {
    const s: PanelState = reduceAll(initialState('r'), events);
    const keys = events.flatMap((e) => (e.type === 'epochDone' ? [e.phase === 'stage' ? `stage:${e.stage}` : e.phase] : []));
    assert.deepEqual(s.curveOrder, keys.filter((k, i) => keys.indexOf(k) === i));
    assert.deepEqual(s.curveOrder.slice(0, 2), ['heads', 'stage:0']);
    assert.equal(s.curveOrder.at(-1), 'final');
    assert.ok(s.epochMs !== null && s.epochMs > 0);
  });
});
