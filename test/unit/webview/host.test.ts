/**
 * The host side of the panel without VS Code: the protocol's type guards, the ready handshake, replay to a
 * re-created webview, batching, switching to a new run, validation of webview messages, the run store, the HTML
 * with its CSP.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../protocol/model';
import {
  isHostToWebview, isPersistedPanelState, isRunConfigPatch, isWebviewToHost, persistedRunId, type HostToWebview,
} from '../../../protocol/webview';
import { PanelBridge, RunStore, chunk, type PanelAction } from '../../../extension/panel/bridge';
import { buildPanelHtml, escapeHtml, makeNonce, panelCsp } from '../../../extension/panel/html';
import { SYNTHETIC_CONFIG, synthetic } from '../../fixtures/events/synthetic';

const events = synthetic();

describe('protocol guards', () => {
  test('isRunConfigPatch accepts known keys of the right type and range only', () => {
    assert.equal(isRunConfigPatch(SYNTHETIC_CONFIG), true);
    assert.equal(isRunConfigPatch({}), true);
    assert.equal(isRunConfigPatch({ heads: null, stageFinetune: false }), true);
    assert.equal(isRunConfigPatch({ rate: 0, heads: 64, batchSize: 4096 }), true, 'range ends are allowed');
    for (const bad of [{ rate: NaN }, { rate: Infinity }, { method: 'magic' }, { data: 5 }, { stageFinetune: 'yes' }, { unknown: 1 }, [], null,
      { rate: 1 }, { rate: -0.1 }, { heads: 65 }, { batchSize: 1.5 }, { data: ' ' }, { data: 'x'.repeat(5000) }, { stageFinetune: 'false' }])
      assert.equal(isRunConfigPatch(bad), false, JSON.stringify(bad));
  });

  test('isWebviewToHost', () => {
    for (const ok of [{ type: 'ready' }, { type: 'start', config: { rate: 0.5 } }, { type: 'resume', runId: 'r1' }, { type: 'selectLayer', runId: null, layer: null }])
      assert.equal(isWebviewToHost(ok), true, JSON.stringify(ok));
    for (const bad of [{ type: 'start' }, { type: 'resume', runId: 3 }, { type: 'selectLayer', runId: 'r', layer: 7 }, { type: 'READY' }, 42])
      assert.equal(isWebviewToHost(bad), false, JSON.stringify(bad));
  });

  test('isWebviewToHost: layer budgets are checked like a recipe entry', () => {
    for (const ok of [{ type: 'setLayerBudget', layer: 'c2', budget: { rate: 0.3 } }, { type: 'setLayerBudget', layer: 'c2', budget: { prune: false } },
      { type: 'setLayerBudget', layer: 'c2', budget: null }])
      assert.equal(isWebviewToHost(ok), true, JSON.stringify(ok));
    for (const bad of [{ type: 'setLayerBudget', layer: 'c2', budget: { rate: 1 } }, { type: 'setLayerBudget', layer: 'c2', budget: { prune: true } },
      { type: 'setLayerBudget', layer: '', budget: null }, { type: 'setLayerBudget', layer: 'c2' }, { type: 'setLayerBudget', layer: 'x'.repeat(5000), budget: null },
      { type: 'setLayerBudget', layer: 'c2', budget: { rate: 0.2, path: '/etc/passwd' } }])
      assert.equal(isWebviewToHost(bad), false, JSON.stringify(bad));
  });

  test('isHostToWebview checks the outer shape of events', () => {
    assert.equal(isHostToWebview({ type: 'events', runId: 'r', events: [{ type: 'runCancelled', time: 1 }] }), true);
    assert.equal(isHostToWebview({ type: 'showRun', runId: null, events: [] }), true);
    assert.equal(isHostToWebview({ type: 'events', runId: 'r', events: [{ type: 'runCancelled' }] }), false);
    assert.equal(isHostToWebview({ type: 'notice', level: 'warning', message: 'x' }), false);
    assert.equal(isHostToWebview({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: null }), true);
    assert.equal(isHostToWebview({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: 'm', recipe: null }), true);
    assert.equal(isHostToWebview({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: 'm', recipe: { version: 1, layers: { a: { rate: 0.2 } } } }), true);
    assert.equal(isHostToWebview({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: 'm', recipe: { version: 1, layers: { a: { rate: 2 } } } }), false);
  });

  test('persisted state', () => {
    const state = { version: 1, runId: 'r1', selectedLayer: 'conv', iteration: null, showTables: true, curvePhase: 'final', form: { rate: 0.3 } };
    assert.equal(isPersistedPanelState(state), true);
    assert.equal(persistedRunId(state), 'r1');
    assert.equal(persistedRunId({ ...state, version: 0 }), null);
    assert.equal(persistedRunId({ ...state, form: { rate: 'x' } }), null);
    assert.equal(persistedRunId(undefined), null);
  });
});

function setup(options: { loadEvents?: (id: string) => Promise<readonly RunEvent[] | undefined>; replayChunk?: number } = {}) {
  const store = new RunStore();
  const actions: PanelAction[] = [];
  const bridge = new PanelBridge(store, { onAction: (a) => actions.push(a), flushMs: 1e6, ...options });
  const sent: HostToWebview[] = [];
  bridge.connect({ post: (m) => sent.push(m) });
  return { store, bridge, actions, sent };
}

describe('PanelBridge', () => {
  test('posts nothing before ready, then setup and the whole log', () => {
    const { bridge, sent } = setup();
    bridge.setup(SYNTHETIC_CONFIG, 'resnet20');
    events.slice(0, 50).forEach((e) => bridge.post('run-1', e));
    assert.equal(sent.length, 0);
    bridge.receive({ type: 'ready' });
    assert.deepEqual(sent.map((m) => m.type), ['setup', 'showRun']);
    assert.ok(sent[1].type === 'showRun' && sent[1].runId === 'run-1' && sent[1].events.length === 50);
  });

  test('batches live events into one message per flush', () => {
    const { bridge, sent } = setup();
    bridge.receive({ type: 'ready' });
    bridge.post('run-1', events[0]);
    sent.length = 0;
    events.slice(1, 101).forEach((e) => bridge.post('run-1', e));
    assert.equal(sent.length, 0);
    bridge.flush();
    assert.equal(sent.length, 1);
    assert.ok(sent[0].type === 'events' && sent[0].events.length === 100);
    bridge.dispose();
  });

  test('a re-created webview gets everything again, including events posted while it was gone', () => {
    const { bridge, sent } = setup();
    bridge.receive({ type: 'ready' });
    events.slice(0, 30).forEach((e) => bridge.post('run-1', e));
    bridge.disconnect();
    events.slice(30, 60).forEach((e) => bridge.post('run-1', e));
    const again: HostToWebview[] = [];
    bridge.connect({ post: (m) => again.push(m) });
    bridge.receive({ type: 'ready' });
    assert.ok(again[0].type === 'showRun' && again[0].events.length === 60);
    assert.equal(sent.filter((m) => m.type === 'events').length, 0, 'nothing after disconnect');
    bridge.dispose();
  });

  test('a new run switches the panel to it; other runs are only stored', () => {
    const { bridge, sent, store } = setup();
    bridge.receive({ type: 'ready' });
    bridge.post('a', events[0]);
    bridge.post('b', events[0]);
    bridge.post('a', events[1]);
    bridge.flush();
    assert.equal(bridge.shownRun, 'b');
    assert.deepEqual(sent.map((m) => `${m.type}:${'runId' in m ? m.runId : ''}`), ['showRun:null', 'showRun:a', 'showRun:b']);
    assert.equal(store.events('a')?.length, 2);
  });

  test('replays in chunks', () => {
    const { bridge, sent } = setup({ replayChunk: 100 });
    bridge.receive({ type: 'ready' });
    sent.length = 0;
    bridge.replay('r', events);
    assert.deepEqual(sent.map((m) => m.type), ['showRun', 'events', 'events']);
    assert.equal(sent.reduce((n, m) => n + ('events' in m ? m.events.length : 0), 0), events.length);
  });

  test('loads the log of a run it has not seen (a revived panel)', async () => {
    let asked = '';
    const { bridge, sent } = setup({ loadEvents: async (id) => { asked = id; return events.slice(0, 10); } });
    bridge.show('old-run');
    bridge.receive({ type: 'ready' });
    await new Promise((r) => setImmediate(r));
    assert.equal(asked, 'old-run');
    const last = sent.at(-1);
    assert.ok(last?.type === 'showRun' && last.events.length === 10);
  });

  test('forwards valid actions and drops everything else', () => {
    const { bridge, actions } = setup();
    const bad: unknown[] = [null, 'ready', { type: 'start', config: { rate: '0.5' } }, { type: 'start', config: { evil: 1 } },
      { type: 'cancel' }, { type: 'cancel', runId: 'x'.repeat(1000) }, { type: 'selectLayer', runId: 'a' }, { type: 'exec', cmd: 'rm' },
      JSON.parse('{"type":"start","config":{"__proto__":{"rate":1}}}')];
    bad.forEach((m) => bridge.receive(m));
    assert.equal(bridge.rejected, bad.length);
    bridge.receive({ type: 'start', config: { rate: 0.3, method: 'dkp', heads: null } });
    bridge.receive({ type: 'cancel', runId: 'a' });
    bridge.receive({ type: 'selectLayer', runId: null, layer: '<img src=x>' });
    assert.deepEqual(actions.map((a) => a.type), ['start', 'cancel', 'selectLayer']);
  });
});

describe('RunStore', () => {
  test('keeps the newest runs', () => {
    const store = new RunStore(2);
    store.append('a', events[0]);
    store.append('b', events[0]);
    store.append('c', events[0]);
    assert.deepEqual([store.has('a'), store.has('b'), store.has('c'), store.latest()], [false, true, true, 'c']);
    store.set('b', events.slice(0, 3));
    assert.equal(store.latest(), 'b');
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });
});

describe('panel HTML', () => {
  test('strict CSP with a fresh nonce on every script and style', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9+/]{22}$/);
    assert.notEqual(makeNonce(), nonce);
    const html = buildPanelHtml({ cspSource: 'https://x.vscode-cdn.net', nonce, scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/dist/webview.css' });
    assert.equal(panelCsp('S', 'N'), "default-src 'none'; script-src 'nonce-N'; style-src S 'nonce-N'; img-src S data:;");
    assert.ok(html.includes(`content="default-src &#39;none&#39;; script-src &#39;nonce-${nonce}&#39;`));
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.ok(scripts.every((s) => s.includes(`nonce="${nonce}"`)));
    assert.doesNotMatch(html, /unsafe-(inline|eval)|\son\w+=/);
    assert.equal(escapeHtml(`"><img src=x onerror='1'>&`), '&quot;&gt;&lt;img src=x onerror=&#39;1&#39;&gt;&amp;');
  });
});
