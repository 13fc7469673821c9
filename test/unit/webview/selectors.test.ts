/**
 * What the charts show, derived from the recorded runs through the reducer: overview bars, loss rows, the selected
 * layer's marks and mask at an iteration, the before/after table, and the progress line with its ETA.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../protocol/model';
import { expectedIterations, progressInfo } from '../../../webview/progress';
import {
  followedLayer, formatCount, formatDuration, formatLoss, formatPercent, formatRatio, layerDetail, lossRows, overviewRows, summaryRows,
} from '../../../webview/selectors';
import { initialState, reduceAll } from '../../../webview/state';
import { doneLayers, recorded } from '../../fixtures/events/recorded';
import { synthetic } from '../../fixtures/events/synthetic';

const dcp = recorded('dcp');
const dkp = recorded('dkp');
const upTo = (events: RunEvent[], pred: (e: RunEvent) => boolean) => reduceAll(initialState('r'), events.slice(0, events.findIndex(pred) + 1));

describe('overview and losses', () => {
  test('done layers split kept/removed; others show what is undecided', () => {
    const names = doneLayers(dcp);
    const s = upTo(dcp, (e) => e.type === 'selectionIteration' && e.layer === names[3] && e.iteration === 2);
    const rows = overviewRows(s);
    assert.deepEqual(rows.map((r) => r.name), names);
    rows.forEach((r, i) => {
      const l = s.layers[r.name];
      if (i < 3) assert.deepEqual(r, { name: r.name, kept: l.result?.kept.length, removed: l.inChannels - (l.result?.kept.length ?? 0), pending: 0, status: 'done' });
      else if (i === 3) assert.deepEqual(r, { name: r.name, kept: 2, removed: 0, pending: l.inChannels - 2, status: 'selecting' });
      else assert.deepEqual(r, { name: r.name, kept: 0, removed: 0, pending: l.inChannels, status: 'pending' });
    });
    assert.deepEqual(lossRows(s).map((r) => [r.name, r.final]), names.slice(0, 4).map((n, i) => [n, i < 3]));
    assert.equal(followedLayer(s), names[3]);
  });

  test('DKP counts kernels', () => {
    const s = reduceAll(initialState('r'), dkp);
    for (const row of overviewRows(s)) {
      const l = s.layers[row.name];
      assert.equal(row.kept, l.result?.keptKernels, row.name);
      assert.equal(row.kept + row.removed, l.inChannels * (l.outChannels ?? 0), row.name);
    }
  });
});

describe('selected layer', () => {
  const s = reduceAll(initialState('r'), dcp);
  const layer = s.layers[doneLayers(dcp)[3]];

  test('iteration 0: one channel added, nothing kept earlier', () => {
    const d = layerDetail(layer, 0);
    assert.equal(d.index, 0);
    assert.deepEqual(d.scores.filter((c) => c.mark === 'added').map((c) => c.channel), layer.iterations[0].added);
    assert.equal(d.scores.filter((c) => c.mark === 'kept').length, 0);
  });

  test('last iteration of a done layer: earlier picks kept with their real scores, the rest removed', () => {
    const d = layerDetail(layer, null);
    const last = layer.iterations[d.index];
    assert.equal(d.index, layer.iterations.length - 1);
    const kept = d.scores.filter((c) => c.mark === 'kept');
    assert.equal(kept.length, layer.iterations.length - 1);
    assert.deepEqual(kept.map((c) => c.score), kept.map((c) => last.scores[c.channel]));
    assert.equal(d.scores.filter((c) => c.mark === 'removed').length, layer.inChannels - layer.iterations.length);
    assert.equal(layerDetail(layer, 999).index, d.index, 'clamped');
  });

  test('DKP: kernel steps sum scores per input channel and rebuild the mask as of the step', () => {
    const k = reduceAll(initialState('r'), dkp).layers[doneLayers(dkp).at(-1) ?? ''];
    const first = k.iterations.findIndex((p) => p.kind === 'kernel');
    assert.ok(first > 0, 'the layer has channel steps, then kernel steps');
    const d = layerDetail(k, first);
    const out = k.outChannels ?? 0;
    assert.equal(d.scores.length, k.inChannels);
    const row = (ch: number): number => k.iterations[first].scores.slice(ch * out, (ch + 1) * out).reduce((a, v) => a + v, 0);
    for (const c of d.scores) assert.ok(Math.abs(c.score - row(c.channel)) < 1e-9, `channel ${c.channel}`);
    assert.equal(d.mask?.flat().filter((v) => v === 1).length, k.iterations[first].added.length);
    assert.deepEqual([...d.maskAdded], k.iterations[first].added);
    assert.equal(layerDetail(k, first - 1).mask, null, 'no mask during channel selection');
    assert.deepEqual(layerDetail(k, null).mask, k.result?.kernelMask);
  });
});

describe('summary and progress', () => {
  test('before/after table', () => {
    const end = dcp.at(-1);
    assert.ok(end?.type === 'runFinished');
    const { before, afterSelection, after } = end.report;
    const rows = summaryRows(reduceAll(initialState('r'), dcp));
    assert.deepEqual(rows.map((r) => r.label), ['Parameters', 'FLOPs (multiply-adds)', 'Accuracy', 'Latency, batch 1', `Latency, batch ${before.latencyBatch}`]);
    assert.deepEqual([rows[0].before, rows[0].after], [formatCount(before.params), formatCount(after.params)]);
    assert.deepEqual([rows[2].before, rows[2].afterSelection, rows[2].after], [before, afterSelection, after].map((m) => formatPercent(m.accuracy)));
    assert.match(rows[2].change, /^[+-]?\d+\.\d\d pt$/);
    assert.equal(summaryRows(initialState()).every((r) => r.before === '—'), true);
  });

  // The ETA tests run on the synthetic stream: its event times are regular by construction, a real run's are not.
  const steady = synthetic();

  test('the ETA covers the whole run during selection and shrinks as it goes', () => {
    const heads = progressInfo(upTo(steady, (e) => e.type === 'trainProgress' && e.batch === 5));
    assert.equal(heads.stepLabel, 'Training heads');
    assert.equal(heads.etaScope, 'step');
    const points = [2, 5, 8].map((n) => progressInfo(upTo(steady, (e) => e.type === 'selectionIteration' && e.layer === `s${Math.floor(n / 3)}b${n % 3}_conv2` && e.iteration === 4)));
    for (const p of points) {
      assert.equal(p.etaScope, 'run');
      assert.ok(p.etaSeconds !== null && p.fraction !== null);
    }
    assert.ok(points[0].etaSeconds! > points[1].etaSeconds! && points[1].etaSeconds! > points[2].etaSeconds!, JSON.stringify(points.map((p) => p.etaSeconds)));
    assert.ok(points[0].fraction! < points[1].fraction! && points[1].fraction! < points[2].fraction!);
    assert.match(points[1].detail ?? '', /^stage 2 of 3 · layer 6 of 9: s1b2_conv2 · 4 of 16 channels$/);
    const done = progressInfo(reduceAll(initialState('r'), steady));
    assert.deepEqual([done.stepLabel, done.fraction, done.etaSeconds], ['Finished', 1, 0]);
  });

  test('expected iterations: the rate rule for channels, plus kernel steps for DKP, as many as the run took', () => {
    for (const events of [dcp, dkp]) {
      for (const name of doneLayers(events)) {
        const s = upTo(events, (e) => e.type === 'selectionStarted' && e.layer === name);
        const took = events.filter((e) => e.type === 'selectionIteration' && e.layer === name).length;
        assert.equal(expectedIterations(s.layers[name], s.config), took, `${s.config?.method} ${name}`);
      }
    }
  });

  test('expects ⌈keep/K⌉ steps with auto channels-per-step: the layer\'s K once started, the plan\'s before', () => {
    const events = dcp.map((e) => (e.type === 'runStarted' ? { ...e, config: { ...e.config, channelsPerStep: 0 } } : e));
    const name = doneLayers(events)[0];
    const s = upTo(events, (e) => e.type === 'runStarted');
    const pending = s.layers[name] ?? { name, stage: 0, inChannels: 8, outChannels: null, target: 4, status: 'pending' as const, iterations: [], kept: [], kernelMask: null, result: null, startedAt: null };
    const plan = { cap: 2, perStep: { [name]: 3 }, secondsOneByOne: 100, seconds: 50 };
    const keep = pending.target ?? pending.inChannels - Math.floor((s.config?.rate ?? 0.5) * pending.inChannels);
    assert.equal(expectedIterations(pending, s.config), keep, 'auto without a plan: one per step');
    assert.equal(expectedIterations(pending, s.config, plan), Math.ceil(keep / 3));
    const started = reduceAll(s, [{ type: 'selectionStarted', layer: name, stage: pending.stage, inChannels: pending.inChannels, target: keep, channelsPerStep: 2, time: 1 }]);
    assert.equal(started.layers[name].perStep, 2);
    assert.equal(expectedIterations(started.layers[name], s.config, plan), Math.ceil(keep / 2));
  });
});

test('formatting', () => {
  assert.deepEqual([formatCount(999), formatCount(271_104), formatCount(40_550_000), formatCount(null)], ['999', '271.10 k', '40.55 M', '—']);
  assert.deepEqual([formatPercent(0.9123), formatDuration(45), formatDuration(185), formatDuration(3720)], ['91.2 %', '45 s', '3 min 05 s', '1 h 02 min']);
  assert.deepEqual([formatLoss(0.0001234), formatLoss(1.23456), formatRatio(200, 100), formatRatio(1, null)], ['1.23e-4', '1.235', '2.00×', '—']);
});
