/**
 * The graph view, the before/after table and the budget control in a real Chromium: a 300+ layer summary made by
 * the engine's own summarizeModel is laid out and drawn quickly (the time is printed); the recorded DCP run's nodes
 * show what selection kept; click, keyboard and the table select layers; the table sorts; a budget edit posts the
 * message the host writes the recipe from, and the recipe the host sends back shows on the node. Screenshots of the
 * graph and the table in light, dark and high contrast go to test-results/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Browser } from 'playwright-core';
import type { RunEvent, RunReport } from '../../protocol/model';
import { summarizeModel } from '../../server/dcp/graph/graph';
import { recorded, recordedConfig } from '../fixtures/events/recorded';
import { buildResNet } from '../fixtures/models/resnet';
import { PanelPage, startBrowserAndHarness, type Harness } from './harness';
import type { ThemeName } from './themes';

const RESULTS = join(__dirname, '..', '..', 'test-results');
const events = recorded('dcp');
const report = (events.at(-1) as Extract<RunEvent, { type: 'runFinished' }>).report as RunReport;
const started = events[0] as Extract<RunEvent, { type: 'runStarted' }>;

let browser: Browser;
let harness: Harness;

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  await tf.setBackend('cpu');
  ({ browser, harness } = await startBrowserAndHarness());
});
after(async () => {
  await browser?.close();
  await harness?.close();
});

async function loaded(theme: ThemeName, stream: RunEvent[] = events): Promise<PanelPage> {
  const panel = await PanelPage.open(browser, harness, theme);
  await panel.deliver({ type: 'setup', defaults: recordedConfig(stream), modelName: 'resnet', recipe: null });
  await panel.deliver({ type: 'showRun', runId: 'run-1', events: stream });
  await panel.waitForEvents(stream.length);
  return panel;
}

/** The page's document as the predicates below use it (typed here: the test project has no DOM lib). */
type PageDoc = { document: { querySelector(s: string): { textContent: string | null; disabled?: boolean } | null } };
const node = (panel: PanelPage, layer: string) => panel.page.locator(`#graph .gnode[data-layer="${layer}"]`);
const cursorName = (panel: PanelPage) => panel.page.locator('#graph .gnode.cursor').getAttribute('data-layer');

/** Moves the graph's keyboard cursor to `layer` by arrow keys only (Home, then down the forward chain). */
async function arrowTo(panel: PanelPage, layer: string): Promise<void> {
  await panel.page.locator('#graph .graph-viewport').focus();
  await panel.page.keyboard.press('Home');
  for (let i = 0; i < 400 && (await cursorName(panel)) !== layer; i++) await panel.page.keyboard.press('ArrowDown');
  assert.equal(await cursorName(panel), layer, `ArrowDown from the input never reached ${layer}`);
}

describe('graph view', () => {
  test('lays out and draws a 300+ layer model in well under the limit', async () => {
    const model = buildResNet({ stages: 3, blocksPerStage: 15, width: 4, size: 8 });
    const summary = summarizeModel(model);
    model.dispose();
    assert.ok(summary.layers.length >= 300, `${summary.layers.length} layers`);
    const stream: RunEvent[] = [{ ...started, model: summary, stages: [{ index: 0, layers: summary.prunable, head: 0 }] }];
    const panel = await loaded('dark', stream);
    const ms = Number(await panel.page.evaluate<string>('document.body.dataset.graphMs'));
    process.stdout.write(`graph layout + render of ${summary.layers.length} layers: ${ms.toFixed(1)} ms\n`);
    assert.ok(ms > 0 && ms < 5000, `${ms} ms`);
    // Every layer and the model input is a node; prunable convs are marked, the stem says why it is not.
    assert.equal(await panel.page.locator('#graph .gnode').count(), summary.layers.length + 1);
    assert.equal(await panel.page.locator('#graph .gnode.prunable').count(), summary.prunable.length);
    assert.match(await node(panel, 'conv1').locator('title').textContent() ?? '', /not prunable: stem convolution/);
    // The layout is layered: each edge goes downwards.
    const ys = await panel.page.evaluate<Array<[string, number]>>(`Array.from(document.querySelectorAll('#graph .gnode'),
      (g) => [g.getAttribute('data-layer'), Number(/,([-\\d.]+)\\)/.exec(g.getAttribute('transform'))[1])])`);
    const y = new Map(ys);
    for (const l of summary.layers) for (const i of l.inboundLayers) assert.ok(y.get(i)! < y.get(l.name)!, `${i} → ${l.name} goes up`);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('shows kept channels and FLOPs, highlights coupling, selects by keyboard, click and table', async () => {
    const panel = await loaded('dark');
    const layer = report.layers[0];
    await arrowTo(panel, layer.layer);
    const sub = await node(panel, layer.layer).locator('.gsub').textContent();
    assert.equal(sub, `Conv2D · ${layer.kept.length}/${layer.inChannels}`);
    // Its producers lose channels with it: highlighted while it has the cursor.
    for (const p of layer.removedWith) assert.match(await node(panel, p).getAttribute('class') ?? '', /\bcoupled\b/, p);
    assert.match(await panel.page.locator('#graph .graph-detail').innerText(), /FLOPs [\d.]+ [kM]? ?→ [\d.]+/);
    await panel.page.keyboard.press('Enter');
    assert.equal(await panel.selectedLayer(), layer.layer);
    const sent = await panel.waitForSent((m) => m.type === 'selectLayer' && m.layer === layer.layer);
    assert.ok(sent);
    // Clicking another prunable node selects it.
    const other = report.layers[1].layer;
    await arrowTo(panel, other);
    await node(panel, other).locator('.gbox').click();
    assert.equal(await panel.selectedLayer(), other);
    // The table alternative: one row per layer plus the input, with a focus button per layer.
    await panel.page.getByRole('button', { name: 'Show data tables' }).click();
    assert.equal(await panel.page.locator('#graph table tbody tr').count(), started.model.layers.length);
    await panel.page.getByRole('button', { name: `Focus layer ${report.layers[2].layer} in the graph` }).click();
    assert.equal(await panel.selectedLayer(), report.layers[2].layer);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('zooms and pans', async () => {
    const panel = await loaded('dark');
    const world = panel.page.locator('#graph .graph-svg > g');
    const scale = async () => Number(/scale\(([\d.]+)\)/.exec(await world.getAttribute('transform') ?? '')?.[1]);
    const k0 = await scale();
    await panel.page.getByRole('button', { name: 'Zoom in' }).click();
    assert.ok((await scale()) > k0 * 1.2);
    await panel.page.locator('#graph .graph-viewport').focus();
    await panel.page.keyboard.press('0');
    const fitted = await scale();
    const box = (await panel.page.locator('#graph .graph-viewport').boundingBox())!;
    const drawn = (await world.boundingBox())!;
    assert.ok(drawn.height <= box.height + 2 && drawn.width <= box.width + 2, `fit: ${JSON.stringify({ drawn, box })}`);
    await panel.page.mouse.move(box.x + 50, box.y + 50);
    await panel.page.mouse.down();
    await panel.page.mouse.move(box.x + 150, box.y + 120, { steps: 4 });
    await panel.page.mouse.up();
    const moved = (await world.boundingBox())!;
    assert.ok(Math.abs(moved.x - drawn.x - 100) < 3 && Math.abs(moved.y - drawn.y - 70) < 3, JSON.stringify({ drawn, moved }));
    assert.equal(await scale(), fitted);
    await panel.page.close();
  });
});

describe('before/after table', () => {
  test('lists the changed layers and sorts by FLOPs saved', async () => {
    const diff = report.layerDiff!;
    assert.ok(diff && diff.length === started.model.layers.length, 'the recorded report has a per-layer diff');
    const panel = await loaded('dark');
    const changed = diff.filter((d) => d.flopsAfter !== d.flopsBefore || d.paramsAfter !== d.paramsBefore || d.outAfter !== d.outBefore);
    const rows = panel.page.locator('#diff tbody tr');
    assert.equal(await rows.count(), changed.length);
    await panel.page.locator('#diff th button', { hasText: 'FLOPs saved' }).click();
    assert.equal(await panel.page.locator('#diff th[aria-sort="descending"]').innerText(), 'FLOPs saved ▼');
    const top = [...changed].sort((a, b) => (b.flopsBefore - b.flopsAfter) - (a.flopsBefore - a.flopsAfter))[0];
    assert.equal(await rows.first().locator('th').innerText(), top.layer);
    await panel.page.locator('#diff th button', { hasText: 'FLOPs saved' }).click();
    assert.match(await panel.page.locator('#diff th[aria-sort="ascending"]').innerText(), /FLOPs saved ▲/);
    await panel.page.locator('#diff-changed').uncheck();
    assert.equal(await rows.count(), diff.length);
    await panel.page.close();
  });
});

describe('per-layer budgets', () => {
  test('posts the budget for the host to save, and shows the recipe the host sends back', async () => {
    const panel = await loaded('dark');
    const layer = report.layers[1].layer;
    const forecast = panel.page.locator('#graph .forecast');
    assert.match(await forecast.innerText(), new RegExp(`^Next run at rate ${report.config.rate}: FLOPs [\\d.]+ [kM] → [\\d.]+ [kM]`));
    const plain = await forecast.innerText();
    await arrowTo(panel, layer);
    await panel.page.locator('#budget-choice').selectOption('rate');
    await panel.page.locator('#budget-rate').fill('1.5');
    assert.equal(await panel.page.getByRole('button', { name: 'Save to recipe' }).isDisabled(), true, 'an out-of-range rate cannot be saved');
    await panel.page.locator('#budget-rate').fill('0.3');
    await panel.page.getByRole('button', { name: 'Save to recipe' }).click();
    const msg = await panel.waitForSent((m) => m.type === 'setLayerBudget');
    assert.deepEqual(msg, { type: 'setLayerBudget', layer, budget: { rate: 0.3 } });
    await panel.deliver({ type: 'setup', defaults: recordedConfig(events), modelName: 'resnet', recipe: { version: 1, layers: { [layer]: { rate: 0.3 } } } });
    await panel.page.waitForFunction((l) => (globalThis as unknown as PageDoc).document.querySelector(`#graph .gnode[data-layer="${l}"] .gbadge`)?.textContent === 'η 0.3', layer);
    assert.match(await panel.page.locator('#graph .budget').innerText(), /Saved: rate 0.3/);
    // The forecast follows the recipe: one layer at 0.3 instead of the run's rate keeps more.
    assert.match(await forecast.innerText(), /with 1 layer budget:/);
    assert.notEqual(await forecast.innerText(), plain);
    await panel.page.locator('#budget-choice').selectOption('never');
    await panel.page.getByRole('button', { name: 'Save to recipe' }).click();
    await panel.waitForSent((m) => m.type === 'setLayerBudget' && m.budget !== null && 'prune' in m.budget);
    // Without a model the host cannot write a recipe: the control says so and is disabled.
    await panel.deliver({ type: 'setup', defaults: recordedConfig(events), modelName: null });
    await panel.page.waitForFunction(() => (globalThis as unknown as PageDoc).document.querySelector('#budget-choice')?.disabled === true);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('screenshots of editing a budget in light, dark and high contrast', async () => {
    const panel = await loaded('light');
    const layer = report.layers[2].layer;
    await arrowTo(panel, layer);
    // The state after a save: the host sent the recipe back, the node shows its own rate.
    await panel.deliver({ type: 'setup', defaults: recordedConfig(events), modelName: 'resnet', recipe: { version: 1, layers: { [layer]: { rate: 0.25 } } } });
    await panel.page.locator(`#graph .gnode[data-layer="${layer}"] .gbadge`, { hasText: 'η 0.25' }).waitFor();
    await panel.page.locator('#graph .budget', { hasText: 'Saved: rate 0.25' }).waitFor();
    assert.equal(await panel.page.locator('#budget-choice').inputValue(), 'rate');
    assert.equal(await panel.page.locator('#budget-rate').inputValue(), '0.25');
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await panel.setTheme(theme);
      const box = await panel.page.evaluate<{ x: number; y: number; width: number; height: number }>(`(() => {
        scrollTo(0, 0);
        const r = document.querySelector('#graph .graph-wrap').getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
      })()`);
      await panel.page.screenshot({ path: join(RESULTS, `budget-${theme}.png`), fullPage: true, clip: box });
    }
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('screenshots of the graph and the table in light, dark and high contrast', async () => {
    const panel = await loaded('light');
    await arrowTo(panel, report.layers[2].layer);
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await panel.setTheme(theme);
      // Clipped from a full-page shot at scroll 0: an element shot scrolls the section under the sticky header.
      for (const [id, name] of [['#graph', 'graph'], ['#diff', 'diff']] as const) {
        const box = await panel.page.evaluate<{ x: number; y: number; width: number; height: number }>(`(() => {
          scrollTo(0, 0);
          const r = document.querySelector('${id}').getBoundingClientRect();
          return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
        })()`);
        await panel.page.screenshot({ path: join(RESULTS, `${name}-${theme}.png`), fullPage: true, clip: box });
      }
    }
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });
});
