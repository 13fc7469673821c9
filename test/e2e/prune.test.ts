/**
 * End-to-end, in a real VS Code (code-server 1.139 + headless chromium): install the packaged .vsix, open a
 * workspace with a model, run "DCP: Prune Model" from the palette, watch the panel fill while the run streams,
 * see it finish with a summary, load the pruned model it wrote; then start a second run from the explorer's
 * context menu and cancel it. Screenshots go to test-results/e2e/.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { useSession } from './harness/session';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel } from '../../server/io/model-files';
import { PANEL, paintedPixels, summaryRow } from './harness/panel';
import { explorerContextCommand, explorerRow, runCommand, screenshot, statusItem, waitForToast, withFailureShot } from './harness/workbench';

const RUN_TIMEOUT = 240_000;
const session = useSession();

test('Prune Model from the palette streams into the panel and writes a loadable pruned model', { timeout: RUN_TIMEOUT + 60_000 }, async () => {
  const page = session.bench.page;
  await withFailureShot(page, 'prune', async () => {
    await explorerRow(page, session.fixture.label).waitFor({ timeout: 30_000 });
    await screenshot(page, '01-workbench');

    await runCommand(page, 'dcp.pruneModel', 'DCP: Prune Model');
    const panel = PANEL(page);
    // While the run streams: the panel shows it running with its layers, the status bar a percentage.
    await panel.badge('running').waitFor({ timeout: 60_000 });
    await panel.layerRows.first().waitFor({ state: 'attached', timeout: 60_000 });
    await statusItem(page).filter({ hasText: /DCP vgg \d+%/ }).waitFor({ timeout: 30_000 });
    await screenshot(page, '02-panel-streaming');
    assert.ok((await panel.layerRows.count()) >= 2, 'the overview lists the prunable layers');

    const toast = await waitForToast(page, /vgg pruned: −\d+% params/, RUN_TIMEOUT);
    await panel.badge('finished').waitFor({ timeout: 30_000 });
    const [paramsBefore, , paramsAfter, change] = await summaryRow(panel, 'Parameters');
    assert.notEqual(paramsBefore, paramsAfter, `summary shows fewer params: ${paramsBefore} → ${paramsAfter} (${change})`);
    assert.ok((await paintedPixels(panel.overviewCanvas)) > 500, 'the overview chart is drawn');
    await screenshot(page, '03-run-finished');

    // The pruned model is where dcp.outputFolder says, and it loads with fewer parameters than the original.
    const outputs = readdirSync(session.fixture.outputRoot).filter((d) => d.startsWith(`${session.fixture.label}-dcp-`));
    assert.equal(outputs.length, 1, `one output folder in ${session.fixture.outputRoot}: ${outputs.join(', ')}`);
    const pruned = join(session.fixture.outputRoot, outputs[0], 'model.json');
    assert.ok(existsSync(pruned), pruned);
    const original = await loadLayersModel(session.fixture.model);
    const model = await loadLayersModel(pruned);
    try {
      assert.ok(model.countParams() < original.countParams(), `${model.countParams()} < ${original.countParams()}`);
      const y = tf.tidy(() => model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor);
      assert.deepEqual(y.shape, [2, 10]);
      y.dispose();
    } finally {
      model.dispose();
      original.dispose();
    }
    assert.match(toast, /FLOPs/);
  });
});

test('a run started from the explorer context menu can be cancelled', { timeout: RUN_TIMEOUT }, async () => {
  const page = session.bench.page;
  await withFailureShot(page, 'cancel', async () => {
    const outputsBefore = readdirSync(session.fixture.outputRoot).length;
    await explorerRow(page, session.fixture.label).click();
    await explorerContextCommand(page, explorerRow(page, 'model.json'), 'Prune Model');
    const panel = PANEL(page);
    await panel.badge('running').waitFor({ timeout: 60_000 });
    await runCommand(page, 'dcp.cancelRun', 'DCP: Cancel Run');
    await waitForToast(page, /cancelled; no model was written/, 120_000);
    await panel.badge('cancelled').waitFor({ timeout: 30_000 });
    await statusItem(page).filter({ hasText: /cancelled/ }).waitFor({ timeout: 10_000 });
    await screenshot(page, '04-run-cancelled');
    assert.equal(readdirSync(session.fixture.outputRoot).length, outputsBefore, 'a cancelled run writes no model');
  });
});
