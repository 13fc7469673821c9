/**
 * The worker host against a scripted worker thread: whatever the worker does — end cleanly, exit, throw, hang on
 * cancel, send garbage — the run's stream ends with exactly one terminal event and the host process survives.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../protocol/model';
import type { RunConfig } from '../../../protocol/model';
import { DEFAULT_RUN_CONFIG as DEFAULT_CONFIG } from '../../../protocol/settings';
import { defaultWorkerScript, WorkerRun } from '../../../server/runs/worker-host';

const SCRIPT = join(__dirname, 'fake-worker.ts');
const OPTIONS = { modelPath: '/m/model.json', outDir: '/m/out', checkpointDir: '/m/ck', resume: false };

async function run(behaviour: string, opts: { cancel?: boolean; graceMs?: number } = {}): Promise<{ events: RunEvent[]; logs: string[] }> {
  const events: RunEvent[] = [];
  const logs: string[] = [];
  let onFirst: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (onFirst = resolve));
  const w = new WorkerRun(SCRIPT, { ...DEFAULT_CONFIG, data: behaviour }, OPTIONS, {
    onEvent: (e) => {
      events.push(e);
      onFirst();
    },
    onLog: (l) => logs.push(l),
  }, opts.graceMs);
  if (opts.cancel) {
    await first;
    w.cancel();
  }
  await w.done;
  assert.ok(w.ended);
  return { events, logs };
}

const types = (events: RunEvent[]) => events.map((e) => e.type);

describe('WorkerRun', () => {
  it('forwards events in order and frees the thread after the terminal one', async () => {
    const { events, logs } = await run('fake:ok');
    assert.deepEqual(types(events), ['trainProgress', 'runFailed']);
    assert.ok(logs.some((l) => l.includes('fake worker: fake:ok')), 'worker stdout goes to the log, not to our stdout');
  });

  it('turns an exiting worker into runFailed with the exit code', async () => {
    const { events } = await run('fake:exit');
    assert.deepEqual(types(events), ['trainProgress', 'runFailed']);
    assert.match((events[1] as { message: string }).message, /exit code 3/);
  });

  it('turns an uncaught exception into runFailed with its message', async () => {
    const { events } = await run('fake:throw');
    assert.deepEqual(types(events), ['trainProgress', 'runFailed']);
    assert.match((events[1] as { message: string }).message, /crashed: boom/);
  });

  it('turns an unknown message into runFailed', async () => {
    const { events } = await run('fake:garbage');
    assert.deepEqual(types(events), ['trainProgress', 'runFailed']);
    assert.match((events[1] as { message: string }).message, /does not understand/);
  });

  it('forwards the engine\'s runCancelled after a cancel', async () => {
    const { events } = await run('fake:ok-but-slow', { cancel: true });
    assert.deepEqual(types(events), ['trainProgress', 'runCancelled']);
  });

  it('terminates a worker that ignores cancel after the grace period, and reports runCancelled', async () => {
    const started = Date.now();
    const { events } = await run('fake:hang', { cancel: true, graceMs: 200 });
    assert.deepEqual(types(events), ['trainProgress', 'runCancelled']);
    assert.ok(Date.now() - started < 5000);
  });

  it('the real worker refuses an invalid config with runFailed naming the setting, without running the engine', async () => {
    const events: RunEvent[] = [];
    // What a buggy or hostile host could post: the string "false" must not turn into a boolean.
    const bad = { ...DEFAULT_CONFIG, stageFinetune: 'false' } as unknown as RunConfig;
    const w = new WorkerRun(defaultWorkerScript(), bad, OPTIONS, { onEvent: (e) => events.push(e), onLog: () => undefined });
    await w.done;
    assert.deepEqual(types(events), ['runFailed']);
    assert.match((events[0] as { message: string }).message, /invalid run config: stageFinetune must be true or false \(got "false"\)/);
  });
});
