/** The type guards of protocol/webview.ts: what a webview may send, what the webview accepts, what a revived panel holds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHostToWebview, isPersistedPanelState, isRunConfigPatch, isWebviewToHost, persistedRunId } from '../../../protocol/webview';
import { SYNTHETIC_CONFIG } from '../../fixtures/events/synthetic';

test('isRunConfigPatch accepts known keys of the right type only', () => {
  assert.equal(isRunConfigPatch(SYNTHETIC_CONFIG), true);
  assert.equal(isRunConfigPatch({}), true);
  assert.equal(isRunConfigPatch({ heads: null, stageFinetune: false }), true);
  for (const bad of [{ rate: NaN }, { rate: Infinity }, { method: 'magic' }, { data: 5 }, { stageFinetune: 'yes' }, { unknown: 1 }, [], null])
    assert.equal(isRunConfigPatch(bad), false, JSON.stringify(bad));
});

test('isWebviewToHost', () => {
  for (const ok of [{ type: 'ready' }, { type: 'start', config: { rate: 0.5 } }, { type: 'resume', runId: 'r1' }, { type: 'selectLayer', runId: null, layer: null }])
    assert.equal(isWebviewToHost(ok), true, JSON.stringify(ok));
  for (const bad of [{ type: 'start' }, { type: 'resume', runId: 3 }, { type: 'selectLayer', runId: 'r', layer: 7 }, { type: 'READY' }, 42])
    assert.equal(isWebviewToHost(bad), false, JSON.stringify(bad));
});

test('isHostToWebview checks the outer shape of events', () => {
  assert.equal(isHostToWebview({ type: 'events', runId: 'r', events: [{ type: 'runCancelled', time: 1 }] }), true);
  assert.equal(isHostToWebview({ type: 'showRun', runId: null, events: [] }), true);
  assert.equal(isHostToWebview({ type: 'events', runId: 'r', events: [{ type: 'runCancelled' }] }), false);
  assert.equal(isHostToWebview({ type: 'notice', level: 'warning', message: 'x' }), false);
  assert.equal(isHostToWebview({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: null }), true);
});

test('persisted state', () => {
  const state = { version: 1, runId: 'r1', selectedLayer: 'conv', iteration: null, showTables: true, curvePhase: 'final', form: { rate: 0.3 } };
  assert.equal(isPersistedPanelState(state), true);
  assert.equal(persistedRunId(state), 'r1');
  assert.equal(persistedRunId({ ...state, version: 0 }), null);
  assert.equal(persistedRunId({ ...state, form: { rate: 'x' } }), null);
  assert.equal(persistedRunId(undefined), null);
});
