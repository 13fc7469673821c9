/**
 * The panel in a real Chromium, loaded with the recorded real runs (DCP, and DKP for the kernel mask): every chart
 * paints, every table has rows, the theme drives the colours (screenshots of light, dark and high-contrast under
 * test-results/), layers can be selected by mouse and keyboard, and the scores table marks exactly the channels the
 * layer's earlier iterations added. Assertions are on structure, not on one recording's numbers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../protocol/model';
import { doneLayers, recorded, recordedConfig } from '../fixtures/events/recorded';
import { PanelPage, RESULTS, useBrowserAndHarness } from './harness';
import { THEMES, rgb, type ThemeName } from './themes';

const events = recorded('dcp');
const layerNames = doneLayers(events);

const env = useBrowserAndHarness();

async function loaded(theme: ThemeName, stream: RunEvent[] = events): Promise<PanelPage> {
  const panel = await PanelPage.open(env.browser, env.harness, theme);
  await panel.deliver({ type: 'setup', defaults: recordedConfig(stream), modelName: 'resnet' });
  await panel.deliver({ type: 'showRun', runId: 'run-1', events: stream });
  await panel.waitForEvents(stream.length);
  return panel;
}

/** The channels (sorted) that the scores table marks with `mark`. */
async function marked(panel: PanelPage, mark: string): Promise<number[]> {
  const rows = panel.page.locator('#layer table:not(.mask table) tbody tr');
  const [channels, marks] = await Promise.all([rows.locator(':scope > :nth-child(1)').allTextContents(), rows.locator(':scope > :nth-child(3)').allTextContents()]);
  return channels.filter((_, i) => marks[i] === mark).map(Number).sort((a, b) => a - b);
}

describe(`panel with the recorded DCP run (${events.length} events)`, () => {
  test('renders every chart and its table', async () => {
    const panel = await loaded('dark');
    const canvases = await panel.canvases();
    const charts = canvases.filter((c) => c.visible);
    // overview, loss per layer, loss curve, scores, heads, training curve (the DCP run has no kernel mask)
    assert.ok(charts.length >= 6, `expected 6 charts, got ${JSON.stringify(charts)}`);
    for (const c of charts) assert.ok(c.ink > 500, `chart "${c.label}" in #${c.section} is blank (${c.ink} px)`);
    // The bars themselves, not just the axes: the theme's "kept" colour is on the overview and the scores chart.
    const kept = await panel.canvases(rgb(THEMES.dark.vars['--vscode-charts-blue']));
    for (const section of ['overview', 'layer']) {
      const c = kept.find((k) => k.section === section);
      assert.ok(c && c.ink > 200, `no kept-channel bars in #${section}`);
    }
    const rows = await panel.page.evaluate<Array<[string, number]>>(`Array.from(document.querySelectorAll('table'),
      (t) => [t.caption ? t.caption.textContent : '', t.tBodies[0] ? t.tBodies[0].rows.length : 0])`);
    for (const [caption, n] of rows.filter(([c]) => !c.startsWith('Kept kernels'))) assert.ok(n > 0, `table "${caption}" is empty`);
    assert.equal(await panel.page.locator('#overview tbody tr').count(), layerNames.length);
    assert.match(await panel.page.locator('.header').innerText(), /Finished/);
    const summary = await panel.page.locator('#summary tbody').innerText();
    assert.match(summary, /Accuracy\s+\d+\.\d %\s+\d+\.\d %\s+\d+\.\d %/, summary);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('follows the theme: light, dark and high contrast (screenshots in test-results/)', async () => {
    const panel = await loaded('light');
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await panel.setTheme(theme);
      const vars = THEMES[theme].vars;
      // Charts re-colour on the body-class change: the theme's own bar colour must appear on the overview.
      await panel.waitForInk('overview', rgb(vars['--vscode-charts-blue']), 200);
      await panel.waitForInk('training', rgb(vars['--vscode-charts-green']), 200);
      await panel.waitForInk('losses', rgb(vars['--vscode-charts-purple']), 50);
      const bg = await panel.page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
      const [r, g, b] = rgb(vars['--vscode-editor-background']);
      assert.equal(bg, `rgb(${r}, ${g}, ${b})`);
      await panel.page.screenshot({ path: join(RESULTS, `panel-${theme}.png`), fullPage: true });
    }
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('selects a layer by click, keyboard and the table, and tells the host', async () => {
    const panel = await loaded('dark');
    const follow = await panel.selectedLayer();
    assert.equal(follow, layerNames.at(-1), 'a finished run shows its last layer');
    // A run with a forecast has a taller run-controls section: bring the chart into the viewport before clicking it.
    await panel.page.locator('#overview canvas').scrollIntoViewIfNeeded();
    const box = await panel.page.locator('#overview canvas').boundingBox();
    assert.ok(box);
    await panel.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    // Chart.js handles pointer events on the next animation frame: wait for the message the selection sends.
    const msg = await panel.waitForSent((m) => m.type === 'selectLayer');
    const clicked = msg.type === 'selectLayer' ? msg.layer ?? '' : '';
    assert.equal(await panel.selectedLayer(), clicked);
    const i = layerNames.indexOf(clicked);
    assert.ok(Math.abs(i - (layerNames.length - 1) / 2) <= 1.5, `click in the middle selected ${clicked} (#${i})`);

    await panel.page.locator('#overview canvas').focus();
    await panel.page.keyboard.press('ArrowRight');
    assert.equal(await panel.selectedLayer(), layerNames[i + 1]);
    await panel.page.keyboard.press('Home');
    assert.equal(await panel.selectedLayer(), layerNames[0]);
    // Scores of the selected layer: one row per input channel, kept ones marked.
    const scoreRows = await panel.page.locator('#layer table tbody tr').allInnerTexts();
    assert.ok(scoreRows.length > 0 && scoreRows.some((r) => /kept earlier|added now/.test(r)), scoreRows.join('\n'));

    await panel.page.getByRole('button', { name: 'Show data tables' }).click();
    await panel.page.getByRole('button', { name: `Select layer ${layerNames[2]}` }).click();
    assert.equal(await panel.selectedLayer(), layerNames[2]);
    await panel.page.getByRole('button', { name: 'Next layer' }).click();
    assert.equal(await panel.selectedLayer(), layerNames[3]);
    await panel.page.close();
  });

  test('the scores table gives every channel a number and marks the earlier picks, at any iteration', async () => {
    const panel = await loaded('dark');
    await panel.page.getByRole('button', { name: 'Show data tables' }).click();
    await panel.page.getByRole('button', { name: `Select layer ${layerNames[3]}` }).click();
    const its = events.filter((e) => e.type === 'selectionIteration' && e.layer === layerNames[3]);
    const slider = panel.page.locator('#iteration');
    await slider.focus();
    await panel.page.keyboard.press('Home');
    for (let i = 0; i < its.length; i++) {
      if (i > 0) await panel.page.keyboard.press('ArrowRight');
      assert.match(await panel.page.locator('#iteration-label').innerText(), new RegExp(`^${i + 1} of ${its.length}`));
      const before = its.slice(0, i).flatMap((e) => (e.type === 'selectionIteration' ? e.added : [])).sort((a, b) => a - b);
      assert.deepEqual(await marked(panel, 'kept earlier'), before, `iteration ${i + 1}`);
      const scores = await panel.page.locator('#layer table:not(.mask table) tbody tr td:nth-child(2)').allInnerTexts();
      assert.ok(scores.length > 0 && scores.every((t) => Number.isFinite(Number(t))), `iteration ${i + 1}: ${scores.join(', ')}`);
    }
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });
});

describe('panel with the recorded DKP run', () => {
  const dkp = recorded('dkp');
  const dkpLayers = doneLayers(dkp);
  const last = dkp.at(-1);
  const lastLayer = last?.type === 'runFinished' ? last.report.layers.at(-1) : undefined;

  test('shows a DKP layer’s kernel mask, its kernel steps and the scores at an earlier iteration', async () => {
    assert.ok(lastLayer?.kernelMask, 'the recorded DKP run reports a kernel mask');
    const panel = await loaded('dark', dkp);
    await panel.page.locator('#overview canvas').focus();
    await panel.page.keyboard.press('End');
    assert.equal(await panel.selectedLayer(), dkpLayers.at(-1));
    const mask = panel.page.locator('#layer .mask');
    assert.ok(await mask.isVisible());
    const cells = lastLayer.kernelMask.length * lastLayer.kernelMask[0].length;
    assert.match(await mask.locator('p.hint').innerText(), new RegExp(`^${lastLayer.keptKernels} of ${cells} kernels kept`));
    const grid = (await panel.canvases()).find((c) => c.label.startsWith('Kernel mask'));
    assert.ok(grid && grid.ink > 1000, JSON.stringify(grid));
    assert.match(await panel.page.locator('#iteration-label').innerText(), /kernel step/);
    await panel.page.screenshot({ path: join(RESULTS, 'panel-dkp.png'), fullPage: true });
    // During the kernel steps every channel that channel selection kept is marked kept earlier.
    await panel.page.getByRole('button', { name: 'Show data tables' }).click();
    const its = dkp.flatMap((e) => (e.type === 'selectionIteration' && e.layer === dkpLayers.at(-1) ? [e] : []));
    // The kernel steps are numbered from 1 again.
    const kernelStart = its.findIndex((e, i) => i > 0 && e.iteration === 1);
    assert.ok(kernelStart > 0, 'the layer has channel steps, then kernel steps');
    const keptByChannels = its.slice(0, kernelStart).flatMap((e) => e.added).sort((a, b) => a - b);
    assert.deepEqual(await marked(panel, 'kept earlier'), keptByChannels);
    // Back to the first iteration: one channel added, nothing kept earlier, no kernel mask yet.
    const slider = panel.page.locator('#iteration');
    await slider.focus();
    await panel.page.keyboard.press('Home');
    assert.match(await panel.page.locator('#iteration-label').innerText(), /^1 of \d+$/);
    assert.equal((await marked(panel, 'added now')).length, 1);
    assert.deepEqual(await marked(panel, 'kept earlier'), []);
    assert.equal(await mask.isVisible(), false);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });
});
