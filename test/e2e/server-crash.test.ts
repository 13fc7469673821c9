/**
 * Lifecycle in a real VS Code: Inspect Model shows the model's table; when the language server dies mid-run, the
 * extension restarts it once, tells the user, marks the run interrupted, and Resume Run finishes it.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { useSession } from './harness/session';
import { languageServerPids } from './harness/code-server';
import { PANEL } from './harness/panel';
import { explorerRow, runCommand, screenshot, statusItem, waitForFrameText, waitForToast, withFailureShot } from './harness/workbench';

const session = useSession();

/** Polls until `probe` returns a non-empty list (the server process appears a moment after activation). */
async function eventually<T>(probe: () => T[], timeoutMs: number, what: string): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found.length > 0) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a server crash mid-run: restarted once, the user told, the run interrupted and resumable to the end', { timeout: 300_000 }, async () => {
  const page = session.bench.page;
  const live = session.server;
  await withFailureShot(page, 'crash', async () => {
    await explorerRow(page, session.fixture.label).waitFor({ timeout: 30_000 });
    // Inspect first: proves the server is up (initialized) before it is killed, as in a real crash.
    await runCommand(page, 'dcp.inspectModel', 'DCP: Inspect Model');
    const text = await waitForFrameText(page, /convolutions are prunable/, 60_000);
    assert.match(text, /conv2_conv/);
    await screenshot(page, '05-inspect-model');

    await runCommand(page, 'dcp.pruneModel', 'DCP: Prune Model');
    // Past head training (15 %), so selection has started and there is something to resume from.
    await statusItem(page).filter({ hasText: /DCP vgg (1[6-9]|[2-9]\d)%/ }).waitFor({ timeout: 120_000 });
    const [first] = await eventually(() => languageServerPids(live), 10_000, 'the language server process');
    process.kill(first, 'SIGKILL');
    await waitForToast(page, /pruning server crashed and was restarted\. 1 run\(s\) were interrupted/, 60_000);
    await statusItem(page).filter({ hasText: /interrupted/ }).waitFor({ timeout: 10_000 });
    // The panel learns it from the extension (the engine died with the server) and offers Resume.
    await PANEL(page).badge('failed').waitFor({ timeout: 10_000 });
    const [second] = await eventually(() => languageServerPids(live).filter((p) => p !== first), 60_000, 'the restarted language server');
    assert.notEqual(second, first);
    await screenshot(page, '06-server-restarted');

    await runCommand(page, 'dcp.resumeRun', 'DCP: Resume Run');
    await waitForToast(page, /vgg pruned: −\d+% params/, 240_000);
    await PANEL(page).badge('finished').waitFor({ timeout: 30_000 });
    await screenshot(page, '07-resumed-finished');
  });
});
