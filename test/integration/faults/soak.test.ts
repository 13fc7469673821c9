/**
 * A bounded leak soak (soak.ts; `npm run soak` runs 20 and docs/reliability.md has the figures): four runs in one
 * server, two models, complete and cancelled. Every worker ends with no live tensors, no worker outlives its run,
 * and the server's heap after a forced GC does not grow past what the session keeps by design.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { soak } from './soak';

test('four runs in one server: every worker ends with 0 tensors, none stays alive, the server heap stays flat', { timeout: 600_000 }, async () => {
  const { cycles } = await soak(4);
  assert.deepEqual(cycles.map((c) => `${c.kind}:${c.status}`), ['complete:finished', 'complete:finished', 'cancel:cancelled', 'cancel:cancelled']);
  assert.deepEqual(new Set(cycles.map((c) => c.model)).size, 2, 'two different models');
  // null would mean the worker's memory never reached runEnded: the check would prove nothing.
  assert.deepEqual(cycles.map((c) => c.workerTensors), [0, 0, 0, 0]);
  assert.deepEqual(cycles.map((c) => c.liveRuns), [0, 0, 0, 0], 'each worker is gone when its run has ended');
  assert.ok(cycles.every((c) => c.collected), 'the server ran with --expose-gc, so heapUsed is live data');
  // The first run loads TF.js into the server (inspect) and warms it; after that only the kept events may add up.
  const growth = cycles[3].heapUsed - cycles[1].heapUsed;
  const kept = cycles[2].eventsBytes + cycles[3].eventsBytes;
  assert.ok(growth < 512 * 1024 + 4 * kept, `server heap grew by ${(growth / 1024).toFixed(0)} KiB over two runs (events kept: ${(kept / 1024).toFixed(0)} KiB)`);
});
