/**
 * Strings from model files are data, never markup: a model whose layer names are HTML renders them as text
 * everywhere (overview, tables, selected layer, losses), runs no script, opens no dialog, trips no CSP report,
 * and the host receives the exact name back when that layer is selected.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunEvent } from '../../protocol/model';
import { SYNTHETIC_CONFIG, synthetic } from '../fixtures/events/synthetic';
import { PanelPage, startBrowserAndHarness, type Harness } from './harness';

const HOSTILE = ['<img src=x onerror=alert(1)>', '"><script>alert(2)</script>', '<svg onload=alert(3)>'];

let browser: Browser;
let harness: Harness;

before(async () => {
  ({ browser, harness } = await startBrowserAndHarness());
});
after(async () => {
  await browser?.close();
  await harness?.close();
});

test('layer names made of HTML render as text', async () => {
  const events: RunEvent[] = synthetic({ method: 'dkp', rename: (name, i) => HOSTILE[i] ?? name });
  const panel = await PanelPage.open(browser, harness, 'dark');
  await panel.page.evaluate(`(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  })()`);
  await panel.deliver({ type: 'setup', defaults: SYNTHETIC_CONFIG, modelName: '<b>model</b><img src=y onerror=alert(4)>' });
  await panel.deliver({ type: 'showRun', runId: 'xss', events });
  await panel.deliver({ type: 'notice', level: 'error', message: '<img src=z onerror=alert(5)> failed' });
  await panel.waitForEvents(events.length);

  // Only the two scripts of the page itself and the graph view's own SVG, no element an injected name could have created.
  const counts = await panel.page.evaluate<Record<string, number>>(`({
    img: document.querySelectorAll('img').length, svg: document.querySelectorAll('svg:not(#graph .graph-viewport > svg), #graph svg svg').length,
    script: document.querySelectorAll('script').length, b: document.querySelectorAll('b').length })`);
  assert.deepEqual(counts, { img: 0, svg: 0, script: 2, b: 0 });
  const graphNames = await panel.page.locator('#graph .gnode').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-layer')));
  for (const h of HOSTILE) assert.ok(graphNames.includes(h), `graph node for ${h}`);

  const rowHeads = await panel.page.locator('#overview tbody th').allTextContents();
  assert.deepEqual(rowHeads.slice(0, 3), HOSTILE);
  assert.deepEqual((await panel.page.locator('#losses table').first().locator('tbody th').allTextContents()).slice(0, 3), HOSTILE);

  await panel.page.locator('#overview canvas').focus();
  await panel.page.keyboard.press('Home');
  assert.equal(await panel.page.locator('#layer .layer-name').textContent(), HOSTILE[0]);
  await panel.waitForSent((m) => m.type === 'selectLayer' && m.layer === HOSTILE[0]);
  await panel.page.keyboard.press('ArrowRight');
  assert.equal(await panel.page.locator('#layer .layer-name').textContent(), HOSTILE[1]);
  assert.match(await panel.page.locator('#controls').innerText(), /Model: <b>model<\/b><img src=y onerror=alert\(4\)>/);
  assert.equal(await panel.page.locator('.notice').textContent(), '<img src=z onerror=alert(5)> failed');

  assert.deepEqual(panel.dialogs, []);
  assert.deepEqual(await panel.page.evaluate<string[]>('window.__violations'), []);
  assert.deepEqual(panel.errors, []);
  await panel.page.close();
});

test('the CSP blocks scripts without the nonce', async () => {
  const panel = await PanelPage.open(browser, harness, 'dark');
  // A script element inserted at run time has no nonce: the page's CSP must refuse it.
  const ran = await panel.page.evaluate<boolean>(`new Promise((resolve) => {
    document.addEventListener('securitypolicyviolation', () => resolve(window.__injected === true), { once: true });
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.body.append(s);
  })`);
  assert.equal(ran, false);
  const csp = await panel.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp ?? '', /^default-src 'none'; script-src 'nonce-[A-Za-z0-9+/]+'; style-src http:\/\/127\.0\.0\.1:\d+ 'nonce-[A-Za-z0-9+/]+'; img-src http:\/\/127\.0\.0\.1:\d+ data:;$/);
  await panel.page.close();
});
