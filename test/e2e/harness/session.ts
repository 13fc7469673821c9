/** One code-server session per test file: package the .vsix, install it into a fresh profile, open the workbench. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { join } from 'node:path';
import { installVsix, makeTempDirs, REPO, startCodeServer, toolsInstalled, type CodeServer } from './code-server';
import { makeWorkspace, type Fixture } from './fixture';
import { openWorkbench, type Workbench } from './workbench';

export interface Session {
  server: CodeServer;
  bench: Workbench;
  fixture: Fixture;
}

/** Each file packages again (a second or two) so that it also runs alone. */
export async function openSession(userSettings: Record<string, unknown> = {}, workspace: { onnx?: boolean } = {}): Promise<Session> {
  if (!toolsInstalled()) throw new Error('code-server/Node 24 are missing: run `npm run setup:e2e` (test:e2e does)');
  const pack = spawnSync('npm', ['run', 'package'], { cwd: REPO, encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL' });
  assert.equal(pack.status, 0, `npm run package failed:\n${pack.stdout}\n${pack.stderr}`);
  const dirs = makeTempDirs(userSettings);
  installVsix(dirs, join(REPO, 'dcp-pruner.vsix'));
  const fixture = await makeWorkspace(dirs.root, undefined, workspace);
  const server = await startCodeServer(dirs, join(dirs.root, 'code-server.log'));
  const bench = await openWorkbench(server, fixture.workspace);
  return { server, bench, fixture };
}

/** Stops everything the session started; its temp folder is kept after a failure (code-server.log is the next clue). */
export async function closeSession(server: CodeServer | undefined, bench: Workbench | undefined): Promise<void> {
  if (bench) await bench.close().catch(() => undefined);
  if (server) await server.stop();
  if (server && !process.exitCode) rmSync(server.dirs.root, { recursive: true, force: true });
}

/**
 * Registers a test file's session hooks (open before its tests, close after) and returns the session, whose fields
 * are filled in by the `before` hook.
 */
export function useSession(userSettings: Record<string, unknown> = {}, workspace: { onnx?: boolean } = {}): Session {
  const session: Partial<Session> = {};
  before(async () => {
    Object.assign(session, await openSession(userSettings, workspace));
  }, { timeout: 300_000 });
  after(() => closeSession(session.server, session.bench));
  return session as Session;
}
