/**
 * The graph view's pure parts: the layered layout (ranks respect every edge, no two nodes of a rank overlap, a chain
 * stays one straight column, 300+ layers lay out quickly) and the per-node numbers from the recorded DCP run
 * (kept channels, FLOPs exact from the report, estimated while the run goes), plus the before/after sort.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../protocol/model';
import { DEFAULT_SIZE, layoutGraph } from '../../../webview/graph-layout';
import { diffRows, forecastRun, graphNodes } from '../../../webview/graph-model';
import { initialState, reduce } from '../../../webview/state';
import { recorded } from '../../fixtures/events/recorded';

const events = recorded('dcp');
const fold = (es: readonly RunEvent[]) => es.reduce(reduce, initialState('r'));

describe('layered layout', () => {
  test('ranks follow the edges and nodes of a rank do not overlap', () => {
    const started = events[0] as Extract<RunEvent, { type: 'runStarted' }>;
    const L = layoutGraph(started.model.layers.map((l) => ({ name: l.name, inputs: l.inboundLayers })));
    assert.equal(L.nodes.length, started.model.layers.length + 1, 'the model input is a node too');
    for (const e of L.edges) assert.ok(L.byName.get(e.from)!.rank < L.byName.get(e.to)!.rank, `${e.from} → ${e.to}`);
    for (const r of L.ranks) {
      const xs = r.map((n) => L.byName.get(n)!.x);
      for (let i = 1; i < xs.length; i++) assert.ok(xs[i] - xs[i - 1] >= DEFAULT_SIZE.nodeWidth, `rank ${r.join(',')}`);
    }
    for (const n of L.nodes) assert.ok(n.x - DEFAULT_SIZE.nodeWidth / 2 >= 0 && n.x + DEFAULT_SIZE.nodeWidth / 2 <= L.width, n.name);
  });

  test('a chain is one column; a 400-layer chain with skips lays out fast', () => {
    const chain = Array.from({ length: 400 }, (_, i) => ({ name: `l${i}`, inputs: i === 0 ? ['in'] : i % 7 === 0 && i > 7 ? [`l${i - 1}`, `l${i - 7}`] : [`l${i - 1}`] }));
    const t0 = performance.now();
    const L = layoutGraph(chain);
    const ms = performance.now() - t0;
    process.stdout.write(`layout of 400 layers: ${ms.toFixed(1)} ms\n`);
    assert.equal(L.ranks.length, 401);
    assert.equal(new Set(L.nodes.map((n) => Math.round(n.x))).size, 1, 'every node in one column');
  });
});

describe('graph node numbers', () => {
  const report = (events.at(-1) as Extract<RunEvent, { type: 'runFinished' }>).report;

  test('after the run: kept/total of each prunable conv and its producers, FLOPs from the report', () => {
    const nodes = graphNodes(fold(events), null);
    for (const r of report.layers) {
      const n = nodes.get(r.layer)!;
      assert.equal(n.kept, r.kept.length);
      assert.equal(n.total, r.inChannels);
      assert.equal(n.estimated, false);
      const d = report.layerDiff!.find((x) => x.layer === r.layer)!;
      assert.equal(n.flopsAfter, d.flopsAfter);
      for (const p of r.removedWith) assert.equal(nodes.get(p)!.kept, r.kept.length, p);
    }
  });

  test('during the run: estimated FLOPs of a decided conv, nothing for undecided ones', () => {
    const firstDone = events.findIndex((e) => e.type === 'layerDone');
    const s = fold(events.slice(0, firstDone + 1));
    const r = (events[firstDone] as Extract<RunEvent, { type: 'layerDone' }>).result;
    const nodes = graphNodes(s, { version: 1, layers: { [report.layers[1].layer]: { prune: false } } });
    const n = nodes.get(r.layer)!;
    assert.equal(n.estimated, true);
    assert.equal(n.flopsAfter, Math.round(n.flopsBefore * (r.kept.length / r.inChannels)));
    const producer = nodes.get(r.removedWith[0])!;
    assert.equal(producer.flopsAfter, Math.round(producer.flopsBefore * (r.kept.length / r.inChannels)));
    assert.equal(nodes.get(report.layers.at(-1)!.layer)!.flopsAfter, null);
    assert.equal(nodes.get(report.layers[1].layer)!.budget, 'never');
  });

  test('the before/after rows sort by FLOPs saved and keep forward order on ties', () => {
    const rows = diffRows(report.layerDiff!, 'flopsSaved', true, true);
    const saved = rows.map((r) => r.d.flopsBefore - r.d.flopsAfter);
    assert.deepEqual(saved, [...saved].sort((a, b) => b - a));
    for (let i = 1; i < rows.length; i++) if (saved[i] === saved[i - 1]) assert.ok(rows[i].index > rows[i - 1].index);
    assert.ok(rows.length < report.layerDiff!.length, 'unchanged layers are left out');
  });
});

describe('forecast of the next run', () => {
  const report = (events.at(-1) as Extract<RunEvent, { type: 'runFinished' }>).report;
  const model = (events[0] as Extract<RunEvent, { type: 'runStarted' }>).model;

  test('matches what the recorded run made at its rate', () => {
    const f = forecastRun(model, report.config.rate, null);
    process.stdout.write(`forecast FLOPs ${f.flops} vs run ${report.afterSelection.flops}; params ${f.params} vs ${report.afterSelection.params}\n`);
    assert.equal(f.flopsBefore, report.before.flops);
    assert.ok(Math.abs(f.flops - report.afterSelection.flops) / report.afterSelection.flops < 0.01);
    assert.ok(Math.abs(f.params - report.afterSelection.params) / report.afterSelection.params < 0.02);
  });

  test('a never-prune budget keeps that conv and its producers whole', () => {
    const conv = model.prunable[0];
    const all = forecastRun(model, 0.5, null);
    const spared = forecastRun(model, 0.5, { version: 1, layers: { [conv]: { prune: false } } });
    assert.ok(spared.flops > all.flops);
    assert.deepEqual(forecastRun(model, 0, null).flops, model.totalFlops);
  });
});
