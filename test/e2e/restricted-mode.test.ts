/**
 * Workspace trust in a real VS Code: in Restricted Mode the extension still activates and inspects models, but
 * offers no command that would run pruning (capabilities.untrustedWorkspaces: limited).
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { closeSession, openSession } from './harness/session';
import { type CodeServer } from './harness/code-server';
import { type Fixture } from './harness/fixture';
import { explorerRow, paletteCommandIds, runCommand, screenshot, waitForFrameText, withFailureShot, type Workbench } from './harness/workbench';

let server: CodeServer | undefined;
let bench: Workbench | undefined;
let fixture: Fixture;

// Trust on, and no start-up prompt: the folder opens in Restricted Mode, as an unknown download would.
before(async () => {
  ({ server, bench, fixture } = await openSession({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' }));
}, { timeout: 300_000 });

after(() => closeSession(server, bench));

test('Restricted Mode: Inspect Model works, pruning commands are not offered', { timeout: 180_000 }, async () => {
  const page = (bench as Workbench).page;
  await withFailureShot(page, 'restricted', async () => {
    await explorerRow(page, fixture.label).waitFor({ timeout: 30_000 });
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
