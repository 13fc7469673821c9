/**
 * The panel while a run streams: charts and progress follow the events, the controls post typed messages,
 * a burst of thousands of single-event messages is absorbed without long tasks, a reload restores the UI state,
 * and malformed messages are ignored.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunEvent } from '../../protocol/model';
import { SYNTHETIC_CONFIG, synthetic } from '../fixtures/events/synthetic';
import { PanelPage, startBrowserAndHarness, type Harness } from './harness';

const RESULTS = join(__dirname, '..', '..', 'test-results');
let browser: Browser;
let harness: Harness;

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  ({ browser, harness } = await startBrowserAndHarness());
});
after(async () => {
  await browser?.close();
  await harness?.close();
});

/** Index just after the `layerDone` of the n-th layer (1-based). */
function afterLayer(events: RunEvent[], n: number): number {
  let seen = 0;
  return events.findIndex((e) => e.type === 'layerDone' && ++seen === n) + 1;
}

test('a streamed run updates progress, charts and controls', async () => {
  const events = synthetic();
  const panel = await PanelPage.open(browser, harness, 'dark');
  await panel.deliver({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: 'resnet20' });
  await panel.deliver({ type: 'showRun', runId: 'live', events: events.slice(0, 1) });
  await panel.waitForEvents(1);
  const header = panel.page.locator('.header');
  assert.match(await header.innerText(), /Starting/);

  // Stream up to the middle of the 5th layer's selection, in host-sized batches, without waiting in between.
  const mid = afterLayer(events, 4) + 6;
  for (let i = 1; i < mid; i += 25) await panel.deliver({ type: 'events', runId: 'live', events: events.slice(i, Math.min(mid, i + 25)) });
  await panel.waitForEvents(mid);
  const text = await header.innerText();
  assert.match(text, /Selecting channels/);
  assert.match(text, /stage 2 of 3 · layer 5 of 9: s1b1_conv2 · \d+ of 16 channels/);
  assert.match(text, /ETA \d+ (s|min)/);
  const pct = Number(await panel.page.locator('.progress').getAttribute('aria-valuenow'));
  assert.ok(pct > 10 && pct < 90, `progress ${pct}%`);
  // The panel follows the layer being selected; the overview knows which layers are decided.
  assert.equal(await panel.selectedLayer(), 's1b1_conv2');
  const overview = await panel.page.locator('#overview tbody tr').allInnerTexts();
  assert.match(overview[0], /s0b0_conv2\s+8\s+8\s+0\s+done/);
  assert.match(overview[4], /s1b1_conv2\s+\d+\s+0\s+\d+\s+selecting/);
  assert.match(overview[8], /s2b2_conv2\s+0\s+0\s+64\s+pending/);
  await panel.page.screenshot({ path: join(RESULTS, 'panel-streaming.png'), fullPage: true });

  // Keyboard focus in a chart's table survives the re-renders of a live run.
  await panel.page.getByRole('button', { name: 'Show data tables' }).click();
  await panel.page.getByRole('button', { name: 'Select layer s0b1_conv2' }).focus();
  await panel.deliver({ type: 'events', runId: 'live', events: events.slice(mid, mid + 3) });
  await panel.waitForEvents(mid + 3);
  assert.equal(await panel.page.evaluate<string | null>(`document.activeElement.getAttribute('aria-label')`), 'Select layer s0b1_conv2');
  await panel.page.keyboard.press('Enter');
  await panel.waitForSent((m) => m.type === 'selectLayer' && m.layer === 's0b1_conv2');
  assert.equal(await panel.selectedLayer(), 's0b1_conv2');
  await panel.page.getByRole('button', { name: 'Follow the run' }).click();
  assert.equal(await panel.selectedLayer(), 's1b1_conv2');

  // Controls while running: Start is off, Cancel posts the run id; Resume comes back after the cancel event.
  assert.equal(await panel.page.getByRole('button', { name: 'Start' }).isDisabled(), true);
  await panel.page.getByRole('button', { name: 'Cancel' }).click();
  await panel.waitForSent((m) => m.type === 'cancel' && m.runId === 'live');
  await panel.deliver({ type: 'events', runId: 'live', events: [{ type: 'runCancelled', time: events[mid + 2].time + 10 }] });
  await panel.waitForEvents(mid + 4);
  await panel.page.getByRole('button', { name: 'Resume' }).click();
  await panel.waitForSent((m) => m.type === 'resume' && m.runId === 'live');
  await panel.page.locator('#f-rate').fill('0.3');
  await panel.page.locator('#f-method').selectOption('dkp');
  await panel.page.getByRole('button', { name: 'Start' }).click();
  const start = await panel.waitForSent((m) => m.type === 'start');
  assert.ok(start.type === 'start' && start.config.rate === 0.3 && start.config.method === 'dkp', JSON.stringify(start));
  assert.deepEqual(panel.errors, []);
  await panel.page.close();
});

test('absorbs thousands of single-event messages in short frames', async (t) => {
  const events = synthetic({ batches: 400 });
  assert.ok(events.length > 2500);
  const panel = await PanelPage.open(browser, harness, 'dark');
  await panel.deliver({ type: 'showRun', runId: 'burst', events: [] });
  await panel.waitForEvents(0);
  // Time every animation-frame callback (the panel does all its work in them) from here on.
  await panel.page.evaluate(`(() => {
    const raf = window.requestAnimationFrame.bind(window);
    window.__frames = [];
    window.requestAnimationFrame = (cb) => raf((t) => {
      const s = performance.now();
      cb(t);
      window.__frames.push(performance.now() - s);
    });
  })()`);
  // Worst case: a host that does not batch. Every event is its own message, all posted at once.
  await panel.page.evaluate((all) => {
    const g = globalThis as unknown as { __dcpTest: { deliver(m: unknown): void } };
    for (const e of all) g.__dcpTest.deliver({ type: 'events', runId: 'burst', events: [e] });
  }, events);
  await panel.waitForEvents(events.length);
  const frames = await panel.page.evaluate<number[]>('window.__frames');
  t.diagnostic(`${events.length} messages in ${frames.length} frames: ${frames.map((d) => d.toFixed(0)).join(', ')} ms`);
  // Work is sliced (8 ms of reducing per frame) and rendered once per frame: a few frames, not one per message and
  // not one giant frame. Frames take ~10-50 ms here (software canvas); the bound leaves slack for a busy 2-core box.
  assert.ok(frames.length > 1 && frames.length < 100, `${frames.length} frames`);
  assert.ok(Math.max(...frames) < 250, `a frame took ${Math.max(...frames).toFixed(0)} ms`);
  assert.match(await panel.page.locator('.header').innerText(), /Finished/);
  await panel.page.close();
});

test('a reloaded webview restores its UI state and takes the replay', async () => {
  const events = synthetic();
  const panel = await PanelPage.open(browser, harness, 'dark');
  const show = async (): Promise<void> => {
    await panel.deliver({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: 'resnet20' });
    await panel.deliver({ type: 'showRun', runId: 'run-r', events });
    await panel.waitForEvents(events.length);
  };
  await show();
  await panel.page.locator('#overview canvas').focus();
  await panel.page.keyboard.press('Home');
  await panel.page.getByRole('button', { name: 'Show data tables' }).click();
  await panel.page.locator('#f-lambda').fill('0.1');
  // VS Code destroys a hidden webview and re-creates it: the new document says `ready`, the host replays.
  await panel.page.reload();
  await panel.waitForSent((m) => m.type === 'ready');
  await show();
  assert.equal(await panel.selectedLayer(), 's0b0_conv2');
  assert.equal(await panel.page.getByRole('button', { name: 'Hide data tables' }).count(), 1);
  assert.equal(await panel.page.locator('#f-lambda').inputValue(), '0.1');
  await panel.page.close();
});

test('ignores malformed messages and events of other runs', async () => {
  const events = synthetic().slice(0, 40);
  const panel = await PanelPage.open(browser, harness, 'dark');
  await panel.deliver({ type: 'showRun', runId: 'a', events });
  await panel.waitForEvents(events.length);
  const bad: unknown[] = ['hello', null, { type: 'events', runId: 'a', events: 'nope' }, { type: 'events', runId: 'a', events: [{ no: 'type' }] },
    { type: 'unknown' }, { type: 'setup', defaults: 3 }];
  for (const m of bad) await panel.page.evaluate((x) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(x, '*'), m);
  await panel.deliver({ type: 'events', runId: 'other-run', events: events.slice(0, 5) });
  await panel.deliver({ type: 'notice', level: 'error', message: 'Server refused: --rate must be in [0, 1)' });
  await panel.page.locator('.notice').waitFor();
  assert.equal(await panel.page.evaluate<string>('document.body.dataset.events'), String(events.length));
  assert.equal(await panel.page.locator('.notice').innerText(), 'Server refused: --rate must be in [0, 1)');
  assert.deepEqual(panel.errors, []);
  await panel.page.close();
});
