/**
 * PruningPanel's VS Code wiring against a fake `vscode`: webview options (scripts on, resources only from dist,
 * no retained context), the HTML and its CSP, the ready handshake, replay after the panel is hidden and shown,
 * typed actions from validated messages, and revival through the serializer.
 */
import { FakeWebviewPanel, created, fakeVscode, serializers } from './fake-vscode';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Uri } from 'vscode';
import { PruningPanel, registerPruningPanelSerializer, type PanelAction } from '../../../extension/panel/pruningPanel';
import type { HostToWebview } from '../../../protocol/webview';
import { recorded, recordedConfig } from '../../fixtures/events/recorded';

const events = recorded('dcp').slice(0, 40);
const DEFAULTS = recordedConfig(events);
const extensionUri = fakeVscode.Uri.file('/ext') as unknown as Uri;
const types = (p: FakeWebviewPanel): string[] => (p.posted as HostToWebview[]).map((m) => m.type);

test('opens a locked-down webview and talks only after ready', () => {
  const panel = new PruningPanel({ extensionUri, defaults: DEFAULTS });
  panel.setModel('resnet20');
  events.slice(0, 10).forEach((e) => panel.post('run-1', e));
  panel.open();
  const wp = created.at(-1);
  assert.ok(wp);
  assert.equal(wp.viewType, 'dcp.pruningPanel');
  assert.equal(wp.options.retainContextWhenHidden, false);
  assert.equal(wp.webview.options.enableScripts, true);
  assert.deepEqual((wp.webview.options.localResourceRoots as Array<{ path: string }>).map((u) => u.path), ['/ext/dist']);
  assert.match(wp.webview.html, /content="default-src &#39;none&#39;; script-src &#39;nonce-[^&]+&#39;; style-src https:\/\/fake\.vscode-cdn\.net/);
  assert.match(wp.webview.html, /<script nonce="[^"]+" src="https:\/\/fake\.vscode-cdn\.net\/ext\/dist\/webview\.js">/);
  assert.equal(wp.posted.length, 0, 'nothing before ready');
  wp.messages.fire({ type: 'ready' });
  assert.deepEqual(types(wp), ['setup', 'showRun']);
  const show = wp.posted[1] as HostToWebview;
  assert.ok(show.type === 'showRun' && show.events.length === 10);
  panel.dispose();
  assert.equal(wp.disposed, true);
});

test('replays everything to a webview re-created after being hidden', () => {
  const panel = new PruningPanel({ extensionUri, defaults: DEFAULTS });
  panel.open();
  const wp = created.at(-1) as FakeWebviewPanel;
  wp.messages.fire({ type: 'ready' });
  panel.post('run-2', events[0]);
  wp.setVisible(false);
  events.slice(1, 30).forEach((e) => panel.post('run-2', e));
  const before = wp.posted.length;
  wp.setVisible(true);
  assert.equal(wp.posted.length, before, 'waits for the new document to say ready');
  wp.messages.fire({ type: 'ready' });
  const last = wp.posted.at(-1) as HostToWebview;
  assert.ok(last.type === 'showRun' && last.runId === 'run-2' && last.events.length === 30);
  panel.dispose();
});

test('turns valid webview messages into typed actions and ignores the rest', () => {
  const panel = new PruningPanel({ extensionUri, defaults: DEFAULTS });
  const actions: PanelAction[] = [];
  panel.onAction((a) => actions.push(a));
  panel.open();
  const wp = created.at(-1) as FakeWebviewPanel;
  for (const m of [{ type: 'start', config: { rate: 0.4 } }, { type: 'start', config: { rate: 'x' } }, { type: 'cancel', runId: 'r' },
    { type: 'resume', runId: 'r' }, { type: 'selectLayer', runId: 'r', layer: 'conv' }, { type: 'shell', cmd: 'x' }]) wp.messages.fire(m);
  assert.deepEqual(actions, [{ type: 'start', config: { rate: 0.4 } }, { type: 'cancel', runId: 'r' }, { type: 'resume', runId: 'r' },
    { type: 'selectLayer', runId: 'r', layer: 'conv' }]);
  panel.dispose();
});

test('a revived panel shows the run it showed, fetched from the server', async () => {
  const asked: string[] = [];
  const panel = new PruningPanel({ extensionUri, defaults: DEFAULTS, loadEvents: async (id) => { asked.push(id); return events; } });
  const reg = registerPruningPanelSerializer(panel);
  const revived = new FakeWebviewPanel('dcp.pruningPanel', {});
  const state = { version: 1, runId: 'old', selectedLayer: null, iteration: null, showTables: false, curvePhase: null, form: {} };
  await serializers.get('dcp.pruningPanel')?.deserializeWebviewPanel(revived, state);
  assert.equal(revived.webview.options.enableScripts, true);
  assert.notEqual(revived.webview.html, '');
  revived.messages.fire({ type: 'ready' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(asked, ['old']);
  const last = revived.posted.at(-1) as HostToWebview;
  assert.ok(last.type === 'showRun' && last.runId === 'old' && last.events.length === events.length);
  assert.equal(panel.shownRun, 'old');
  reg.dispose();
  panel.dispose();
  assert.equal(revived.disposed, true);
});
