/**
 * The sensitivity view in a real Chromium, driven by a recorded real analysis (resnet-sensitivity.jsonl, from
 * test/fixtures/events/record-sensitivity.ts): one curve per layer painted in the theme's colours, the table with the
 * suggestion marked, the metric toggle persisted across a reload, a partial stream, the analyse form's checks, and
 * "Apply suggestion" posting the suggestion's recipe. Screenshots in light, dark and high contrast go to test-results/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_RUN_CONFIG } from '../../protocol/settings';
import type { SensitivityEvent, SensitivityResult } from '../../protocol/sensitivity';
import { PanelPage, RESULTS, useBrowserAndHarness } from './harness';
import { THEMES, rgb, type ThemeName } from './themes';

const FIXTURE = process.env.SENSITIVITY_EVENTS ?? join(__dirname, '..', 'fixtures', 'events', 'resnet-sensitivity.jsonl');
const events = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as SensitivityEvent);
const result = (events.at(-1) as Extract<SensitivityEvent, { type: 'sensitivityDone' }>).result as SensitivityResult;

const env = useBrowserAndHarness();

async function waitForSensitivity(panel: PanelPage, count: number): Promise<void> {
  await panel.page.waitForFunction((n) => {
    const ds = (globalThis as unknown as { document: { body: { dataset: Record<string, string | undefined> } } }).document.body.dataset;
    return ds.sensitivityEvents === String(n) && ds.pending === '0';
  }, count);
}

async function loaded(theme: ThemeName, stream: SensitivityEvent[] = events): Promise<PanelPage> {
  const panel = await PanelPage.open(env.browser, env.harness, theme);
  await panel.deliver({ type: 'setup', defaults: DEFAULT_RUN_CONFIG, modelName: 'resnet', recipe: null });
  await panel.deliver({ type: 'sensitivity', reset: true, events: stream });
  await waitForSensitivity(panel, stream.length);
  return panel;
}

const rows = (panel: PanelPage): Promise<string[][]> => panel.page.evaluate<string[][]>(
  `Array.from(document.querySelectorAll('#sensitivity tbody tr'), (tr) => Array.from(tr.cells, (c) => c.textContent))`);

describe('sensitivity view', () => {
  test('the recording is a real analysis with a feasible suggestion', () => {
    assert.ok(result.layers.length >= 2);
    assert.ok(result.suggestion?.feasible, result.suggestion?.message);
    for (const l of result.layers) assert.equal(l.points.length, result.rates.length);
  });

  test('draws one curve per layer and marks the suggestion in the table; Apply posts its recipe', async () => {
    const panel = await loaded('dark');
    const vars = THEMES.dark.vars;
    await panel.waitForInk('sensitivity', rgb(vars['--vscode-charts-blue']), 100);
    await panel.waitForInk('sensitivity', rgb(vars['--vscode-charts-orange']), 100);
    const table = await rows(panel);
    assert.deepEqual(table.map((r) => r[0]), result.layers.map((l) => l.layer));
    for (const [i, l] of result.layers.entries()) {
      const rate = result.suggestion!.rates[l.layer];
      for (const [j, r] of result.rates.entries()) {
        const p = l.points[j];
        assert.ok(table[i][j + 1].startsWith(`${(p.accuracyDrop * 100).toFixed(1)} / `), `${l.layer} @${r}: ${table[i][j + 1]}`);
        assert.equal(table[i][j + 1].endsWith('◆'), r === rate, `${l.layer} @${r}: the suggested rate is marked`);
      }
      assert.equal(table[i].at(-1), rate === 0 ? 'unpruned' : String(rate));
    }
    assert.match(await panel.page.locator('#sensitivity .sensitivity-status').innerText(), new RegExp(`${result.layers.length} layers × ${result.rates.length} rates measured`));
    assert.match(await panel.page.locator('#sensitivity .sensitivity-suggestion').innerText(), /Suggestion for 2× fewer FLOPs: [\d.]+×/);
    const apply = panel.page.locator('#sensitivity .apply-suggestion');
    assert.equal(await apply.isEnabled(), true);
    await apply.click();
    const msg = await panel.waitForSent((m) => m.type === 'applyRecipe');
    assert.deepEqual(msg.type === 'applyRecipe' ? msg.recipe : null, result.suggestion!.recipe);
    // Without a model the host cannot write a recipe: the button says so by being disabled.
    await panel.deliver({ type: 'setup', defaults: DEFAULT_RUN_CONFIG, modelName: null });
    await panel.page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { disabled: boolean } | null } })
      .document.querySelector('#sensitivity .apply-suggestion')?.disabled === true);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('the metric toggle switches to joint loss and survives a reload', async () => {
    const panel = await loaded('light');
    const joint = panel.page.getByRole('button', { name: 'Joint loss' });
    await joint.click();
    assert.equal(await joint.getAttribute('aria-pressed'), 'true');
    assert.equal(await panel.page.getByRole('button', { name: 'Accuracy drop' }).getAttribute('aria-pressed'), 'false');
    await panel.page.reload();
    await panel.waitForSent((m) => m.type === 'ready');
    await panel.deliver({ type: 'sensitivity', reset: true, events });
    await waitForSensitivity(panel, events.length);
    assert.equal(await panel.page.getByRole('button', { name: 'Joint loss' }).getAttribute('aria-pressed'), 'true', 'restored from setState');
    await panel.waitForInk('sensitivity', rgb(THEMES.light.vars['--vscode-charts-blue']), 100);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('a partial stream shows progress; the form checks rates before asking the host', async () => {
    const cut = events.findIndex((e) => e.type === 'sensitivityLayerStarted' && e.index === 1);
    const panel = await loaded('dark', events.slice(0, cut + 1));
    assert.match(await panel.page.locator('#sensitivity .sensitivity-status').innerText(), /Measuring \S+ \(1 of \d+ layers done\)/);
    assert.equal(await panel.page.locator('#sensitivity .apply-suggestion').isEnabled(), false);
    assert.equal(await panel.page.getByRole('button', { name: 'Analyse sensitivity' }).isEnabled(), false, 'one analysis at a time');
    await panel.deliver({ type: 'sensitivity', reset: false, events: events.slice(cut + 1) });
    await waitForSensitivity(panel, events.length);
    const rates = panel.page.getByLabel('Rates to measure');
    await rates.fill('0.2,1.5');
    await panel.page.getByRole('button', { name: 'Analyse sensitivity' }).click();
    assert.match(await panel.page.locator('#sensitivity .problems').innerText(), /"1\.5" is not a rate in \(0, 1\)/);
    assert.ok(!(await panel.sent()).some((m) => m.type === 'startSensitivity'));
    await rates.fill('0.6, 0.2');
    await panel.page.getByLabel('Target FLOPs reduction').fill('1.5');
    await panel.page.getByRole('button', { name: 'Analyse sensitivity' }).click();
    const msg = await panel.waitForSent((m) => m.type === 'startSensitivity');
    assert.deepEqual(msg.type === 'startSensitivity' ? [msg.rates, msg.targetFlops] : null, [[0.2, 0.6], 1.5]);
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });

  test('screenshots in light, dark and high contrast', async () => {
    const panel = await loaded('light');
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await panel.setTheme(theme);
      await panel.waitForInk('sensitivity', rgb(THEMES[theme].vars['--vscode-charts-blue']), 100);
      const box = await panel.page.evaluate<{ x: number; y: number; width: number; height: number }>(`(() => {
        scrollTo(0, 0);
        const r = document.querySelector('#sensitivity').getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
      })()`);
      await panel.page.screenshot({ path: join(RESULTS, `sensitivity-${theme}.png`), fullPage: true, clip: box });
    }
    assert.deepEqual(panel.errors, []);
    await panel.page.close();
  });
});
