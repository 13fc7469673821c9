/**
 * `dcp/deleteRun` through the real server: a running run is refused, an ended one loses its history folder (and the
 * default output inside it), a pruned model written elsewhere is kept, and runs of an earlier session are found by uri.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CancelRunRequest, DcpErrorCodes, DeleteRunRequest, GetRunEventsRequest, ListRunsRequest, StartRunRequest } from '../../../protocol/lsp';
import { quickConfig, type TinyFixture } from './fixture';
import { useTinyServer } from './tiny-server';
import { TestServer } from './lsp-client';

/** Matches a JSON-RPC error response by its code. */
const withCode = (code: number) => (e: unknown): boolean => (e as { code?: unknown }).code === code;

describe('deleteRun', () => {
  let server: TestServer;
  let fixture: TinyFixture;
  let uri: string;

  useTinyServer((s) => ({ server, fixture, uri } = s));

  it('refuses a running run, then deletes it once cancelled, and forgets it', async () => {
    const started = await server.connection.sendRequest(StartRunRequest, { uri, config: quickConfig(fixture) });
    await server.waitEvent(started.runId, 'runStarted');
    await assert.rejects(server.connection.sendRequest(DeleteRunRequest, { runId: started.runId }), withCode(DcpErrorCodes.RunState));
    assert.ok(existsSync(join(started.runDir, 'run.json')), 'the refused delete left the folder alone');

    await server.connection.sendRequest(CancelRunRequest, { runId: started.runId });
    assert.equal((await server.waitEnded(started.runId)).status, 'cancelled');
    const result = await server.connection.sendRequest(DeleteRunRequest, { runId: started.runId });
    assert.deepEqual(result, { runDir: started.runDir, keptOutDir: null });
    assert.equal(existsSync(started.runDir), false);
    assert.ok(existsSync(fixture.modelPath), 'the source model is untouched');

    const listed = await server.connection.sendRequest(ListRunsRequest, { uri });
    assert.ok(!listed.some((e) => e.runId === started.runId), 'no longer listed');
    await assert.rejects(server.connection.sendRequest(DeleteRunRequest, { runId: started.runId, uri }), withCode(DcpErrorCodes.RunNotFound));
  });

  it('keeps a pruned model written outside the run folder; finds an earlier session\'s run by uri, or by id once listed', async () => {
    const outDir = join(fixture.dir, 'pruned-elsewhere');
    const started = await server.connection.sendRequest(StartRunRequest, { uri, config: quickConfig(fixture), outDir });
    const ended = await server.waitEnded(started.runId);
    assert.equal(ended.status, 'finished', ended.message ?? '');

    const { server: next } = await TestServer.start();
    try {
      await assert.rejects(next.connection.sendRequest(DeleteRunRequest, { runId: started.runId }), withCode(DcpErrorCodes.RunNotFound));
      // Once the model's runs were listed, the id alone finds the run (the panel replays it without a uri).
      assert.ok((await next.connection.sendRequest(ListRunsRequest, { uri })).some((e) => e.runId === started.runId));
      const replay = await next.connection.sendRequest(GetRunEventsRequest, { runId: started.runId });
      assert.equal(replay.at(-1)?.event.type, 'runFinished');
      const result = await next.connection.sendRequest(DeleteRunRequest, { runId: started.runId, uri });
      assert.deepEqual(result, { runDir: started.runDir, keptOutDir: outDir });
    } finally {
      await next.stop();
    }
    assert.equal(existsSync(started.runDir), false);
    assert.ok(existsSync(join(outDir, 'model.json')), 'the pruned model outside the history is kept');
  });

  it('refuses a malformed run id', async () => {
    await assert.rejects(server.connection.sendRequest(DeleteRunRequest, { runId: '../tiny' }), /runId/);
  });
});
