/**
 * A code-server (VS Code 1.139 in the browser) for one test file: temp HOME/config/user-data/extensions,
 * the extension installed from its .vsix as a user would, started in its own process group so that stopping
 * it also ends the extension host and our language server (killing only the top process leaves them alive).
 * Recipe and pitfalls: shared/E2E.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..', '..');
const NODE24 = join(REPO, '.tools', 'node24', 'node_modules', 'node', 'bin', 'node');
const ENTRY = join(REPO, '.tools', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** Settings that keep the workbench quiet and offline (no tips, trust prompt, telemetry, AI side bar, updates). */
const QUIET_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'update.mode': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export interface TempDirs {
  root: string;
  home: string;
  userData: string;
  extensions: string;
  profile: string;
}

export interface CodeServer {
  url: string;
  dirs: TempDirs;
  /** Environment for anything else that must not write into the real home (chromium). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export function toolsInstalled(): boolean {
  return existsSync(NODE24) && existsSync(ENTRY);
}

function isolatedEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), XDG_CACHE_HOME: join(home, '.cache') };
}

/** Temp folders for one code-server; `userSettings` go over the quiet defaults (e.g. to turn workspace trust on). */
export function makeTempDirs(userSettings: Record<string, unknown> = {}): TempDirs {
  const root = mkdtempSync(join(tmpdir(), 'dcp-e2e-'));
  const dirs = { root, home: join(root, 'home'), userData: join(root, 'user-data'), extensions: join(root, 'extensions'), profile: join(root, 'chromium') };
  for (const d of [dirs.home, join(dirs.userData, 'User'), dirs.extensions, dirs.profile]) mkdirSync(d, { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_USER_SETTINGS, ...userSettings }, null, 2));
  return dirs;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

/** `code-server --install-extension file.vsix`, exactly what a user runs. */
export function installVsix(dirs: TempDirs, vsix: string): string {
  const r = spawnSync(NODE24, [ENTRY, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix], {
    env: isolatedEnv(dirs.home), encoding: 'utf8', timeout: 120_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`installing ${vsix} failed (${r.status}):\n${out}`);
  return out;
}

/** Polls /healthz until the server answers; bounded by `timeoutMs`. */
async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode} before it was healthy`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms`);
}

/** Starts code-server on a free loopback port; its output goes to `logFile`. */
export async function startCodeServer(dirs: TempDirs, logFile: string): Promise<CodeServer> {
  const port = await freePort();
  const config = join(dirs.root, 'config.yaml');
  writeFileSync(config, [`bind-addr: 127.0.0.1:${port}`, 'auth: none', 'cert: false', 'disable-telemetry: true', 'disable-update-check: true', ''].join('\n'));
  const env = isolatedEnv(dirs.home);
  const log = openSync(logFile, 'w');
  // detached → setsid(): the child leads a new process group whose id is its pid.
  const child = spawn(NODE24, [ENTRY, '--config', config, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions], {
    env, detached: true, stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('code-server did not start');
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  };
  // Even if the test process dies, do not leave an extension host and a language server behind.
  const onExit = (): void => killGroup('SIGKILL');
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    const exited = child.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
    killGroup('SIGTERM');
    const timer = new Promise<void>((r) => setTimeout(r, 5000).unref());
    await Promise.race([exited, timer]);
    killGroup('SIGKILL');
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, child, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, dirs, env, stop };
}

/** Pids of this code-server's DCP language servers (forked from the extension host, running dist/server.js). */
export function languageServerPids(server: CodeServer): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', timeout: 10_000 });
  return ps.stdout
    .split('\n')
    .filter((line) => line.includes(server.dirs.extensions) && /dist[/\\]server\.js/.test(line))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}
