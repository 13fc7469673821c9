/**
 * Workspace trust in a real VS Code: in Restricted Mode the extension still activates and inspects models, but
 * offers no command that would run pruning (capabilities.untrustedWorkspaces: limited).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { useSession } from './harness/session';
import { explorerRow, paletteCommandIds, runCommand, screenshot, waitForFrameText, withFailureShot } from './harness/workbench';

// Trust on, and no start-up prompt: the folder opens in Restricted Mode, as an unknown download would.
const session = useSession({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' });

test('Restricted Mode: Inspect Model works, pruning commands are not offered', { timeout: 180_000 }, async () => {
  const page = session.bench.page;
  await withFailureShot(page, 'restricted', async () => {
    await explorerRow(page, session.fixture.label).waitFor({ timeout: 30_000 });
    const ids = await paletteCommandIds(page, 'DCP:', 'dcp.inspectModel');
    assert.ok(ids.includes('dcp.openPanel'), ids.join(', '));
    for (const hidden of ['dcp.pruneModel', 'dcp.resumeRun', 'dcp.compareMethods', 'dcp.selectDataset']) {
      assert.ok(!ids.includes(hidden), `${hidden} is offered in Restricted Mode: ${ids.join(', ')}`);
    }
    await runCommand(page, 'dcp.inspectModel', 'DCP: Inspect Model');
    const text = await waitForFrameText(page, /convolutions are prunable/, 60_000);
    assert.match(text, /conv2_conv/);
    await screenshot(page, '08-restricted-mode-inspect');
  });
});
