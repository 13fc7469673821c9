/**
 * Installing a browser when there is none, or failing at once with the command to run. The system paths are
 * replaced by a temp folder and playwright's cache is a temp folder too, so this machine's browser is not seen;
 * the "playwright" installer is a small node script that lays out a fake Chromium the way playwright does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { detectSystem, ensureBrowser, installCommands, planInstall, type SystemFacts } from '../../../scripts/ensure-browser';

const ROOT = join(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'dcp-ensure-browser-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let caches = 0;
/** A fresh, empty playwright cache and no system browser. */
function fresh(): { env: NodeJS.ProcessEnv; systemPaths: string[]; cache: string } {
  const cache = join(dir, `cache-${caches++}`);
  return { env: { PATH: process.env.PATH, PLAYWRIGHT_BROWSERS_PATH: cache }, systemPaths: [join(dir, 'no-such-browser')], cache };
}

/** A stand-in for playwright-core/cli.js: `install chromium` writes `chromium-1234/chrome-linux/chrome`. */
function fakeInstaller(name: string, browserScript: string | undefined, exit = 0): string {
  const path = join(dir, `${name}.js`);
  writeFileSync(path, `
const { mkdirSync, writeFileSync, chmodSync } = require('node:fs');
const { join } = require('node:path');
if (process.argv.slice(2).join(' ') !== 'install chromium') process.exit(2);
const script = ${JSON.stringify(browserScript ?? null)};
if (script) {
  const d = join(process.env.PLAYWRIGHT_BROWSERS_PATH, 'chromium-1234', 'chrome-linux');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'chrome'), '#!/bin/sh\\n' + script + '\\n');
  chmodSync(join(d, 'chrome'), 0o755);
}
process.exit(${exit});
`);
  return path;
}

const DEBIAN_USER: SystemFacts = { debian: true, aptGet: '/usr/bin/apt-get', root: false, passwordlessSudo: false, playwrightCli: undefined };
const quiet = (): void => undefined;

function failsFast(run: () => unknown): Error {
  const start = Date.now();
  let error: Error | undefined;
  try {
    run();
  } catch (e) {
    error = e as Error;
  }
  const ms = Date.now() - start;
  assert.ok(error, 'it threw');
  assert.ok(ms < 3000, `failed after ${ms} ms, not within seconds`);
  return error;
}

test('with DCP_NO_BROWSER_INSTALL=1 and no browser, it fails within seconds giving the exact commands', () => {
  const { env, systemPaths, cache } = fresh();
  const facts: SystemFacts = { ...DEBIAN_USER, passwordlessSudo: true, playwrightCli: fakeInstaller('never-run', 'echo "Chromium 1.0"') };
  const e = failsFast(() => ensureBrowser({ env: { ...env, DCP_NO_BROWSER_INSTALL: '1' }, systemPaths, facts, log: quiet }));
  assert.match(e.message, /No Chromium or Chrome that runs was found/);
  assert.match(e.message, /Automatic installation is off \(DCP_NO_BROWSER_INSTALL=1\)/);
  assert.match(e.message, /^ {2}sudo apt-get update && sudo apt-get install -y chromium$/m);
  assert.match(e.message, /^ {2}node node_modules\/playwright-core\/cli\.js install chromium$/m);
  assert.ok(!existsSync(cache), 'nothing was installed');
});

test('when nothing can install one (not root, no sudo, no playwright), it fails within seconds saying why and what to run', () => {
  const { env, systemPaths } = fresh();
  const e = failsFast(() => ensureBrowser({ env, systemPaths, facts: DEBIAN_USER, log: quiet }));
  assert.match(e.message, /cannot be installed automatically here: not root, sudo needs a password, and playwright-core is not installed/);
  assert.match(e.message, /sudo apt-get update && sudo apt-get install -y chromium/);
});

test('the plan: apt as root on Debian, sudo -n with password-less sudo, else playwright', () => {
  const root = planInstall({ ...DEBIAN_USER, root: true });
  assert.equal(root.how, 'apt');
  assert.deepEqual(root.how === 'apt' && root.steps.map((s) => s.argv), [
    ['/usr/bin/apt-get', '-o', 'DPkg::Lock::Timeout=600', 'update', '-qq'],
    ['/usr/bin/apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', 'chromium'],
  ]);
  const sudo = planInstall({ ...DEBIAN_USER, passwordlessSudo: true });
  assert.deepEqual(sudo.how === 'apt' && sudo.steps[0]!.argv.slice(0, 3), ['sudo', '-n', '/usr/bin/apt-get']);
  const macFacts: SystemFacts = { debian: false, aptGet: undefined, root: false, passwordlessSudo: false, playwrightCli: '/x/cli.js' };
  const mac = planInstall(macFacts);
  assert.deepEqual(mac.how === 'playwright' && mac.steps[0]!.argv.slice(1), ['/x/cli.js', 'install', 'chromium']);
  assert.deepEqual(installCommands(macFacts), ['node node_modules/playwright-core/cli.js install chromium']);
});

test('a browser installed through playwright is found in its cache and used', () => {
  const { env, systemPaths, cache } = fresh();
  const facts: SystemFacts = { ...DEBIAN_USER, playwrightCli: fakeInstaller('installs', 'echo "Chromium 141.0.7390.37"') };
  const lines: string[] = [];
  const found = ensureBrowser({ env, systemPaths, facts, log: (l) => lines.push(l) });
  assert.deepEqual(found, { path: join(cache, 'chromium-1234', 'chrome-linux', 'chrome'), version: 'Chromium 141.0.7390.37' });
  assert.ok(lines.some((l) => /Installing one \(playwright\)/.test(l)), lines.join('\n'));
  // Found now without installing again.
  assert.equal(ensureBrowser({ env, systemPaths, facts: DEBIAN_USER, log: quiet }).path, found.path);
});

test('a failed install, or one that leaves no working browser, fails with the commands', () => {
  const a = fresh();
  const failing: SystemFacts = { ...DEBIAN_USER, playwrightCli: fakeInstaller('fails', undefined, 1) };
  assert.throws(() => ensureBrowser({ env: a.env, systemPaths: a.systemPaths, facts: failing, log: quiet }),
    /Installing a browser failed: `.*fails\.js install chromium` failed \(exit 1\)[\s\S]*sudo apt-get install -y chromium/);
  const b = fresh();
  const useless: SystemFacts = { ...DEBIAN_USER, playwrightCli: fakeInstaller('useless', 'exit 127') };
  assert.throws(() => ensureBrowser({ env: b.env, systemPaths: b.systemPaths, facts: useless, log: quiet }),
    /The playwright install finished but no browser runs[\s\S]*rejected .*chromium-1234\/chrome-linux\/chrome: it `--version` exited with 127/);
});

test('the script exits 1 in seconds on a CHROME_PATH that does not run, naming it', () => {
  const bad = join(dir, 'not-a-browser');
  writeFileSync(bad, 'text');
  chmodSync(bad, 0o644);
  const start = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'ensure-browser.ts'), '--print-path'], {
    cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, CHROME_PATH: bad },
  });
  const ms = Date.now() - start;
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`CHROME_PATH=${bad} is not a browser that runs: it is not executable`));
  assert.ok(ms < 10_000, `took ${ms} ms`);
});

test("this checkout's playwright-core CLI is detected as an installer", () => {
  const cli = detectSystem().playwrightCli;
  assert.ok(cli && existsSync(cli) && /playwright-core[/\\]cli\.js$/.test(cli), String(cli));
});
