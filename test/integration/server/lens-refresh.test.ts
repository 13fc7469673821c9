/**
 * The real server asks the client to re-request its CodeLenses when a recipe file changes (the client forwards the
 * file watcher's events as workspace/didChangeWatchedFiles), and the lenses it then returns show the new budget.
 * A client that does not claim refresh support is never sent the request; other files do not trigger it.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CodeLensRefreshRequest, CodeLensRequest, DidChangeWatchedFilesNotification, FileChangeType,
} from 'vscode-languageserver-protocol';
import { recipePathFor } from '../../../protocol/recipe';
import { makeTinyFixture, type TinyFixture } from './fixture';
import { fileUri, TestServer } from './lsp-client';

/** Counts refresh requests from the server; `next()` resolves on the next one (or rejects after `ms`). */
function refreshes(server: TestServer): { count: () => number; next: (ms: number) => Promise<void> } {
  let n = 0;
  let waiting: (() => void) | undefined;
  server.connection.onRequest(CodeLensRefreshRequest.type, () => {
    n += 1;
    waiting?.();
    return null;
  });
  return {
    count: () => n,
    next: (ms) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no workspace/codeLens/refresh within ${ms} ms`)), ms);
      waiting = () => { clearTimeout(timer); waiting = undefined; resolve(); };
    }),
  };
}

const notify = (server: TestServer, uri: string, type: FileChangeType) =>
  server.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri, type }] });

describe('budget CodeLens refresh', () => {
  let fixture: TinyFixture;
  before(async () => { fixture = await makeTinyFixture(); });
  after(() => fixture?.cleanup());

  it('asks for a refresh on a recipe change, and the re-requested lenses show the new budget', async () => {
    const { server } = await TestServer.start({}, undefined, undefined, undefined, { workspace: { codeLens: { refreshSupport: true } } });
    const seen = refreshes(server);
    try {
      const uri = fileUri(fixture.modelPath);
      await server.open(uri, readFileSync(fixture.modelPath, 'utf8'));
      const titles = async () => (await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } }))
        ?.map((l) => l.command?.title).filter((t) => t?.startsWith('DCP budget'));
      assert.deepEqual(await titles(), ['DCP budget: run rate', 'DCP budget: run rate']);

      const recipe = recipePathFor(fixture.modelPath);
      writeFileSync(recipe, JSON.stringify({ version: 1, layers: { conv3: { rate: 0.75 } } }));
      const created = seen.next(10_000);
      await notify(server, fileUri(recipe), FileChangeType.Created);
      await created;
      assert.deepEqual(await titles(), ['DCP budget: run rate', 'DCP budget: rate 0.75']);

      rmSync(recipe);
      const deleted = seen.next(10_000);
      await notify(server, fileUri(recipe), FileChangeType.Deleted);
      await deleted;
      assert.deepEqual(await titles(), ['DCP budget: run rate', 'DCP budget: run rate']);
      assert.equal(seen.count(), 2);

      // Another file changing is no reason to refresh: a request after it proves the notification was handled first.
      await notify(server, fileUri(join(fixture.dir, 'data.npz')), FileChangeType.Changed);
      await titles();
      assert.equal(seen.count(), 2);
    } finally {
      await server.stop();
    }
  });

  it('sends no refresh to a client without refresh support', async () => {
    const { server } = await TestServer.start();
    const seen = refreshes(server);
    try {
      const uri = fileUri(fixture.modelPath);
      await server.open(uri, readFileSync(fixture.modelPath, 'utf8'));
      await notify(server, fileUri(recipePathFor(fixture.modelPath)), FileChangeType.Changed);
      await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
      assert.equal(seen.count(), 0);
      assert.ok(server.alive);
    } finally {
      await server.stop();
    }
  });
});
