/**
 * Runs through the real server: a tiny model pruned in the worker, events streamed in order and recorded in the
 * run folder; inspect answering while the worker computes; cancel leaving no output; resume; failures as events.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol';
import {
  CancelRunRequest, GetRunEventsRequest, InspectModelRequest, ListRunsRequest, ResumeRunRequest, StartRunRequest,
  type RunEndedParams, type RunEventParams,
} from '../../../protocol/lsp';
import type { RunEvent } from '../../../protocol/model';
import { quickConfig, type TinyFixture } from './fixture';
import { useTinyServer } from './tiny-server';
import { fileUri, TestServer } from './lsp-client';

/** The engine's documented order, as a pattern over one letter per event. */
const GRAMMAR = /^S[TE]*H(G(s[iT]*l)*[TE]*)*D[TE]*F$/;
const LETTER: Record<RunEvent['type'], string> = {
  runStarted: 'S', trainProgress: 'T', epochDone: 'E', headsTrained: 'H', stageStarted: 'G', selectionStarted: 's',
  selectionIteration: 'i', layerDone: 'l', surgeryDone: 'D', runFinished: 'F', runFailed: 'X', runCancelled: 'C',
};
const letters = (events: RunEventParams[]) => events.map((e) => LETTER[e.event.type]).join('');

function assertSequential(events: RunEventParams[]): void {
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i), 'seq numbers are 0, 1, 2, … with no gaps');
}

function keptByLayer(ended: RunEndedParams): Record<string, number[]> {
  return Object.fromEntries((ended.report?.layers ?? []).map((l) => [l.layer, l.kept]));
}

describe('runs', () => {
  let server: TestServer;
  let fixture: TinyFixture;
  let uri: string;
  let finished: RunEndedParams;

  useTinyServer((s) => ({ server, fixture, uri } = s));

  it('streams a run\'s events in order, ending in runFinished and runEnded with the report', async () => {
    const started = await server.connection.sendRequest(StartRunRequest, { uri, config: quickConfig(fixture) });
    assert.equal(started.runDir, join(fixture.dir, 'tiny', '.dcp-runs', started.runId));
    finished = await server.waitEnded(started.runId);
    assert.equal(finished.status, 'finished', `${finished.message ?? ''}\n${server.stderr}`);
    const events = server.runEvents(started.runId);
    assertSequential(events);
    assert.match(letters(events), GRAMMAR);
    const last = events.at(-1)!.event;
    assert.ok(last.type === 'runFinished');
    assert.deepEqual(finished.report, last.report);
    assert.ok(finished.report!.layers.length > 0);

    // The folder holds everything, and the replay equals the stream.
    const files = readdirSync(started.runDir).sort();
    for (const f of ['config.json', 'events.jsonl', 'report.json', 'run.json']) assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    assert.equal(readFileSync(join(started.runDir, 'events.jsonl'), 'utf8').trim().split('\n').length, events.length);
    assert.ok(existsSync(join(started.outDir, 'model.json')), 'the pruned model is written');
    assert.deepEqual(await server.connection.sendRequest(GetRunEventsRequest, { runId: started.runId }), events);

    const [entry] = await server.connection.sendRequest(ListRunsRequest, { uri });
    assert.equal(entry.runId, started.runId);
    assert.equal(entry.status, 'finished');
    assert.equal(entry.resumable, false);
    assert.equal(entry.layersDone, finished.report!.layers.length);
    assert.ok(entry.outcome && entry.outcome.paramsAfter < entry.outcome.paramsBefore);
  });

  it('shows the last run\'s kept channels in the hover', async () => {
    const text = readFileSync(fixture.modelPath, 'utf8');
    await server.open(uri, text);
    const layer = finished.report!.layers[0];
    const character = text.indexOf(`"name":"${layer.layer}"`) + '"name":"'.length;
    const hover = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character } });
    assert.match((hover?.contents as MarkupContent).value, new RegExp(`kept ${layer.kept.length} of ${layer.inChannels} input channels`));
  });

  it('answers inspect within a second while a run computes; cancel leaves no output; resume continues to the clean run\'s result', async () => {
    const started = await server.connection.sendRequest(StartRunRequest, { uri, config: quickConfig(fixture) });
    const firstLayer = await server.waitEvent(started.runId, 'layerDone');

    // A model the server has not loaded yet, so the answer includes reading and analysing it.
    const copyDir = join(fixture.dir, 'copy');
    mkdirSync(copyDir);
    for (const f of readdirSync(join(fixture.dir, 'tiny')).filter((f) => !f.startsWith('.'))) copyFileSync(join(fixture.dir, 'tiny', f), join(copyDir, f));
    const t0 = performance.now();
    const summary = await server.connection.sendRequest(InspectModelRequest, { uri: fileUri(join(copyDir, 'model.json')) });
    const ms = performance.now() - t0;
    assert.equal(summary.layers.length > 0, true);
    assert.ok(ms < 1000, `inspect took ${ms.toFixed(0)} ms during a run`);
    assert.ok(!server.ended.all().some((e) => e.runId === started.runId), 'the run was still computing');

    assert.deepEqual(await server.connection.sendRequest(CancelRunRequest, { runId: started.runId }), { cancelled: true });
    const ended = await server.waitEnded(started.runId);
    assert.equal(ended.status, 'cancelled');
    assert.equal(server.runEvents(started.runId).at(-1)?.event.type, 'runCancelled');
    assert.ok(!existsSync(started.outDir) || readdirSync(started.outDir).length === 0, 'nothing written to the output folder');
    assert.equal(existsSync(join(started.runDir, 'report.json')), false);
    assert.deepEqual(await server.connection.sendRequest(CancelRunRequest, { runId: started.runId }), { cancelled: false });

    const entry = (await server.connection.sendRequest(ListRunsRequest, { uri })).find((e) => e.runId === started.runId);
    assert.equal(entry?.status, 'cancelled');
    assert.equal(entry?.resumable, true);

    const resumed = await server.connection.sendRequest(ResumeRunRequest, { runId: started.runId });
    assert.equal(resumed.runDir, started.runDir);
    const done = await server.waitEnded(started.runId, 1);
    assert.equal(done.status, 'finished', done.message ?? '');
    const all = server.runEvents(started.runId);
    assertSequential(all);
    // The resumed attempt replays finished layers as layerDone but selects only the rest.
    const redone = all.slice(firstLayer.seq + 1).flatMap((e) => (e.event.type === 'selectionStarted' ? [e.event.layer] : []));
    const doneBefore = firstLayer.event.type === 'layerDone' ? firstLayer.event.result.layer : '';
    assert.ok(!redone.includes(doneBefore), `the resumed run continues after ${doneBefore} (redid ${redone.join(', ')})`);
    assert.deepEqual(keptByLayer(done), keptByLayer(finished), 'same seed → same channels as the uninterrupted run');
  });

  it('lists a run whose server died as interrupted, and a new server resumes it to the end', async () => {
    const { server: doomed } = await TestServer.start();
    let runId: string;
    try {
      ({ runId } = await doomed.connection.sendRequest(StartRunRequest, { uri, config: quickConfig(fixture) }));
      await doomed.waitEvent(runId, 'headsTrained');
    } finally {
      await doomed.kill();
    }
    const entry = (await server.connection.sendRequest(ListRunsRequest, { uri })).find((e) => e.runId === runId);
    assert.equal(entry?.status, 'interrupted');
    assert.equal(entry?.resumable, true);
    const replay = await server.connection.sendRequest(GetRunEventsRequest, { runId, uri });
    assert.equal(replay[0].event.type, 'runStarted', 'the events of the first attempt are on disk');

    await server.connection.sendRequest(ResumeRunRequest, { runId, uri });
    const done = await server.waitEnded(runId);
    assert.equal(done.status, 'finished', done.message ?? '');
    assert.deepEqual(keptByLayer(done), keptByLayer(finished));
  });

  it('reports a run that cannot load its data as runFailed, and keeps serving', async () => {
    const started = await server.connection.sendRequest(StartRunRequest, { uri, config: quickConfig(fixture, { data: 'npz:/nonexistent/data.npz' }) });
    const ended = await server.waitEnded(started.runId);
    assert.equal(ended.status, 'failed');
    assert.match(ended.message ?? '', /nonexistent/);
    assert.equal(server.runEvents(started.runId).at(-1)?.event.type, 'runFailed');
    const entry = (await server.connection.sendRequest(ListRunsRequest, { uri })).find((e) => e.runId === started.runId);
    assert.equal(entry?.status, 'failed');
    assert.ok(server.alive);
  });
});
