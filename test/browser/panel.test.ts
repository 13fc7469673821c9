/**
 * The panel in a real Chromium, loaded with a recorded run: every chart paints, every table has rows, the theme
 * drives the colours (screenshots of light, dark and high-contrast under test-results/), and layers can be
 * selected by mouse and keyboard.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { SYNTHETIC_CONFIG, recordedOrSynthetic, synthetic } from '../fixtures/events/synthetic';
import { PanelPage, startBrowserAndHarness, type Harness } from './harness';
import { THEMES, rgb, type ThemeName } from './themes';

const RESULTS = join(__dirname, '..', '..', 'test-results');
const stream = recordedOrSynthetic();
const layerNames = stream.events.flatMap((e) => (e.type === 'layerDone' ? [e.result.layer] : []));

let browser: Browser;
let harness: Harness;

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  ({ browser, harness } = await startBrowserAndHarness());
});
after(async () => {
  await browser?.close();
  await harness?.close();
});

async function loaded(theme: ThemeName, events = stream.events): Promise<PanelPage> {
  const panel = await PanelPage.open(browser, harness, theme);
  await panel.deliver({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: 'resnet20' });
  await panel.deliver({ type: 'showRun', runId: 'run-1', events });
  await panel.waitForEvents(events.length);
  return panel;
}

describe(`panel with a ${stream.source} run (${stream.events.length} events)`, () => {
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

  test('shows a DKP layer’s kernel mask and the scores at an earlier iteration', async () => {
    const events = synthetic({ method: 'dkp' });
    const panel = await loaded('dark', events);
    await panel.page.locator('#overview canvas').focus();
    await panel.page.keyboard.press('End');
    const mask = panel.page.locator('#layer .mask');
    assert.ok(await mask.isVisible());
    assert.match(await mask.locator('p.hint').innerText(), /^\d+ of 4096 kernels kept/);
    const grid = (await panel.canvases()).find((c) => c.label.startsWith('Kernel mask'));
    assert.ok(grid && grid.ink > 1000, JSON.stringify(grid));
    await panel.page.screenshot({ path: join(RESULTS, 'panel-dkp.png'), fullPage: true });
    // Back to the first iteration: one channel added, nothing kept earlier, no kernel mask yet.
    const slider = panel.page.locator('#iteration');
    await slider.focus();
    await panel.page.keyboard.press('Home');
    assert.match(await panel.page.locator('#iteration-label').innerText(), /^1 of \d+$/);
    const marks = await panel.page.locator('#layer table:not(.mask table) tbody tr td:last-child').allInnerTexts();
    assert.equal(marks.filter((m) => m === 'added now').length, 1);
    assert.equal(marks.filter((m) => m === 'kept earlier').length, 0);
    assert.equal(await mask.isVisible(), false);
    await panel.page.close();
  });
});
