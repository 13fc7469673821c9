/**
 * Webview entry point (bundled to dist/webview.js). Wires VS Code's webview API to the App and paces the work:
 * messages are queued and folded into the state once per animation frame, within a time budget, then rendered once,
 * so a burst of thousands of events (a replay, a fast run) never blocks the frame for long.
 */
import { isHostToWebview, isPersistedPanelState, type HostToWebview, type PersistedPanelState, type WebviewToHost } from '../protocol/webview';
import { App } from './app';
import './panel.css';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PersistedPanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** Work per frame before yielding; leaves room for the render in a 16 ms frame. */
const BUDGET_MS = 8;
/** Events folded between clock checks. */
const CHUNK = 256;

const vscode = acquireVsCodeApi();
const saved = vscode.getState();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new App(root, { post: (m) => vscode.postMessage(m), persist: (s) => vscode.setState(s) },
  isPersistedPanelState(saved) ? saved : null);

const queue: HostToWebview[] = [];
/** How far into the first queued message's events the previous frame got. */
let offset = 0;
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(frame);
}

function frame(): void {
  scheduled = false;
  const deadline = performance.now() + BUDGET_MS;
  while (queue.length > 0 && performance.now() < deadline) {
    const msg = queue[0];
    if (msg.type === 'showRun' || msg.type === 'events') {
      if (msg.type === 'showRun' && offset === 0) app.reset(msg.runId);
      const end = Math.min(msg.events.length, offset + CHUNK);
      if (msg.runId !== null) app.apply(msg.runId, msg.events, offset, end);
      offset = end;
      if (offset < msg.events.length) continue;
    } else if (msg.type === 'setup') {
      app.setup(msg);
    } else if (msg.type === 'sensitivity') {
      // Few events (one per layer and rate): folded at once.
      app.applySensitivity(msg.reset, msg.events);
    } else {
      app.notice(msg.level, msg.message);
    }
    queue.shift();
    offset = 0;
  }
  app.render();
  // Tests wait on this instead of sleeping; it also helps when debugging a stuck panel.
  document.body.dataset.events = String(app.eventCount);
  document.body.dataset.pending = String(queue.length);
  document.body.dataset.graphMs = app.graphBuildMs.toFixed(1);
  document.body.dataset.sensitivityEvents = String(app.sensitivityEventCount);
  if (queue.length > 0) schedule();
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (!isHostToWebview(e.data)) return;
  queue.push(e.data);
  schedule();
});

vscode.postMessage({ type: 'ready' });
