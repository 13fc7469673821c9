/**
 * Sensitivity in the panel protocol, without a browser: the message guards, the host bridge replaying an analysis
 * to a new webview, and the reducer folding a recorded real analysis (resnet-sensitivity.jsonl).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { SensitivityEvent } from '../../../protocol/sensitivity';
import { isHostToWebview, isPersistedPanelState, isWebviewToHost, type HostToWebview } from '../../../protocol/webview';
import { PanelBridge, RunStore, type PanelAction } from '../../../extension/panel/bridge';
import { initialSensitivity, reduceSensitivity, sensitivityStatusText } from '../../../webview/sensitivity-state';

const events = readFileSync(join(__dirname, '../../fixtures/events/resnet-sensitivity.jsonl'), 'utf8')
  .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as SensitivityEvent);

describe('sensitivity messages', () => {
  test('guards accept the new messages and refuse bad ones', () => {
    const recipe = { version: 1, layers: { c2: { rate: 0.5 }, c3: { prune: false } } };
    for (const ok of [{ type: 'startSensitivity', rates: [0.1, 0.5], targetFlops: 2, config: {} }, { type: 'startSensitivity', rates: [0.3], targetFlops: null, config: { lambda: 1 } },
      { type: 'applyRecipe', recipe }])
      assert.equal(isWebviewToHost(ok), true, JSON.stringify(ok));
    for (const bad of [{ type: 'startSensitivity', rates: [], targetFlops: 2, config: {} }, { type: 'startSensitivity', rates: [1], targetFlops: 2, config: {} },
      { type: 'startSensitivity', rates: [0.5], targetFlops: 0.5, config: {} }, { type: 'startSensitivity', rates: [0.5], targetFlops: null, config: { rate: 7 } },
      { type: 'applyRecipe', recipe: { version: 1, layers: { c2: { rate: 1 } } } }, { type: 'applyRecipe' }])
      assert.equal(isWebviewToHost(bad), false, JSON.stringify(bad));
    assert.equal(isHostToWebview({ type: 'sensitivity', reset: true, events }), true);
    assert.equal(isHostToWebview({ type: 'sensitivity', reset: 'yes', events }), false);
    const state = { version: 1, runId: null, selectedLayer: null, iteration: null, showTables: false, curvePhase: null, form: {} };
    assert.equal(isPersistedPanelState({ ...state, sensitivityMetric: 'jointLoss' }), true);
    assert.equal(isPersistedPanelState(state), true, 'states saved before the chart existed');
    assert.equal(isPersistedPanelState({ ...state, sensitivityMetric: 'latency' }), false);
  });

  test('the bridge replays the shown analysis to a new webview and streams the rest', () => {
    const actions: PanelAction[] = [];
    const bridge = new PanelBridge(new RunStore(), { onAction: (a) => actions.push(a) });
    const sent: HostToWebview[] = [];
    bridge.sensitivity(events.slice(0, 3), true);
    bridge.connect({ post: (m) => sent.push(m) });
    assert.equal(sent.length, 0, 'nothing before ready');
    bridge.receive({ type: 'ready' });
    assert.deepEqual(sent.filter((m) => m.type === 'sensitivity'), [{ type: 'sensitivity', reset: true, events: events.slice(0, 3) }]);
    bridge.sensitivity([events[3]], false);
    assert.deepEqual(sent.at(-1), { type: 'sensitivity', reset: false, events: [events[3]] });
    // A re-created webview gets everything so far in one message.
    bridge.disconnect();
    const again: HostToWebview[] = [];
    bridge.connect({ post: (m) => again.push(m) });
    bridge.receive({ type: 'ready' });
    assert.deepEqual(again.filter((m) => m.type === 'sensitivity'), [{ type: 'sensitivity', reset: true, events: events.slice(0, 4) }]);
    bridge.receive({ type: 'applyRecipe', recipe: { version: 1, layers: {} } });
    assert.equal((actions as { type: string }[])[0]?.type, 'applyRecipe');
  });

  test('the reducer folds a recorded analysis to its result', () => {
    let s = initialSensitivity;
    const statuses: string[] = [];
    for (const e of events) {
      s = reduceSensitivity(s, e);
      statuses.push(s.status);
    }
    const done = events.at(-1)!;
    assert.equal(done.type, 'sensitivityDone');
    assert.equal(s.status, 'done');
    assert.equal(s.eventCount, events.length);
    assert.deepEqual(s.order, done.type === 'sensitivityDone' ? done.result.layers.map((l) => l.layer) : []);
    for (const l of s.order) assert.equal(s.points[l].length, s.rates.length);
    assert.ok(statuses.slice(0, -1).every((x) => x === 'running'));
    assert.match(sensitivityStatusText(s), /6 layers × 4 rates measured/);
    // Mid-stream: the layer being measured is named.
    const mid = events.slice(0, events.findIndex((e) => e.type === 'sensitivityLayerStarted' && e.index === 2) + 1).reduce(reduceSensitivity, initialSensitivity);
    assert.match(sensitivityStatusText(mid), /Measuring \S+ \(2 of 6 layers done\)/);
    assert.equal(reduceSensitivity(mid, { type: 'sensitivityFailed', message: 'boom', time: 0 }).failure, 'boom');
  });
});
