/**
 * The leak soak: one real language server (started with --expose-gc) runs `cycles` runs back to back on two
 * different models, alternating complete runs and runs cancelled mid-selection. After each run it records the
 * worker's live tensors once the engine returned (`runEnded.workerMemory`) and the server's heap after a full GC
 * (`dcp/serverMemory`). Used by `npm run soak` (20 cycles, printed) and by a bounded test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CancelRunRequest, DeleteRunRequest, ServerMemoryRequest, StartRunRequest, type RunEndedParams } from '../../../protocol/lsp';
import type { RunConfig } from '../../../protocol/model';
import { saveLayersModel } from '../../../server/io/model-files';
import { initBackend } from '../../../server/tfjs/backend';
import { makeTinyFixture, quickConfig } from '../server/fixture';
import { fileUri, TestServer } from '../server/lsp-client';

export interface SoakCycle {
  cycle: number;
  model: string;
  kind: 'complete' | 'cancel';
  status: RunEndedParams['status'];
  workerTensors: number | null;
  workerBytes: number | null;
  heapUsed: number;
  rss: number;
  collected: boolean;
  liveRuns: number;
  /** JSON size of the run's events, which the server keeps for replay for the whole session (by design). */
  eventsBytes: number;
  ms: number;
}

interface SoakModel {
  name: string;
  uri: string;
  config: Partial<RunConfig>;
}

/** A second model for the fixture's 8×8×1, 3-class data: wider convs, each followed by BatchNorm (pruned with it). */
function batchNormNet(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.heNormal({ seed });
  const input = tf.input({ shape: [8, 8, 1], name: 'input' });
  let x: tf.SymbolicTensor = input;
  [6, 10, 10].forEach((filters, i) => {
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: init(10 + i), name: `c${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `bn${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `relu${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(20), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y, name: 'tiny_bn' });
}

/**
 * Runs the soak; `onCycle` sees each cycle as it ends (the script prints them). With `deleteRuns`, each run is
 * deleted (dcp/deleteRun) once measured, which drops what the session keeps of it: then nothing may accumulate.
 */
export async function soak(cycles: number, onCycle: (c: SoakCycle) => void = () => undefined, deleteRuns = false): Promise<{ baselineHeap: number; cycles: SoakCycle[] }> {
  await initBackend('cpu');
  const fixture = await makeTinyFixture();
  const runsDir = mkdtempSync(join(tmpdir(), 'dcp-soak-runs-'));
  const second = batchNormNet();
  const secondPath = await saveLayersModel(second, join(fixture.dir, 'bn'));
  second.dispose();
  const models: SoakModel[] = [
    { name: 'tiny-plain', uri: fileUri(fixture.modelPath), config: quickConfig(fixture) },
    { name: 'tiny-batchnorm', uri: fileUri(secondPath), config: quickConfig(fixture, { seed: 5, rate: 0.4 }) },
  ];
  const { server } = await TestServer.start({ runsDir }, undefined, 60_000, ['--expose-gc']);
  const out: SoakCycle[] = [];
  try {
    const baselineHeap = (await server.connection.sendRequest(ServerMemoryRequest, {})).heapUsed;
    for (let i = 0; i < cycles; i++) {
      const t0 = Date.now();
      const m = models[i % 2];
      // complete, complete, cancel, cancel, …: each model both finishes and is cancelled, in turn.
      const kind = Math.floor(i / 2) % 2 === 0 ? 'complete' : 'cancel';
      const { runId } = await server.connection.sendRequest(StartRunRequest, { uri: m.uri, config: m.config });
      if (kind === 'cancel') {
        await server.waitEvent(runId, 'selectionStarted', 120_000);
        await server.connection.sendRequest(CancelRunRequest, { runId });
      }
      const ended = await server.waitEnded(runId, 0, 180_000);
      if (deleteRuns) await server.connection.sendRequest(DeleteRunRequest, { runId, uri: m.uri });
      const mem = await server.connection.sendRequest(ServerMemoryRequest, {});
      const c: SoakCycle = {
        cycle: i + 1, model: m.name, kind, status: ended.status, workerTensors: ended.workerMemory?.numTensors ?? null,
        workerBytes: ended.workerMemory?.numBytes ?? null, heapUsed: mem.heapUsed, rss: mem.rss, collected: mem.collected, liveRuns: mem.liveRuns,
        eventsBytes: JSON.stringify(server.runEvents(runId).map((e) => e.event)).length, ms: Date.now() - t0,
      };
      out.push(c);
      onCycle(c);
    }
    return { baselineHeap, cycles: out };
  } finally {
    await server.stop();
    fixture.cleanup();
    rmSync(runsDir, { recursive: true, force: true });
    if (tf.memory().numTensors !== 0) throw new Error(`the soak itself left ${tf.memory().numTensors} tensors`);
  }
}

/** Least-squares slope of heapUsed over the cycles from `from` on (bytes per run): the leak rate. */
export function heapSlope(cycles: readonly SoakCycle[], from = 2): number {
  const pts = cycles.slice(from);
  if (pts.length < 2) return 0;
  const mx = pts.reduce((a, c) => a + c.cycle, 0) / pts.length;
  const my = pts.reduce((a, c) => a + c.heapUsed, 0) / pts.length;
  const num = pts.reduce((a, c) => a + (c.cycle - mx) * (c.heapUsed - my), 0);
  const den = pts.reduce((a, c) => a + (c.cycle - mx) ** 2, 0);
  return num / den;
}
