/**
 * Workspace trust in a real VS Code: in Restricted Mode the extension still activates and inspects models, but
 * offers no command that would run pruning (capabilities.untrustedWorkspaces: limited).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { installVsix, makeTempDirs, REPO, startCodeServer, toolsInstalled, type CodeServer } from './harness/code-server';
import { makeWorkspace, type Fixture } from './harness/fixture';
import { explorerRow, openWorkbench, paletteCommandIds, runCommand, screenshot, waitForFrameText, withFailureShot, type Workbench } from './harness/workbench';

let server: CodeServer | undefined;
let bench: Workbench | undefined;
let fixture: Fixture;

before(async () => {
  if (!toolsInstalled()) throw new Error('code-server/Node 24 are missing: run `npm run setup:e2e` (test:e2e does)');
  const pack = spawnSync('npm', ['run', 'package'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(pack.status, 0, `npm run package failed:\n${pack.stdout}\n${pack.stderr}`);
  // Trust on, and no start-up prompt: the folder opens in Restricted Mode, as an unknown download would.
  const dirs = makeTempDirs({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' });
  installVsix(dirs, join(REPO, 'dcp-pruner.vsix'));
  fixture = await makeWorkspace(dirs.root);
  server = await startCodeServer(dirs, join(dirs.root, 'code-server.log'));
  bench = await openWorkbench(server, fixture.workspace);
}, { timeout: 300_000 });

after(async () => {
  if (bench) await bench.close().catch(() => undefined);
  if (server) await server.stop();
  // Kept after a failure: code-server.log and the user-data logs there are the next clue.
  if (server && !process.exitCode) rmSync(server.dirs.root, { recursive: true, force: true });
});

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
