/**
 * End-to-end, in a real VS Code (code-server + headless chromium): "DCP: Layer Sensitivity" from the palette asks
 * for the rates and the target, the analysis runs in the server's worker, the panel's sensitivity chart fills,
 * sensitivity.json lands next to the model, and "Apply suggestion" writes the model's recipe. Screenshots go to
 * test-results/e2e/.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { test } from 'node:test';
import { parseRecipe, recipePathFor } from '../../protocol/recipe';
import { parseSensitivityResult } from '../../protocol/sensitivity';
import { paintedPixels } from './harness/panel';
import { useSession } from './harness/session';
import { panelFrame, runCommand, screenshot, waitForToast, withFailureShot } from './harness/workbench';

const TIMEOUT = 300_000;
const session = useSession();

test('Layer Sensitivity from the palette fills the panel chart and Apply writes the recipe', { timeout: TIMEOUT + 60_000 }, async () => {
  const page = session.bench.page;
  await withFailureShot(page, 'sensitivity', async () => {
    await runCommand(page, 'dcp.layerSensitivity', 'DCP: Layer Sensitivity');
    const input = page.locator('.quick-input-widget input.input');
    const title = page.locator('.quick-input-widget .quick-input-title');
    await title.filter({ hasText: 'rates to prune each layer at' }).waitFor({ timeout: 30_000 });
    await input.fill('0.3,0.7');
    await page.keyboard.press('Enter');
    await title.filter({ hasText: 'FLOPs reduction' }).waitFor({ timeout: 30_000 });
    await input.fill('1.5');
    await page.keyboard.press('Enter');

    const frame = panelFrame(page);
    const status = frame.locator('#sensitivity .sensitivity-status');
    await status.filter({ hasText: /Measuring|Training heads/ }).waitFor({ timeout: 120_000 });
    await screenshot(page, 'sensitivity-01-streaming');
    await waitForToast(page, /sensitivity done/, TIMEOUT);
    await status.filter({ hasText: /layers × 2 rates measured/ }).waitFor({ timeout: 30_000 });
    assert.ok((await paintedPixels(frame.locator('#sensitivity canvas').first())) > 500, 'the sensitivity chart is drawn');
    await screenshot(page, 'sensitivity-02-done');

    const resultFile = join(dirname(session.fixture.model), 'sensitivity.json');
    assert.ok(existsSync(resultFile), resultFile);
    const result = parseSensitivityResult(JSON.parse(readFileSync(resultFile, 'utf8')));
    assert.ok(result.suggestion?.feasible, result.suggestion?.message);

    await frame.locator('#sensitivity .apply-suggestion').click();
    const recipeFile = recipePathFor(session.fixture.model);
    const deadline = Date.now() + 30_000;
    while (!existsSync(recipeFile) && Date.now() < deadline) await page.waitForTimeout(200);
    assert.deepEqual(parseRecipe(JSON.parse(readFileSync(recipeFile, 'utf8'))), result.suggestion.recipe);
    await screenshot(page, 'sensitivity-03-applied');
  });
});
