/**
 * The real pruning worker (server/worker.ts) with one fault injected at one point of the run, chosen by the
 * environment the test sets before starting the run (worker threads get a copy of it):
 *   DCP_FAULT=cancel|enospc|kill   DCP_FAULT_AT=load|heads|select|surgery|finetune|measure|save|first-write
 * At the point, `cancel` delivers a cancel message to the worker's own handler (as the host's would arrive),
 * `enospc` makes every later engine write fail as a full disk does, `kill` ends the thread at once (exit code 70,
 * as a crash or an out-of-memory abort). The point is the first event of the phase, except `save` (the second file
 * written into the output folder), `load` (the start message) and `first-write` (the engine's first file).
 * With DCP_FAULT=record nothing is injected: each engine write is logged as `FAULT-WRITE <phase> <last event> <file>`.
 */
import { parentPort } from 'node:worker_threads';
import { sep } from 'node:path';
import { enospc, setWriteFault } from '../../../server/io/atomic';
import type { WorkerToHost } from '../../../server/runs/worker-messages';
import { phaseTracker, type FaultPhase, type PhaseTracker } from './phases';

const port = parentPort!;
const fault = process.env.DCP_FAULT ?? '';
const at = (process.env.DCP_FAULT_AT ?? '') as FaultPhase | 'first-write';
let tracker: PhaseTracker | null = null;
let lastEvent = '(none)';
let fired = false;
let full = false;
let outputFiles = 0;

function fire(): void {
  if (fired) return;
  fired = true;
  if (fault === 'kill') process.exit(70);
  if (fault === 'enospc') full = true;
  // The worker's own 'message' listener aborts the engine, exactly as for a cancel sent by the host.
  if (fault === 'cancel') port.emit('message', { kind: 'cancel' });
}

setWriteFault((file) => {
  const toOutput = file.includes(`${sep}.output.tmp-`);
  if (toOutput) outputFiles++;
  if (fault === 'record') console.log(`FAULT-WRITE ${toOutput ? 'save' : tracker?.phase ?? 'load'} ${lastEvent} ${file}`);
  if (at === 'first-write' || (at === 'save' && outputFiles === 2)) fire();
  if (full) throw enospc(file);
});

const post = port.postMessage.bind(port);
port.postMessage = (m: WorkerToHost) => {
  post(m);
  if (m.kind === 'event') lastEvent = m.event.type;
  if (m.kind === 'event' && tracker?.see(m.event) && tracker.phase === at) fire();
};

// Registered before server/worker.ts's own listener, so it sees the start message first.
port.on('message', (m: { kind?: string; config?: { finetuneEpochs?: number } }) => {
  if (m.kind !== 'start') return;
  tracker = phaseTracker(m.config?.finetuneEpochs ?? 0);
  if (at === 'load') setImmediate(fire);
});

// require, not import(): the engine must share this module's instance of server/io/atomic (and its hook).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../../server/worker');
