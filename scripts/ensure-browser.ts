/**
 * Makes sure the browser tests have a browser: finds one (scripts/find-browser.ts) or installs one, then prints
 * its path on stdout with --print-path. On Debian as root (or with password-less sudo) that is `apt-get install chromium`;
 * elsewhere playwright's own download (`playwright-core/cli.js install chromium`, no root needed). When neither
 * is possible, or DCP_NO_BROWSER_INSTALL=1, it fails at once with the exact command to run instead: a fresh
 * machine must never sit in a test that cannot start.
 * Usage: node --import tsx scripts/ensure-browser.ts [--print-path]   (= npm run setup:browser; npm test and
 * run-tests.mjs call it)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { describeMissing, findBrowser, type FindOptions, type FoundBrowser } from './find-browser';

/** What decides how a browser can be installed here. Detected by detectSystem; tests pass their own. */
export interface SystemFacts {
  debian: boolean;
  aptGet: string | undefined;
  root: boolean;
  /** `sudo -n true` succeeds: sudo works without a password prompt. */
  passwordlessSudo: boolean;
  /** playwright-core's CLI, which can download its Chromium build. */
  playwrightCli: string | undefined;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function detectSystem(env: NodeJS.ProcessEnv = process.env): SystemFacts {
  const root = process.getuid?.() === 0;
  const aptGet = process.platform === 'linux' ? onPath('apt-get', env) : undefined;
  const sudo = !root && aptGet ? onPath('sudo', env) : undefined;
  let playwrightCli: string | undefined;
  try {
    // cli.js is not in the package's exports; package.json is.
    const cli = join(dirname(require.resolve('playwright-core/package.json')), 'cli.js');
    playwrightCli = existsSync(cli) ? cli : undefined;
  } catch {
    playwrightCli = undefined;
  }
  return {
    debian: existsSync('/etc/debian_version'),
    aptGet,
    root,
    passwordlessSudo: sudo !== undefined && spawnSync(sudo, ['-n', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0,
    playwrightCli,
  };
}

const APT_OPTS = ['-o', 'DPkg::Lock::Timeout=600'];

/** One command of an install, with how long it may take before it is stopped. */
export interface Step {
  argv: string[];
  timeoutMs: number;
}

export type InstallPlan = { how: 'apt' | 'playwright'; steps: Step[] } | { how: 'none'; why: string };

export function planInstall(facts: SystemFacts): InstallPlan {
  if (facts.debian && facts.aptGet && (facts.root || facts.passwordlessSudo)) {
    const apt = facts.root ? [facts.aptGet] : ['sudo', '-n', facts.aptGet];
    return {
      how: 'apt',
      steps: [
        { argv: [...apt, ...APT_OPTS, 'update', '-qq'], timeoutMs: 10 * 60_000 },
        { argv: [...apt, ...APT_OPTS, 'install', '-y', '-qq', 'chromium'], timeoutMs: 20 * 60_000 },
      ],
    };
  }
  if (facts.playwrightCli) {
    return { how: 'playwright', steps: [{ argv: [process.execPath, facts.playwrightCli, 'install', 'chromium'], timeoutMs: 20 * 60_000 }] };
  }
  return { how: 'none', why: facts.debian ? 'not root, sudo needs a password, and playwright-core is not installed' : 'no apt-get and playwright-core is not installed' };
}

/** The commands a person can paste, best first. */
export function installCommands(facts: SystemFacts): string[] {
  const commands: string[] = [];
  if (facts.debian) {
    const sudo = facts.root ? '' : 'sudo ';
    commands.push(`${sudo}apt-get update && ${sudo}apt-get install -y chromium`);
  }
  commands.push(facts.playwrightCli ? 'node node_modules/playwright-core/cli.js install chromium' : 'npm ci && node node_modules/playwright-core/cli.js install chromium');
  return commands;
}

export interface EnsureOptions extends FindOptions {
  facts?: SystemFacts;
  log?: (line: string) => void;
}

function failure(message: string, facts: SystemFacts, extra = ''): Error {
  const commands = installCommands(facts).map((c) => `  ${c}`).join('\n');
  return new Error(`${message}${extra ? `\n${extra}` : ''}\nInstall a browser with:\n${commands}\nthen run the tests again, or set CHROME_PATH to a Chromium or Chrome binary.`);
}

function runStep(step: Step, env: NodeJS.ProcessEnv, log: (line: string) => void): string | undefined {
  log(`$ ${step.argv.join(' ')}`);
  const r = spawnSync(step.argv[0]!, step.argv.slice(1), {
    // The installer's stdout goes to stderr: stdout carries only the browser's path (--print-path).
    stdio: ['ignore', 2, 2], timeout: step.timeoutMs, killSignal: 'SIGTERM',
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return `\`${step.argv.join(' ')}\` did not finish within ${step.timeoutMs / 60_000} min`;
  if (r.error) return `\`${step.argv.join(' ')}\` could not run: ${r.error.message}`;
  if (r.status !== 0) return `\`${step.argv.join(' ')}\` failed (exit ${r.status ?? r.signal})`;
  return undefined;
}

/** The browser to use, installed first if there is none; throws a message with the command to run otherwise. */
export function ensureBrowser(options: EnsureOptions = {}): FoundBrowser {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`[browser] ${line}\n`));
  const first = findBrowser(options);
  if (first.found) return first.found;
  const facts = options.facts ?? detectSystem(env);
  const missing = describeMissing(first, options);
  if (env.DCP_NO_BROWSER_INSTALL === '1') {
    throw failure(missing, facts, 'Automatic installation is off (DCP_NO_BROWSER_INSTALL=1).');
  }
  const plan = planInstall(facts);
  if (plan.how === 'none') throw failure(missing, facts, `It cannot be installed automatically here: ${plan.why}.`);
  log(`${missing.split('\n')[0]} Installing one (${plan.how}); set DCP_NO_BROWSER_INSTALL=1 to be asked instead.`);
  const start = Date.now();
  for (const step of plan.steps) {
    const error = runStep(step, env, log);
    if (error) throw failure(`Installing a browser failed: ${error}.`, facts);
  }
  const after = findBrowser(options);
  if (!after.found) throw failure(`The ${plan.how} install finished but no browser runs.\n${describeMissing(after, options)}`, facts);
  log(`installed ${after.found.version} in ${Math.round((Date.now() - start) / 1000)} s`);
  return after.found;
}

function main(): void {
  try {
    const browser = ensureBrowser();
    process.stderr.write(`[browser] using ${browser.path} (${browser.version})\n`);
    if (process.argv.includes('--print-path')) process.stdout.write(`${browser.path}\n`);
  } catch (e) {
    process.stderr.write(`[browser] ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();
