/**
 * What the charts show, derived from reduced streams: overview bars, loss rows, the selected layer's marks and
 * mask at an iteration, the before/after table, and the progress line with its ETA.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../protocol/model';
import { expectedIterations, progressInfo } from '../../../webview/progress';
import {
  followedLayer, formatCount, formatDuration, formatLoss, formatPercent, formatRatio, layerDetail, lossRows, overviewRows, summaryRows,
} from '../../../webview/selectors';
import { initialState, reduceAll } from '../../../webview/state';
import { synthetic } from '../../fixtures/events/synthetic';

const dcp = synthetic();
const dkp = synthetic({ method: 'dkp' });
const upTo = (events: RunEvent[], pred: (e: RunEvent) => boolean) => reduceAll(initialState('r'), events.slice(0, events.findIndex(pred) + 1));

describe('overview and losses', () => {
  test('done layers split kept/removed; others show what is undecided', () => {
    const s = upTo(dcp, (e) => e.type === 'selectionIteration' && e.layer === 's1b0_conv2' && e.iteration === 3);
    const rows = overviewRows(s);
    assert.deepEqual(rows[0], { name: 's0b0_conv2', kept: 8, removed: 8, pending: 0, status: 'done' });
    assert.deepEqual(rows[3], { name: 's1b0_conv2', kept: 3, removed: 0, pending: 29, status: 'selecting' });
    assert.deepEqual(rows[8], { name: 's2b2_conv2', kept: 0, removed: 0, pending: 64, status: 'pending' });
    assert.deepEqual(lossRows(s).map((r) => [r.name, r.final]), [['s0b0_conv2', true], ['s0b1_conv2', true], ['s0b2_conv2', true], ['s1b0_conv2', false]]);
    assert.equal(followedLayer(s), 's1b0_conv2');
  });

  test('DKP counts kernels', () => {
    const s = reduceAll(initialState('r'), dkp);
    const row = overviewRows(s)[0];
    const result = s.layers.s0b0_conv2.result;
    assert.equal(row.kept, result?.keptKernels);
    assert.equal(row.kept + row.removed, 16 * 16);
  });
});

describe('selected layer', () => {
  const s = reduceAll(initialState('r'), dcp);
  const layer = s.layers.s1b0_conv2;

  test('iteration 0: one channel added, nothing kept earlier', () => {
    const d = layerDetail(layer, 0);
    assert.equal(d.index, 0);
    assert.deepEqual(d.scores.filter((c) => c.mark === 'added').map((c) => c.channel), layer.iterations[0].added);
    assert.equal(d.scores.filter((c) => c.mark === 'kept').length, 0);
  });

  test('last iteration of a done layer: earlier picks kept (score null), the rest removed', () => {
    const d = layerDetail(layer, null);
    assert.equal(d.index, layer.iterations.length - 1);
    const kept = d.scores.filter((c) => c.mark === 'kept');
    assert.equal(kept.length, layer.iterations.length - 1);
    assert.ok(kept.every((c) => c.score === null), 'JSON null = −∞ for selected channels');
    assert.equal(d.scores.filter((c) => c.mark === 'removed').length, 32 - layer.iterations.length);
    assert.equal(layerDetail(layer, 999).index, d.index, 'clamped');
  });

  test('DKP: kernel steps sum scores per input channel and rebuild the mask as of the step', () => {
    const k = reduceAll(initialState('r'), dkp).layers.s0b0_conv2;
    const first = k.iterations.findIndex((p) => p.kind === 'kernel');
    const d = layerDetail(k, first);
    assert.equal(d.scores.length, 16);
    assert.equal(d.mask?.flat().filter((v) => v === 1).length, k.iterations[first].added.length);
    assert.deepEqual([...d.maskAdded], k.iterations[first].added);
    assert.equal(layerDetail(k, first - 1).mask, null, 'no mask during channel selection');
    assert.deepEqual(layerDetail(k, null).mask, k.result?.kernelMask);
  });
});

describe('summary and progress', () => {
  test('before/after table', () => {
    const rows = summaryRows(reduceAll(initialState('r'), dcp));
    assert.deepEqual(rows.map((r) => r.label), ['Parameters', 'FLOPs (multiply-adds)', 'Accuracy', 'Latency, batch 1', 'Latency, batch 32']);
    assert.deepEqual([rows[2].before, rows[2].afterSelection, rows[2].after, rows[2].change], ['91.2 %', '84.6 %', '90.3 %', '-0.90 pt']);
    assert.equal(summaryRows(initialState()).every((r) => r.before === '—'), true);
  });

  test('the ETA covers the whole run during selection and shrinks as it goes', () => {
    const heads = progressInfo(upTo(dcp, (e) => e.type === 'trainProgress' && e.batch === 5));
    assert.equal(heads.stepLabel, 'Training heads');
    assert.equal(heads.etaScope, 'step');
    const points = [2, 5, 8].map((n) => progressInfo(upTo(dcp, (e) => e.type === 'selectionIteration' && e.layer === `s${Math.floor(n / 3)}b${n % 3}_conv2` && e.iteration === 4)));
    for (const p of points) {
      assert.equal(p.etaScope, 'run');
      assert.ok(p.etaSeconds !== null && p.fraction !== null);
    }
    assert.ok(points[0].etaSeconds! > points[1].etaSeconds! && points[1].etaSeconds! > points[2].etaSeconds!, JSON.stringify(points.map((p) => p.etaSeconds)));
    assert.ok(points[0].fraction! < points[1].fraction! && points[1].fraction! < points[2].fraction!);
    assert.match(points[1].detail ?? '', /^stage 2 of 3 · layer 6 of 9: s1b2_conv2 · 4 of 16 channels$/);
    const done = progressInfo(reduceAll(initialState('r'), dcp));
    assert.deepEqual([done.stepLabel, done.fraction, done.etaSeconds], ['Finished', 1, 0]);
  });

  test('expected iterations: the rate rule for channels, plus kernel steps for DKP', () => {
    const s = upTo(dkp, (e) => e.type === 'selectionStarted');
    const l = s.layers.s0b0_conv2;
    // keep 8 channels; 8·16 = 128 kernels, keep 128 − ⌊0.3·128⌋ = 90 in steps of 32 → 3 steps
    assert.equal(expectedIterations(l, s.config), 8 + 3);
  });
});

test('formatting', () => {
  assert.deepEqual([formatCount(999), formatCount(271_104), formatCount(40_550_000), formatCount(null)], ['999', '271.10 k', '40.55 M', '—']);
  assert.deepEqual([formatPercent(0.9123), formatDuration(45), formatDuration(185), formatDuration(3720)], ['91.2 %', '45 s', '3 min 05 s', '1 h 02 min']);
  assert.deepEqual([formatLoss(0.0001234), formatLoss(1.23456), formatRatio(200, 100), formatRatio(1, null)], ['1.23e-4', '1.235', '2.00×', '—']);
});
