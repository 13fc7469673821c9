/**
 * End-to-end, the VS Code conventions around runs: the DCP activity-bar container with its Runs view (welcome
 * content while there are none), the walkthrough opened from that welcome content, a run started from the view
 * that the view follows live and lists when finished, its inline Show Run Report action, and Delete Run with its
 * confirmation. Screenshots go to test-results/e2e/runs-*.png.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { useSession } from './harness/session';
import { screenshot, waitForFrameText, withFailureShot } from './harness/workbench';

const RUN_TIMEOUT = 240_000;
const session = useSession();

/** The Runs view's pane (its body, below the title). */
const runsPane = (page: Page): Locator => page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^Runs/i }) }).locator('.pane-body');
const runRows = (page: Page): Locator => runsPane(page).locator('.monaco-list-row');

/** Opens the DCP container from the activity bar (where a user finds it). */
async function openRunsView(page: Page): Promise<void> {
  const item = page.locator('.activitybar .action-item a[aria-label^="DCP Pruning"], .activitybar .action-item .action-label[aria-label^="DCP Pruning"]').first();
  await item.waitFor({ timeout: 60_000 });
  const expanded = await item.locator('xpath=..').getAttribute('aria-expanded').catch(() => null);
  if (expanded !== 'true') await item.click();
  await runsPane(page).waitFor({ timeout: 30_000 });
}

test('the Runs view welcomes, opens the walkthrough, follows a run, opens its report and deletes it', { timeout: RUN_TIMEOUT + 120_000 }, async () => {
  const page = session.bench.page;
  await withFailureShot(page, 'runs', async () => {
    await openRunsView(page);
    const welcome = runsPane(page).locator('.welcome-view-content');
    await welcome.filter({ hasText: 'No pruning runs in this workspace yet' }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'runs-01-welcome');

    // The walkthrough, from the welcome content's link: its title and the README's five steps.
    await welcome.getByRole('button', { name: 'Get Started with DCP' }).click();
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.getByText('Prune a TF.js model with DCP').first().waitFor({ timeout: 30_000 });
    for (const step of ['Open a model.json', 'Inspect it', 'Prune it', 'Watch the pruning panel', 'Read the report, find your runs']) {
      await walkthrough.locator('.getting-started-step', { hasText: step }).first().waitFor({ timeout: 10_000 });
    }
    // The open step shows its Markdown media beside it (a webview).
    await waitForFrameText(page, /A TF\.js Layers model in the editor/, 30_000);
    await screenshot(page, 'runs-02-walkthrough');

    // A run started from the welcome content's button; the view follows it while it runs and when it ends.
    await openRunsView(page);
    await welcome.getByRole('button', { name: 'Prune a Model' }).click();
    const row = runRows(page).filter({ hasText: session.fixture.label }).first();
    await row.filter({ hasText: /dcp η 0\.5 · [1-9]\d*%/ }).waitFor({ timeout: 120_000 });
    await screenshot(page, 'runs-03-running');
    await row.filter({ hasText: /FLOPs −\d+% · \d+\.\d+% · just now/ }).waitFor({ timeout: RUN_TIMEOUT });
    assert.equal(await runRows(page).count(), 1, 'one run listed');
    await row.hover();
    await screenshot(page, 'runs-04-finished');

    // Its inline action opens the report.
    await row.locator('.actions .action-label[aria-label="Show Run Report"]').click();
    const report = await waitForFrameText(page, /DCP run \S+: vgg/, 60_000);
    assert.match(report, /Params −\d+\.\d%, FLOPs −\d+\.\d%/);
    await screenshot(page, 'runs-05-report');

    // Delete, from the context menu, after the modal confirmation: the view is empty again; the pruned model stays
    // (dcp.outputFolder puts it outside the run's history folder).
    const pruned = readdirSync(session.fixture.outputRoot).filter((d) => d.startsWith(`${session.fixture.label}-dcp-`));
    assert.equal(pruned.length, 1);
    const runsRoot = join(session.fixture.workspace, session.fixture.label, '.dcp-runs');
    assert.equal(readdirSync(runsRoot).length, 1, 'one history folder');
    await row.click({ button: 'right' });
    const menu = page.locator('.monaco-menu');
    const entry = menu.locator('.action-item', { has: page.locator('.action-label', { hasText: 'Delete Run' }) }).first();
    await entry.waitFor({ state: 'visible', timeout: 10_000 });
    await entry.hover();
    await menu.locator('.action-item.focused', { hasText: 'Delete Run' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.filter({ hasText: /Delete the DCP run on vgg/ }).waitFor({ timeout: 10_000 });
    assert.match((await dialog.textContent()) ?? '', /The pruned model in .* is kept/);
    await screenshot(page, 'runs-06-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await welcome.filter({ hasText: 'No pruning runs in this workspace yet' }).waitFor({ timeout: 30_000 });
    assert.equal(readdirSync(runsRoot).length, 0, 'the history folder is gone');
    assert.ok(existsSync(join(session.fixture.outputRoot, pruned[0], 'model.json')), 'the pruned model is kept');
    await screenshot(page, 'runs-07-deleted');
  });
});
