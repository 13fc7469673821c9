/**
 * Per-layer budgets end to end, in a real VS Code (code-server + headless chromium): open the example model, run
 * once (the panel's graph is drawn from a run's model summary), pick one prunable conv in the graph and give it its
 * own rate in the budget control; the recipe file appears next to the model with that rate and the model.json's
 * budget CodeLens follows without reopening (so does a hand edit of the recipe). A second run started from the panel
 * applies the recipe: its report has that layer kept at c − ⌊η·c⌋, a "never" layer whole, and every other prunable
 * conv at the global rate. Screenshots go to test-results/e2e/budget-*.png.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunReport } from '../../protocol/model';
import { recipePathFor } from '../../protocol/recipe';
import { E2E_SETTINGS } from './harness/fixture';
import { PANEL } from './harness/panel';
import { useSession } from './harness/session';
import { explorerRow, panelFrame, runCommand, screenshot, waitForToast, withFailureShot } from './harness/workbench';

const RUN_TIMEOUT = 240_000;
/** conv3_conv has 16 input channels: at 0.25 it keeps 16 − ⌊0.25·16⌋ = 12; conv5_conv is set to never by hand. */
const LAYER = 'conv3_conv';
const RATE = 0.25;
const NEVER = 'conv5_conv';
const session = useSession();

const kept = (c: number, rate: number): number => Math.max(1, c - Math.floor(rate * c));

/** Waits until `read` returns a value (polling a file the extension writes); fails after `ms` with `what`. */
async function until<T>(page: Page, read: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await page.waitForTimeout(200);
  }
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined; // not there yet (or mid-rename)
  }
};

/** The budget CodeLens titles shown in the model.json editor. */
const lensTitles = (page: Page) => page.locator('.monaco-editor .codelens-decoration a').filter({ hasText: /^DCP budget/ });

/** The newest report.json under the output folder that is not one of `before`. */
function newReport(root: string, before: ReadonlySet<string>): RunReport | undefined {
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => !before.has(d) && d.startsWith(`${session.fixture.label}-dcp-`)) : [];
  if (dirs.length !== 1) return undefined;
  return readJson(join(root, dirs[0], 'report.json')) as RunReport | undefined;
}

test('a per-layer rate set in the panel graph is saved to the recipe, shown in the CodeLens and applied by the next run', { timeout: 2 * RUN_TIMEOUT + 60_000 }, async () => {
  const page = session.bench.page;
  const fx = session.fixture;
  const recipeFile = recipePathFor(fx.model);
  await withFailureShot(page, 'budget', async () => {
    // Open the model.json (its CodeLenses are checked later); the folder row is expanded first.
    await explorerRow(page, fx.label).waitFor({ timeout: 30_000 });
    const modelRow = explorerRow(page, 'model.json');
    for (let i = 0; i < 5 && !(await modelRow.isVisible()); i++) {
      await explorerRow(page, fx.label).click();
      await modelRow.waitFor({ timeout: 5000 }).catch(() => undefined);
    }
    await modelRow.click();
    await page.locator('.monaco-editor .codelens-decoration', { hasText: 'Prune with DCP' }).first().waitFor({ timeout: 60_000 });
    await lensTitles(page).first().waitFor({ timeout: 60_000 });
    assert.ok((await lensTitles(page).allTextContents()).every((t) => t === 'DCP budget: run rate'), 'no recipe yet: every conv at the run rate');

    // Run 1, no recipe: the panel then draws the model's graph.
    await runCommand(page, 'dcp.pruneModel', 'DCP: Prune Model');
    await waitForToast(page, /vgg pruned: −\d+% params/, RUN_TIMEOUT);
    const panel = PANEL(page);
    await panel.badge('finished').waitFor({ timeout: 30_000 });
    const frame = panelFrame(page);
    const first = await until(page, () => newReport(fx.outputRoot, new Set()), 30_000, 'the first run\'s report');
    const channels = new Map(first.layers.map((l) => [l.layer, l.inChannels]));
    assert.ok(channels.has(LAYER) && channels.has(NEVER), `prunable: ${[...channels.keys()].join(', ')}`);

    // Click the layer's node in the graph (fitted whole first, so the node is on screen), then edit its budget.
    const viewport = frame.locator('#graph .graph-viewport');
    await viewport.scrollIntoViewIfNeeded();
    await viewport.focus();
    await page.keyboard.press('0');
    await frame.locator(`#graph .gnode[data-layer="${LAYER}"]`).click();
    await frame.locator(`#graph .gnode.cursor[data-layer="${LAYER}"]`).waitFor({ timeout: 10_000 });
    await frame.locator('#graph .graph-detail .layer-name', { hasText: LAYER }).waitFor({ timeout: 10_000 });
    await frame.locator('#budget-choice').selectOption('rate');
    await frame.locator('#budget-rate').fill(String(RATE));
    await frame.getByRole('button', { name: 'Save to recipe' }).click();
    // The host writes the file and sends the recipe back: the node's badge and the control say so.
    await frame.locator(`#graph .gnode[data-layer="${LAYER}"] .gbadge`, { hasText: `η ${RATE}` }).waitFor({ timeout: 30_000 });
    await frame.locator('#graph .budget', { hasText: `Saved: rate ${RATE}` }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'budget-01-set-in-graph');
    const saved = await until(page, () => readJson(recipeFile), 10_000, recipeFile);
    assert.deepEqual(saved, { version: 1, layers: { [LAYER]: { rate: RATE } } });

    // The model.json's budget lens follows the file without reopening it (workspace/codeLens/refresh).
    await lensTitles(page).filter({ hasText: `DCP budget: rate ${RATE}` }).waitFor({ timeout: 30_000 });
    // A hand edit of the recipe too, and the panel's graph picks it up as well.
    writeFileSync(recipeFile, `${JSON.stringify({ version: 1, layers: { [LAYER]: { rate: RATE }, [NEVER]: { prune: false } } }, null, 2)}\n`);
    await lensTitles(page).filter({ hasText: 'DCP budget: never prune' }).waitFor({ timeout: 30_000 });
    await frame.locator(`#graph .gnode[data-layer="${NEVER}"] .gbadge`, { hasText: 'never' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'budget-02-lens-follows-recipe');

    // Run 2, started from the panel's run controls: it reads the recipe next to the model.
    const before = new Set(readdirSync(fx.outputRoot));
    await frame.locator('#controls button[type="submit"]', { hasText: 'Start' }).click();
    await panel.badge('running').waitFor({ timeout: 60_000 });
    await panel.badge('finished').waitFor({ timeout: RUN_TIMEOUT });
    const report = await until(page, () => newReport(fx.outputRoot, before), 30_000, 'the second run\'s report');
    assert.deepEqual(report.recipe, { version: 1, layers: { [LAYER]: { rate: RATE }, [NEVER]: { prune: false } } });
    const globalRate = E2E_SETTINGS['dcp.rate'];
    for (const l of report.layers) {
      const want = l.layer === LAYER ? kept(l.inChannels, RATE) : l.layer === NEVER ? l.inChannels : kept(l.inChannels, globalRate);
      assert.equal(l.kept.length, want, `${l.layer}: kept ${l.kept.length} of ${l.inChannels}, expected ${want}`);
    }
    assert.ok(report.layers.some((l) => l.layer === LAYER), `${LAYER} is in the report`);
    // A never-pruned layer is not selected at all; the report says so by leaving it out or keeping it whole.
    const never = report.layers.find((l) => l.layer === NEVER);
    if (never) assert.equal(never.kept.length, never.inChannels);
    // The panel shows the same: the layer's node reads kept / total.
    await frame.locator(`#graph .gnode[data-layer="${LAYER}"] .gsub`, { hasText: `${kept(channels.get(LAYER)!, RATE)}/${channels.get(LAYER)!}` }).waitFor({ timeout: 10_000 });
    // The run controls: the engine's forecast with the measured time per phase, and the next run's forecast.
    await frame.locator('#forecast-line', { hasText: /About .* in all; took / }).waitFor({ timeout: 10_000 });
    await frame.locator('#forecast-next', { hasText: 'Next run with these settings: about' }).waitFor({ timeout: 10_000 });
    assert.ok(report.phases && report.phases.find((p) => p.phase === 'selection')!.seconds > 0, 'the report times the phases');
    await frame.locator(`#graph .gnode[data-layer="${LAYER}"]`).scrollIntoViewIfNeeded();
    await screenshot(page, 'budget-03-second-run');
    await frame.locator('#forecast').scrollIntoViewIfNeeded();
    await screenshot(page, 'budget-04-forecast');
  });
});
