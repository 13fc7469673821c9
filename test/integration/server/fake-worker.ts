/**
 * A stand-in for server/worker.ts that misbehaves on purpose, to test the worker host without TF.js.
 * The behaviour is chosen by `config.data`: `fake:ok`, `fake:exit`, `fake:throw`, `fake:hang`, `fake:garbage`.
 */
import { parentPort } from 'node:worker_threads';
import { isHostToWorker, type WorkerToHost } from '../../../server/runs/worker-messages';

const port = parentPort!;
const post = (m: WorkerToHost | { nonsense: true }) => port.postMessage(m);
let behaviour = '';
const progress = { type: 'trainProgress', phase: 'heads', stage: null, epoch: 0, epochs: 1, batch: 0, batches: 1, loss: 1, time: 1 } as const;

port.on('message', (m: unknown) => {
  if (!isHostToWorker(m)) return;
  if (m.kind === 'cancel') {
    // `fake:hang` ignores cancellation (a step that never ends); the others stop cleanly.
    if (behaviour !== 'fake:hang') {
      post({ kind: 'event', event: { type: 'runCancelled', time: 2 } });
      post({ kind: 'done' });
    }
    return;
  }
  behaviour = m.config.data;
  console.log(`fake worker: ${behaviour}`);
  post({ kind: 'event', event: progress });
  if (behaviour === 'fake:ok') {
    post({ kind: 'event', event: { type: 'runFailed', message: 'scripted end', time: 2 } });
    post({ kind: 'done' });
  } else if (behaviour === 'fake:exit') {
    process.exit(3);
  } else if (behaviour === 'fake:throw') {
    setImmediate(() => {
      throw new Error('boom');
    });
  } else if (behaviour === 'fake:garbage') {
    post({ nonsense: true });
  }
});
