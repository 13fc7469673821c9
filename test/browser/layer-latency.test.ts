/**
 * The "Latency per layer" section in a real Chromium. The recorded DCP run did not time its convs, so a copy of
 * its report gets a crafted `layerLatency` (one entry per conv of its layerDiff, numbers chosen so the order and
 * every cell are known) and `latencyBackend: 'cpu'`: the section lists the convs by the time saved, with the
 * channel changes and speed-ups, the sums next to the whole model, and a before/after bar chart in the theme's
 * colours (light, dark and high contrast; screenshots in test-results/). The recorded report as it is shows the
 * one-line hint naming the setting and the flag; a note about an unavailable latency backend is shown.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { LayerLatency, RunEvent, RunReport } from '../../protocol/model';
import { recorded, recordedConfig } from '../fixtures/events/recorded';
import { PanelPage, RESULTS, useBrowserAndHarness } from './harness';
import { THEMES, rgb, type ThemeName } from './themes';

const env = useBrowserAndHarness();

/** The recorded report's convs with known latencies: conv i takes 1 + i ms at batch 64 and saves ((5·i) mod n)/10 ms. */
function craftedLatency(report: RunReport): LayerLatency[] {
  const convs = (report.layerDiff ?? []).filter((d) => d.inBefore !== null && d.inAfter !== null);
  const n = convs.length;
  return convs.map((d, i) => ({
    layer: d.layer, className: d.className, inputShape: [[14, 14, d.inBefore!], [14, 14, d.inAfter!]], outChannels: [d.outBefore, d.outAfter],
    before: [0.05 * (i + 1), 1 + i], after: [0.04 * (i + 1), 1 + i - ((5 * i) % n) / 10],
  }));
}

function withReport(patch: (r: RunReport) => Partial<RunReport>): RunEvent[] {
  return recorded('dcp').map((e) => (e.type === 'runFinished' ? { ...e, report: { ...e.report, ...patch(e.report) } } : e));
}

async function loaded(theme: ThemeName, events: RunEvent[]): Promise<PanelPage> {
  const panel = await PanelPage.open(env.browser, env.harness, theme);
  await panel.deliver({ type: 'setup', defaults: recordedConfig(events), modelName: 'resnet' });
  await panel.deliver({ type: 'showRun', runId: 'run-1', events });
  await panel.waitForEvents(events.length);
  return panel;
}

const cellsOf = (panel: PanelPage, selector: string) => panel.page.locator(`${selector} tbody tr`).evaluateAll((rows) =>
  rows.map((r) => Array.from((r as unknown as { cells: ArrayLike<{ textContent: string | null }> }).cells, (c) => (c.textContent ?? '').trim())));

describe('latency per layer', () => {
  test('lists the convs by time saved, with channels, speed-ups and totals, and charts them in each theme', async () => {
    let layers: LayerLatency[] = [];
    const events = withReport((r) => {
      layers = craftedLatency(r);
      return { layerLatency: layers, latencyBackend: 'cpu' };
    });
    const report = (events.at(-1) as Extract<RunEvent, { type: 'runFinished' }>).report;
    assert.ok(layers.length >= 5, `the recorded run has convs (${layers.length})`);
    const panel = await loaded('dark', events);
    const section = panel.page.locator('#layer-latency');
    assert.ok(await section.isVisible());
    assert.match(await panel.page.locator('#layer-latency-line').innerText(),
      new RegExp(`^${layers.length} convolutions, each timed alone on cpu \\(median ms\\), sorted by the time saved at batch 64\\.$`));
    assert.equal(await panel.page.locator('#layer-latency-note').isVisible(), false);

    const rows = await cellsOf(panel, '#layer-latency .latency-table');
    const saved = (l: LayerLatency) => l.before[1] - l.after[1];
    const expected = layers.map((l, i) => ({ l, i })).sort((a, b) => saved(b.l) - saved(a.l) || a.i - b.i).map(({ l }) => l.layer);
    assert.deepEqual(rows.map((r) => r[0]), expected, 'most time saved first, ties in model order');
    const savedCells = rows.map((r) => Number.parseFloat(r[8]));
    for (let i = 1; i < savedCells.length; i++) assert.ok(savedCells[i] <= savedCells[i - 1], `sorted: ${savedCells.join(', ')}`);
    // One row read cell by cell: a conv whose input channels were pruned (s1b1_2_conv: 8 → 4 in, 8 out).
    const k = layers.findIndex((l) => l.inputShape[0][2] !== l.inputShape[1][2] && l.outChannels[0] === l.outChannels[1]);
    assert.ok(k >= 0, 'a conv with pruned input channels');
    const l = layers[k];
    const fmt = (v: number) => (v >= 100 ? `${Math.round(v)} ms` : v >= 1 ? `${v.toFixed(2)} ms` : v === 0 ? '0 ms' : `${v.toPrecision(2)} ms`);
    assert.deepEqual(rows.find((r) => r[0] === l.layer), [
      l.layer, l.className, `${l.inputShape[0][2]} → ${l.inputShape[1][2]}`, String(l.outChannels[0]),
      `${fmt(l.before[0])} → ${fmt(l.after[0])}`, `${(l.before[0] / l.after[0]).toFixed(2)}×`,
      `${fmt(l.before[1])} → ${fmt(l.after[1])}`, `${(l.before[1] / l.after[1]).toFixed(2)}×`, fmt(saved(l)),
    ]);
    // A conv whose output channels were pruned shows that change.
    const out = layers.find((x) => x.outChannels[0] !== x.outChannels[1]);
    assert.ok(out && rows.find((r) => r[0] === out.layer)?.[3] === `${out.outChannels[0]} → ${out.outChannels[1]}`);

    const totals = await cellsOf(panel, '#layer-latency .latency-totals');
    const sum = (f: (x: LayerLatency) => number) => layers.reduce((a, x) => a + f(x), 0);
    const [b64, a64] = [sum((x) => x.before[1]), sum((x) => x.after[1])];
    assert.equal(totals.length, 2);
    assert.equal(totals[0][0], `Sum over ${layers.length} convolutions`);
    assert.equal(totals[0][3], `${fmt(b64)} → ${fmt(a64)}`);
    assert.equal(totals[0][4], `${(b64 / a64).toFixed(2)}×`);
    assert.equal(totals[1][0], 'Whole model');
    assert.equal(totals[1][2], `${(report.before.latencyMs1! / report.after.latencyMs1!).toFixed(2)}×`);

    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await panel.setTheme(theme);
      const vars = THEMES[theme].vars;
      // Before in the theme's orange, after in its blue.
      await panel.waitForInk('layer-latency', rgb(vars['--vscode-charts-orange']), 300);
      await panel.waitForInk('layer-latency', rgb(vars['--vscode-charts-blue']), 300);
      // In page coordinates, from the top of the page: the sticky header then covers nothing.
      const box = await panel.page.evaluate<{ x: number; y: number; width: number; height: number }>(`(() => {
        scrollTo(0, 0);
        const r = document.querySelector('#layer-latency').getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
      })()`);
      assert.ok(box.height > 200 && box.width > 800, JSON.stringify(box));
      await panel.page.screenshot({ path: join(RESULTS, `layer-latency-${theme}.png`), fullPage: true, clip: box });
    }
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('without layerLatency the section says how to get it, in light and dark', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const events = recorded('dcp');
      const report = (events.at(-1) as Extract<RunEvent, { type: 'runFinished' }>).report;
      assert.equal(report.layerLatency, undefined, 'the recording has no per-layer latency');
      const panel = await loaded(theme, events);
      assert.ok(await panel.page.locator('#layer-latency').isVisible());
      const line = await panel.page.locator('#layer-latency-line').innerText();
      assert.match(line, /^Per-layer latency was not measured in this run\. Turn on the dcp\.layerLatency setting \(CLI: --layer-latency\)/);
      assert.equal(await panel.page.locator('#layer-latency table').count(), 0, 'no empty tables');
      assert.equal((await panel.canvases()).some((c) => c.section === 'layer-latency'), false, 'no chart');
      assert.deepEqual(panel.errors, []);
      await panel.page.close();
    }
  });

  test('before the run finishes the section is hidden; a latency-backend note is shown', async () => {
    const running = recorded('dcp').filter((e) => e.type !== 'runFinished');
    const panel = await loaded('dark', running);
    assert.equal(await panel.page.locator('#layer-latency').isVisible(), false);
    await panel.page.close();

    const note = 'latency backend "tensorflow" not available (@tensorflow/tfjs-node is not installed); timed on the run\'s backend, wasm';
    const events = withReport((r) => ({ layerLatency: craftedLatency(r), latencyBackend: 'wasm', latencyBackendNote: note }));
    const done = await loaded('light', events);
    assert.equal(await done.page.locator('#layer-latency-note').innerText(), note);
    assert.match(await done.page.locator('#layer-latency-line').innerText(), /timed alone on wasm/);
    assert.deepEqual(done.errors, []);
    await done.page.close();
  });

  test('a folded run says what was folded and pruning\'s own gain; a run that could not fold says why', async () => {
    const events = withReport((r) => ({
      folding: {
        convs: [{ conv: 'stem_conv', batchNorm: 'stem_bn', activation: 'stem_relu' }, { conv: 's1b1_2_conv', batchNorm: 's1b1_2_bn', activation: null }],
        layers: [52, 49], beforeFoldedLatencyMs1: 2 * r.after.latencyMs1!, beforeFoldedLatencyMsBatch: 4 * r.after.latencyMsBatch!,
      },
    }));
    const report = (events.at(-1) as Extract<RunEvent, { type: 'runFinished' }>).report;
    const panel = await loaded('dark', events);
    const line = await panel.page.locator('#layer-latency-folding').innerText();
    assert.match(line, /^The saved model has 2 BatchNorm and 1 activation layers folded into their convolutions \(52 → 49 layers\); "after" is that model\./);
    assert.match(line, new RegExp(`batch 1 .* \\(2\\.00×\\), batch ${report.before.latencyBatch} .* \\(4\\.00×\\)\\.$`));
    await panel.page.close();

    const plain = await loaded('light', recorded('dcp'));
    assert.equal(await plain.page.locator('#layer-latency-folding').isVisible(), false, 'no line without folding');
    await plain.page.close();

    const onnx = await loaded('light', withReport(() => ({ foldingNote: 'not folded: an ONNX output keeps the input\'s graph' })));
    assert.equal(await onnx.page.locator('#layer-latency-folding').innerText(), 'BatchNorm folding: not folded: an ONNX output keeps the input\'s graph');
    assert.deepEqual(onnx.errors, []);
    await onnx.page.close();
  });
});
