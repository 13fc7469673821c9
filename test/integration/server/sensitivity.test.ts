/**
 * Layer sensitivity through the real language server over JSON-RPC: the analysis runs in a worker, streams its
 * events as notifications ending in exactly one end event, writes sensitivity.json next to the model; bad params
 * are refused at the edge; a cancel ends it with sensitivityCancelled.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CancelSensitivityRequest, SensitivityEventNotification, StartSensitivityRequest, type SensitivityEventParams } from '../../../protocol/lsp';
import { isSensitivityEnd, parseSensitivityResult } from '../../../protocol/sensitivity';
import { quickConfig } from './fixture';
import { useTinyServer, type TinyServer } from './tiny-server';

describe('dcp/startSensitivity', () => {
  let t: TinyServer;
  useTinyServer((s) => (t = s));
  const received: SensitivityEventParams[] = [];

  /** Resolves with the analysis's events once its end event arrived. */
  function untilEnd(id: string, ms = 120_000): Promise<SensitivityEventParams[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no end event for ${id} within ${ms} ms; stderr:\n${t.server.stderr}`)), ms);
      const poll = setInterval(() => {
        const mine = received.filter((p) => p.analysisId === id);
        if (mine.some((p) => isSensitivityEnd(p.event))) {
          clearInterval(poll);
          clearTimeout(timer);
          // Anything after the end would be a bug: give stragglers a moment to show up.
          setTimeout(() => resolve(received.filter((p) => p.analysisId === id)), 300);
        }
      }, 50);
    });
  }

  test('streams points and writes sensitivity.json next to the model', async () => {
    t.server.connection.onNotification(SensitivityEventNotification, (p) => received.push(p));
    const config = quickConfig(t.fixture);
    delete config.rate;
    const r = await t.server.connection.sendRequest(StartSensitivityRequest, { uri: t.uri, rates: [0.5, 0.25], targetFlops: 1.2, config });
    assert.ok(r.outFile.endsWith('sensitivity.json'));
    const events = (await untilEnd(r.analysisId)).map((p) => p.event);
    const end = events.at(-1)!;
    assert.equal(end.type, 'sensitivityDone', JSON.stringify(end));
    assert.equal(events.filter(isSensitivityEnd).length, 1);
    const started = events[0];
    assert.equal(started.type, 'sensitivityStarted');
    const points = events.filter((e) => e.type === 'sensitivityPoint');
    assert.equal(points.length, (started.type === 'sensitivityStarted' ? started.layers.length : 0) * 2);
    const onDisk = parseSensitivityResult(JSON.parse(readFileSync(r.outFile, 'utf8')));
    assert.deepEqual(onDisk.rates, [0.25, 0.5]);
    assert.ok(onDisk.suggestion, 'a target gives a suggestion');
  });

  test('bad params are refused before any work; a second analysis waits for the first', async () => {
    await assert.rejects(t.server.connection.sendRequest(StartSensitivityRequest, { uri: t.uri, rates: [1.5], targetFlops: null }), /"rates" must be 1-64 numbers in \(0, 1\)/);
    await assert.rejects(t.server.connection.sendRequest(StartSensitivityRequest, { uri: t.uri, rates: [0.5], targetFlops: 0.5 }), /"targetFlops" must be a number ≥ 1 or null/);
    await assert.rejects(t.server.connection.sendRequest(StartSensitivityRequest, { uri: `${t.uri}.missing`, rates: [0.5], targetFlops: null }));
    await assert.rejects(t.server.connection.sendRequest(CancelSensitivityRequest, { analysisId: 'nope' }), /no sensitivity analysis nope/);
  });

  test('a cancel ends the analysis with sensitivityCancelled', async () => {
    const config = { ...quickConfig(t.fixture), headEpochs: 3 };
    delete config.rate;
    const r = await t.server.connection.sendRequest(StartSensitivityRequest, { uri: t.uri, rates: [0.25, 0.5], targetFlops: null, config });
    await assert.rejects(t.server.connection.sendRequest(StartSensitivityRequest, { uri: t.uri, rates: [0.5], targetFlops: null, config }), /already running/);
    const { cancelled } = await t.server.connection.sendRequest(CancelSensitivityRequest, { analysisId: r.analysisId });
    assert.equal(cancelled, true);
    const events = (await untilEnd(r.analysisId)).map((p) => p.event);
    assert.equal(events.at(-1)!.type, 'sensitivityCancelled');
    assert.equal(events.filter(isSensitivityEnd).length, 1);
  });
});
