/**
 * Finds a Chromium or Chrome that playwright-core can drive, for the browser tests (test/browser) and the
 * end-to-end harness (test/e2e). A candidate counts only if it runs: `--version` exits 0 within a few seconds
 * (a file that exists but is a broken wrapper, lacks libraries or is not executable is rejected with the reason).
 * No browser is downloaded here; scripts/ensure-browser.ts installs one when this finds none.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export interface FoundBrowser {
  path: string;
  /** What `--version` printed, e.g. "Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)". */
  version: string;
}

export interface Rejected {
  path: string;
  reason: string;
}

export type Probe = { ok: true; version: string } | { ok: false; reason: string };

/** Environment variables naming the browser to use; the second is the name the harness used to read. */
export const BROWSER_ENV_VARS = ['CHROME_PATH', 'CHROMIUM_PATH'] as const;

/** Folders under playwright's cache (`chromium-1194`, …), newest revision first. */
function playwrightBrowsers(cache: string): string[] {
  let names: string[];
  try {
    names = readdirSync(cache);
  } catch {
    return [];
  }
  const revision = (n: string): number => Number(/-(\d+)$/.exec(n)?.[1] ?? 0);
  const full = names.filter((n) => /^chromium-\d+$/.test(n)).sort((a, b) => revision(b) - revision(a));
  const shell = names.filter((n) => /^chromium_headless_shell-\d+$/.test(n)).sort((a, b) => revision(b) - revision(a));
  return [
    ...full.flatMap((n) => ['chrome-linux/chrome', 'chrome-linux64/chrome', 'chrome-mac/Chromium.app/Contents/MacOS/Chromium']
      .map((rel) => join(cache, n, rel))),
    ...shell.flatMap((n) => ['chrome-linux/headless_shell', 'chrome-headless-shell-linux64/chrome-headless-shell']
      .map((rel) => join(cache, n, rel))),
  ];
}

/** Where playwright keeps the browsers it installs (PLAYWRIGHT_BROWSERS_PATH overrides, as in playwright). */
export function playwrightCache(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const custom = env.PLAYWRIGHT_BROWSERS_PATH;
  if (custom && custom !== '0') return custom;
  const home = env.HOME ?? homedir();
  return platform === 'darwin' ? join(home, 'Library', 'Caches', 'ms-playwright') : join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'ms-playwright');
}

/** Where Chromium or Chrome is installed by the system's packages or installers, in order of preference. */
export function systemBrowserPaths(platform = process.platform): string[] {
  return platform === 'darwin'
    ? ['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome']
    // Debian's real binary before its launcher script (which only adds flags from /etc/chromium.d).
    : ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable',
      '/usr/bin/google-chrome', '/opt/google/chrome/chrome'];
}

/**
 * Every place a browser may be, in order of preference (the explicit variables are handled by findBrowser).
 * Playwright's cache is listed when called, so a browser installed a moment ago is seen.
 */
export function browserCandidates(env: NodeJS.ProcessEnv = process.env, platform = process.platform, system = systemBrowserPaths(platform)): string[] {
  return [...system, ...playwrightBrowsers(playwrightCache(env, platform))];
}

/** Runs `path --version`; a browser that cannot print its version cannot be launched either. */
export function probeBrowser(path: string, timeoutMs = 10_000): Probe {
  if (!existsSync(path)) return { ok: false, reason: 'does not exist' };
  if (!statSync(path).isFile()) return { ok: false, reason: 'is not a file' };
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { ok: false, reason: 'is not executable' };
  }
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { ok: false, reason: `\`--version\` did not answer within ${timeoutMs} ms` };
  if (r.error) return { ok: false, reason: `cannot run: ${r.error.message}` };
  const out = r.stdout.trim();
  if (r.status !== 0) {
    const why = (r.stderr.trim() || out).split('\n').slice(-1)[0] ?? '';
    return { ok: false, reason: `\`--version\` exited with ${r.status ?? r.signal}${why ? `: ${why}` : ''}` };
  }
  if (!/\d+\.\d+/.test(out)) return { ok: false, reason: `\`--version\` printed no version (${JSON.stringify(out.slice(0, 80))})` };
  return { ok: true, version: out.split('\n')[0]! };
}

export interface FindOptions {
  env?: NodeJS.ProcessEnv;
  /** Replaces systemBrowserPaths() (tests); playwright's cache is still searched. */
  systemPaths?: string[];
  timeoutMs?: number;
}

export interface FindResult {
  found: FoundBrowser | undefined;
  rejected: Rejected[];
}

/**
 * The first candidate that runs. A browser named by CHROME_PATH (or CHROMIUM_PATH) that does not run is an
 * error, not a reason to quietly use another one.
 */
export function findBrowser(options: FindOptions = {}): FindResult {
  const env = options.env ?? process.env;
  for (const name of BROWSER_ENV_VARS) {
    const path = env[name];
    if (!path) continue;
    const probe = probeBrowser(path, options.timeoutMs);
    if (!probe.ok) throw new Error(`${name}=${path} is not a browser that runs: it ${probe.reason}. Unset ${name} or point it at Chromium or Chrome.`);
    return { found: { path, version: probe.version }, rejected: [] };
  }
  const rejected: Rejected[] = [];
  for (const path of browserCandidates(env, process.platform, options.systemPaths)) {
    const probe = probeBrowser(path, options.timeoutMs);
    if (probe.ok) return { found: { path, version: probe.version }, rejected };
    if (probe.reason !== 'does not exist') rejected.push({ path, reason: probe.reason });
  }
  return { found: undefined, rejected };
}

/** "none found", where it looked, and what was there but rejected and why. */
export function describeMissing(result: FindResult, options: FindOptions = {}): string {
  const where = `${(options.systemPaths ?? systemBrowserPaths()).join(', ')} and playwright's cache ${playwrightCache(options.env)}`;
  const lines = [`No Chromium or Chrome that runs was found (looked at ${BROWSER_ENV_VARS.join(', ')}, ${where}).`];
  for (const r of result.rejected) lines.push(`  rejected ${r.path}: it ${r.reason}`);
  return lines.join('\n');
}

/** For the harnesses: the browser to launch, or an error that says how to get one. */
export function requireBrowser(options: FindOptions = {}): FoundBrowser {
  const result = findBrowser(options);
  if (result.found) return result.found;
  throw new Error(`${describeMissing(result, options)}\nRun \`npm run setup:browser\`: it installs ` +
    'one (`apt-get install -y chromium` as root on Debian, else `node node_modules/playwright-core/cli.js install chromium`). Or set CHROME_PATH.');
}
