/**
 * The forecast in the panel's run controls, in a real Chromium: before a run it says when the forecast comes; with
 * a run's forecast (runStarted) it lists each phase's estimate and peak memory, and once the report's measured phase
 * times arrive, the actual seconds and the error per phase. The recorded DCP run is replayed with a forecast and
 * phase times added (numbers chosen so each cell is known). Screenshots in light, dark and high contrast.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { PhaseTiming, RunForecast } from '../../protocol/forecast';
import type { RunEvent } from '../../protocol/model';
import { recorded, recordedConfig } from '../fixtures/events/recorded';
import { PanelPage, RESULTS, useBrowserAndHarness } from './harness';

const MiB = 2 ** 20;
const FORECAST: RunForecast = {
  seconds: 60, samples: { train: 8000, validation: 2000, selection: 256 }, latency: { batch: 64, repeats: 15 },
  speed: { backend: 'wasm', trainStepSeconds: 0.002, trainMacsPerSecond: 1.5e9, inferStepSeconds: 0.001, inferMacsPerSecond: 4e9, measuredAt: 0, cached: true },
  phases: [
    { phase: 'heads', seconds: 10, peakBytes: 95 * MiB }, { phase: 'selection', seconds: 40, peakBytes: 59 * MiB },
    { phase: 'stageFinetune', seconds: 0, peakBytes: 0 }, { phase: 'finetune', seconds: 8, peakBytes: 95 * MiB },
    { phase: 'measure', seconds: 2, peakBytes: 32 * MiB },
  ],
};
const PHASES: PhaseTiming[] = FORECAST.phases.map((p, i) => ({ phase: p.phase, forecastSeconds: p.seconds, forecastPeakBytes: p.peakBytes, seconds: [12.5, 30, 0, 8, 3][i] }));

/** The recorded stream with the forecast in runStarted and the phase times in the report. */
function withForecast(events: RunEvent[], finished = true): RunEvent[] {
  const out = events.map((e): RunEvent => {
    if (e.type === 'runStarted') return { ...e, forecast: FORECAST };
    if (e.type === 'runFinished') return { ...e, report: { ...e.report, phases: PHASES } };
    return e;
  });
  return finished ? out : out.filter((e) => e.type !== 'runFinished');
}

const env = useBrowserAndHarness();

const rowsOf = (panel: PanelPage) => panel.page.locator('#forecast table tbody tr').evaluateAll((rows) =>
  rows.map((r) => Array.from((r as unknown as { cells: ArrayLike<{ textContent: string | null }> }).cells, (c) => (c.textContent ?? '').trim())));

describe('forecast in the run controls', () => {
  test('says when it comes before a run, then shows the forecast and, at the end, forecast vs actual', async () => {
    const events = recorded('dcp');
    const panel = await PanelPage.open(env.browser, env.harness, 'dark');
    await panel.deliver({ type: 'setup', defaults: recordedConfig(events), modelName: 'resnet' });
    await panel.page.locator('#forecast-line', { hasText: 'When a run starts' }).waitFor();
    assert.equal(await panel.page.locator('#forecast .forecast-box').isHidden(), true);

    const running = withForecast(events, false);
    await panel.deliver({ type: 'showRun', runId: 'run-1', events: running });
    await panel.waitForEvents(running.length);
    assert.match(await panel.page.locator('#forecast-line').innerText(), /^About 60 s in all · this machine: 1\.50 G multiply-adds\/s training on wasm \(cached calibration\)/);
    assert.deepEqual(await rowsOf(panel), [
      ['Head training', '10 s', '95 MiB', '…', '—'],
      ['Channel selection', '40 s', '59 MiB', '…', '—'],
      ['Stage fine-tuning', 'skipped', '—', '…', '—'],
      ['Final fine-tuning', '8 s', '95 MiB', '…', '—'],
      ['Measuring', '2 s', '32 MiB', '…', '—'],
    ]);
    await panel.page.close();

    const done = await PanelPage.open(env.browser, env.harness, 'dark');
    const finished = withForecast(events);
    await done.deliver({ type: 'setup', defaults: recordedConfig(events), modelName: 'resnet' });
    await done.deliver({ type: 'showRun', runId: 'run-1', events: finished });
    await done.waitForEvents(finished.length);
    assert.match(await done.page.locator('#forecast-line').innerText(), /^About 60 s in all; took 54 s/);
    assert.deepEqual(await rowsOf(done), [
      ['Head training', '10 s', '95 MiB', '13 s', '+25%'],
      ['Channel selection', '40 s', '59 MiB', '30 s', '−25%'],
      ['Stage fine-tuning', 'skipped', '—', '—', '—'],
      ['Final fine-tuning', '8 s', '95 MiB', '8 s', '+0%'],
      ['Measuring', '2 s', '32 MiB', '3 s', '+50%'],
    ]);
    // The next run's forecast follows the form before Start: no fine-tuning drops that phase, a lower rate keeps
    // more channels and costs more selection.
    const next = done.page.locator('#forecast-next');
    const selection = async () => Number(/channel selection ([\d.]+) (s|min)/.exec(await next.innerText())?.[1]);
    assert.match(await next.innerText(), /^Next run with these settings: about [\d.]+ (s|min) \(head training [\d.]+ (s|min), channel selection .*final fine-tuning/);
    const atHalf = await selection();
    await done.page.locator('#f-finetuneEpochs').fill('0');
    await done.page.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } })
      .document.querySelector('#forecast-next')?.textContent.includes('final fine-tuning'));
    await done.page.locator('#f-rate').fill('0.1');
    await done.page.waitForFunction((before) => {
      const t = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('#forecast-next')?.textContent ?? '';
      const m = /channel selection ([\d.]+) (s|min)/.exec(t);
      return m !== null && Number(m[1]) > before;
    }, atHalf);
    await done.page.locator('#f-finetuneEpochs').fill(String(recordedConfig(events).finetuneEpochs));
    await done.page.locator('#f-rate').fill(String(recordedConfig(events).rate));
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await done.setTheme(theme);
      const box = await done.page.evaluate<{ x: number; y: number; width: number; height: number }>(`(() => {
        scrollTo(0, 0);
        const r = document.querySelector('#controls').getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
      })()`);
      await done.page.screenshot({ path: join(RESULTS, `forecast-${theme}.png`), fullPage: true, clip: box });
    }
    assert.deepEqual(done.errors, []);
    await done.page.close();
  });

  test('a run without a forecast (resumed, or an older engine) says so', async () => {
    // The recorded run as a resumed run or an older engine streams it: no forecast in runStarted, no phases in the report.
    const events = recorded('dcp').map((e) => {
      if (e.type === 'runStarted') return { ...e, forecast: undefined };
      if (e.type === 'runFinished') return { ...e, report: { ...e.report, phases: undefined } };
      return e;
    });
    const panel = await PanelPage.open(env.browser, env.harness, 'light');
    await panel.deliver({ type: 'setup', defaults: recordedConfig(events), modelName: 'resnet' });
    await panel.deliver({ type: 'showRun', runId: 'run-1', events });
    await panel.waitForEvents(events.length);
    await panel.page.locator('#forecast-line', { hasText: 'This run has no forecast' }).waitFor();
    assert.equal(await panel.page.locator('#forecast .forecast-box').isHidden(), true);
    await panel.page.close();
  });
});
