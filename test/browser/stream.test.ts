/**
 * The panel while the recorded real DCP run streams in: charts and progress follow the events, the controls post
 * typed messages, a failure's notice goes when the resumed attempt streams in, a reload restores the UI state, and
 * malformed messages are ignored. Only the burst test uses the synthetic stream: it needs thousands of events.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunEvent } from '../../protocol/model';
import { PRUNE_METHODS, STOP_RULES } from '../../protocol/settings';
import { doneLayers, recorded, recordedConfig } from '../fixtures/events/recorded';
import { SYNTHETIC_CONFIG, synthetic } from '../fixtures/events/synthetic';
import { PanelPage, RESULTS, useBrowserAndHarness } from './harness';

const events = recorded('dcp');
const defaults = recordedConfig(events);
const names = doneLayers(events);
const env = useBrowserAndHarness();

test('a streamed run updates progress, charts and controls', async () => {
  const first = events[0];
  assert.ok(first.type === 'runStarted');
  const panel = await PanelPage.open(env.browser, env.harness, 'dark');
  await panel.deliver({ type: 'setup', defaults, modelName: 'resnet' });
  await panel.deliver({ type: 'showRun', runId: 'live', events: events.slice(0, 1) });
  await panel.waitForEvents(1);
  const header = panel.page.locator('.header');
  assert.match(await header.innerText(), /Starting/);

  // Stream up to the middle of the 5th layer's selection, in host-sized batches, without waiting in between.
  const fifth = names[4];
  const mid = events.findIndex((e) => e.type === 'selectionIteration' && e.layer === fifth && e.iteration === 3) + 1;
  assert.ok(mid > 0);
  for (let i = 1; i < mid; i += 25) await panel.deliver({ type: 'events', runId: 'live', events: events.slice(i, Math.min(mid, i + 25)) });
  await panel.waitForEvents(mid);
  const text = await header.innerText();
  const stage = first.stages.findIndex((st) => st.layers.includes(fifth));
  const inChannels = (name: string): number => first.model.layers.find((l) => l.name === name)?.inChannels ?? -1;
  assert.match(text, /Selecting channels/);
  assert.match(text, new RegExp(`stage ${stage + 1} of ${first.stages.length} · layer 5 of ${names.length}: ${fifth} · 3 of \\d+ channels`));
  assert.match(text, /ETA \d+ (s|min)/);
  const pct = Number(await panel.page.locator('.progress').getAttribute('aria-valuenow'));
  assert.ok(pct > 5 && pct < 95, `progress ${pct}%`);
  // The panel follows the layer being selected; the overview knows which layers are decided.
  assert.equal(await panel.selectedLayer(), fifth);
  const overview = await panel.page.locator('#overview tbody tr').allInnerTexts();
  const kept0 = events.find((e) => e.type === 'layerDone' && e.result.layer === names[0]);
  assert.ok(kept0?.type === 'layerDone');
  const k0 = kept0.result.kept.length;
  assert.match(overview[0], new RegExp(`${names[0]}\\s+${k0}\\s+${inChannels(names[0]) - k0}\\s+0\\s+done`));
  assert.match(overview[4], new RegExp(`${fifth}\\s+3\\s+0\\s+${inChannels(fifth) - 3}\\s+selecting`));
  assert.match(overview[5], new RegExp(`${names[5]}\\s+0\\s+0\\s+${inChannels(names[5])}\\s+pending`));
  await panel.page.screenshot({ path: join(RESULTS, 'panel-streaming.png'), fullPage: true });

  // Keyboard focus in a chart's table survives the re-renders of a live run.
  await panel.page.getByRole('button', { name: 'Show data tables' }).click();
  await panel.page.getByRole('button', { name: `Select layer ${names[1]}` }).focus();
  await panel.deliver({ type: 'events', runId: 'live', events: events.slice(mid, mid + 3) });
  await panel.waitForEvents(mid + 3);
  assert.equal(await panel.page.evaluate<string | null>(`document.activeElement.getAttribute('aria-label')`), `Select layer ${names[1]}`);
  await panel.page.keyboard.press('Enter');
  await panel.waitForSent((m) => m.type === 'selectLayer' && m.layer === names[1]);
  assert.equal(await panel.selectedLayer(), names[1]);
  await panel.page.getByRole('button', { name: 'Follow the run' }).click();
  assert.equal(await panel.selectedLayer(), fifth);

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

test('the controls offer the table\'s choices and ranges, and Start sends nothing the host would refuse', async () => {
  const panel = await PanelPage.open(env.browser, env.harness, 'light');
  await panel.deliver({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: 'resnet20' });
  const options = (id: string) => panel.page.locator(`#${id} option`).evaluateAll((os) => os.map((o) => [o.getAttribute('value'), o.getAttribute('title')]));
  assert.deepEqual(await options('f-method'), PRUNE_METHODS.values.map((v, i) => [v, PRUNE_METHODS.descriptions[i]]));
  assert.deepEqual(await options('f-stop'), STOP_RULES.values.map((v, i) => [v, STOP_RULES.descriptions[i]]));
  const rate = panel.page.locator('#f-rate');
  assert.deepEqual([await rate.getAttribute('min'), await rate.getAttribute('max')], ['0', '0.95'], 'rate < 1: the spinner stops a step short');
  assert.equal(await panel.page.locator('#f-heads').getAttribute('max'), '64');

  await rate.fill('1.5');
  await panel.page.locator('#f-heads').fill('2.5');
  await panel.page.getByRole('button', { name: 'Start' }).click();
  const problems = panel.page.locator('#f-problems');
  await problems.waitFor({ state: 'visible' });
  assert.equal(await problems.innerText(), 'Pruning rate η must be a number in [0, 1). Heads P must be an integer in [0, 64] or null.');
  assert.equal(await rate.getAttribute('aria-invalid'), 'true');
  assert.equal(await panel.page.locator('#f-lambda').getAttribute('aria-invalid'), 'false');
  assert.deepEqual((await panel.sent()).filter((m) => m.type === 'start'), [], 'nothing sent');

  await rate.fill('0.4');
  await panel.page.locator('#f-heads').fill('');
  await panel.page.getByRole('button', { name: 'Start' }).click();
  const start = await panel.waitForSent((m) => m.type === 'start');
  assert.ok(start.type === 'start' && start.config.rate === 0.4 && start.config.heads === null, JSON.stringify(start));
  assert.equal(await problems.isHidden(), true);
  assert.deepEqual(panel.errors, []);
  await panel.page.close();
});

test('absorbs thousands of single-event messages in short frames', async (t) => {
  // A real run this long takes minutes to record; the synthetic one has 400 batches per epoch.
  const burst = synthetic({ batches: 400 });
  assert.ok(burst.length > 2500);
  const panel = await PanelPage.open(env.browser, env.harness, 'dark');
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
  }, burst);
  await panel.waitForEvents(burst.length);
  const frames = await panel.page.evaluate<number[]>('window.__frames');
  t.diagnostic(`${burst.length} messages in ${frames.length} frames: ${frames.map((d) => d.toFixed(0)).join(', ')} ms`);
  // Work is sliced (8 ms of reducing per frame) and rendered once per frame: a few frames, not one per message and
  // not one giant frame. Frames take ~10-50 ms here (software canvas); the bound leaves slack for a busy 2-core box.
  assert.ok(frames.length > 1 && frames.length < 100, `${frames.length} frames`);
  assert.ok(Math.max(...frames) < 250, `a frame took ${Math.max(...frames).toFixed(0)} ms`);
  assert.match(await panel.page.locator('.header').innerText(), /Finished/);
  await panel.page.close();
});

test('a failure notice goes when the resumed attempt streams in', async () => {
  const panel = await PanelPage.open(env.browser, env.harness, 'dark');
  await panel.deliver({ type: 'setup', defaults, modelName: 'resnet' });
  // The server dies after the second layer: the run fails, and the host says so too.
  const cut = events.findIndex((e) => e.type === 'layerDone' && e.result.layer === names[1]) + 1;
  const lost: RunEvent = { type: 'runFailed', message: 'The pruning server stopped unexpectedly.', time: events[cut - 1].time + 5 };
  await panel.deliver({ type: 'showRun', runId: 'crash', events: [...events.slice(0, cut), lost] });
  await panel.waitForEvents(cut + 1);
  const notice = panel.page.locator('.notice');
  assert.equal(await notice.innerText(), 'The pruning server stopped unexpectedly.');
  await panel.deliver({ type: 'notice', level: 'error', message: 'DCP: the pruning server crashed and was restarted.' });
  await panel.page.getByText('DCP: the pruning server crashed and was restarted.').waitFor();
  // Resume: the same log goes on with a new runStarted and the events after the last finished layer.
  const resumed = [events[0], ...events.slice(cut, cut + 5)];
  await panel.deliver({ type: 'events', runId: 'crash', events: resumed });
  await panel.waitForEvents(cut + 1 + resumed.length);
  assert.equal(await notice.isVisible(), false);
  assert.doesNotMatch(await panel.page.locator('.header').innerText(), /Failed|stopped unexpectedly|crashed/);
  const rest = events.slice(cut + 5);
  await panel.deliver({ type: 'events', runId: 'crash', events: rest });
  await panel.waitForEvents(cut + 1 + resumed.length + rest.length);
  assert.match(await panel.page.locator('.header').innerText(), /Finished/);
  assert.equal(await notice.isVisible(), false);
  assert.deepEqual(panel.errors, []);
  await panel.page.close();
});

test('a reloaded webview restores its UI state and takes the replay', async () => {
  const panel = await PanelPage.open(env.browser, env.harness, 'dark');
  const show = async (): Promise<void> => {
    await panel.deliver({ type: 'setup', defaults, modelName: 'resnet' });
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
  assert.equal(await panel.selectedLayer(), names[0]);
  assert.equal(await panel.page.getByRole('button', { name: 'Hide data tables' }).count(), 1);
  assert.equal(await panel.page.locator('#f-lambda').inputValue(), '0.1');
  await panel.page.close();
});

test('ignores malformed messages and events of other runs', async () => {
  const head = events.slice(0, 40);
  const panel = await PanelPage.open(env.browser, env.harness, 'dark');
  await panel.deliver({ type: 'showRun', runId: 'a', events: head });
  await panel.waitForEvents(head.length);
  const bad: unknown[] = ['hello', null, { type: 'events', runId: 'a', events: 'nope' }, { type: 'events', runId: 'a', events: [{ no: 'type' }] },
    { type: 'unknown' }, { type: 'setup', defaults: 3 }];
  for (const m of bad) await panel.page.evaluate((x) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(x, '*'), m);
  await panel.deliver({ type: 'events', runId: 'other-run', events: head.slice(0, 5) });
  await panel.deliver({ type: 'notice', level: 'error', message: 'Server refused: --rate must be in [0, 1)' });
  await panel.page.locator('.notice').waitFor();
  assert.equal(await panel.page.evaluate<string>('document.body.dataset.events'), String(head.length));
  assert.equal(await panel.page.locator('.notice').innerText(), 'Server refused: --rate must be in [0, 1)');
  assert.deepEqual(panel.errors, []);
  await panel.page.close();
});
