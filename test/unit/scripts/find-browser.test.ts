/**
 * The browser finder on fake browsers: small shell scripts that answer `--version` (or do not) stand in for
 * Chromium, in a temp folder laid out like the system paths and playwright's cache.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { browserCandidates, findBrowser, probeBrowser, requireBrowser } from '../../../scripts/find-browser';

const dir = mkdtempSync(join(tmpdir(), 'dcp-find-browser-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fake(name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

const good = fake('good/chrome', 'echo "Chromium 130.0.6723.58 built on Debian"');
const notExecutable = fake('plain/chrome', 'echo "Chromium 1.2.3"', 0o644);
const broken = fake('broken/chrome', 'echo "error while loading shared libraries: libnss3.so" >&2; exit 127');
const silent = fake('silent/chrome', 'exit 0');
const hangs = fake('hangs/chrome', 'exec sleep 30');
const missing = join(dir, 'nowhere', 'chrome');
// An empty playwright cache, so the machine's own does not leak into the tests.
const noEnv: NodeJS.ProcessEnv = { PLAYWRIGHT_BROWSERS_PATH: join(dir, 'empty-cache') };

test('a candidate that prints its version is found, with that version', () => {
  const r = findBrowser({ env: noEnv, systemPaths: [missing, good] });
  assert.deepEqual(r.found, { path: good, version: 'Chromium 130.0.6723.58 built on Debian' });
});

test('a file that is not executable is rejected, and the next candidate is used', () => {
  const r = findBrowser({ env: noEnv, systemPaths: [notExecutable, good] });
  assert.equal(r.found?.path, good);
  assert.deepEqual(r.rejected, [{ path: notExecutable, reason: 'is not executable' }]);
});

test('a binary that fails or prints no version is rejected with what it said', () => {
  const r = findBrowser({ env: noEnv, systemPaths: [broken, silent, join(dir, 'good')] });
  assert.equal(r.found, undefined);
  assert.equal(r.rejected.length, 3);
  assert.match(r.rejected[0]!.reason, /exited with 127: error while loading shared libraries: libnss3\.so/);
  assert.match(r.rejected[1]!.reason, /printed no version/);
  assert.equal(r.rejected[2]!.reason, 'is not a file');
});

test('a binary that never answers is rejected after the timeout, not waited for', () => {
  const start = Date.now();
  const probe = probeBrowser(hangs, 500);
  const ms = Date.now() - start;
  assert.deepEqual(probe, { ok: false, reason: '`--version` did not answer within 500 ms' });
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('CHROME_PATH wins over the candidates; CHROMIUM_PATH is still read', () => {
  assert.equal(findBrowser({ env: { ...noEnv, CHROME_PATH: good }, systemPaths: [missing] }).found?.path, good);
  assert.equal(findBrowser({ env: { ...noEnv, CHROMIUM_PATH: good }, systemPaths: [missing] }).found?.path, good);
});

test('a CHROME_PATH that does not run is an error naming it, not a quiet fallback', () => {
  assert.throws(() => findBrowser({ env: { ...noEnv, CHROME_PATH: notExecutable }, systemPaths: [good] }),
    new RegExp(`CHROME_PATH=${notExecutable} is not a browser that runs: it is not executable`));
});

test("playwright's cache is searched, newest revision first, after the system paths", () => {
  const cache = join(dir, 'pw-cache');
  const old = fake('pw-cache/chromium-1100/chrome-linux/chrome', 'echo "Chromium 120.0.1"');
  const newer = fake('pw-cache/chromium-1194/chrome-linux/chrome', 'echo "Chromium 141.0.7390.37"');
  const env = { PLAYWRIGHT_BROWSERS_PATH: cache };
  const all = browserCandidates(env, 'linux');
  assert.equal(all[0], '/usr/lib/chromium/chromium');
  assert.ok(all.indexOf(newer) > all.indexOf('/usr/bin/chromium'));
  assert.ok(all.indexOf(newer) < all.indexOf(old), all.join('\n'));
  assert.equal(findBrowser({ env, systemPaths: [missing] }).found?.version, 'Chromium 141.0.7390.37');
});

test('with nothing found, requireBrowser says what it rejected and how to get a browser', () => {
  assert.throws(() => requireBrowser({ env: noEnv, systemPaths: [missing, broken] }), (e: Error) => {
    assert.match(e.message, /No Chromium or Chrome that runs was found/);
    assert.match(e.message, new RegExp(`rejected ${broken}: it \`--version\` exited with 127`));
    assert.match(e.message, /npm run setup:browser/);
    assert.match(e.message, /CHROME_PATH/);
    return true;
  });
});
