/**
 * Latency on the backend the pruned model will be deployed to (`latencyBackend`), which need not be the one the run
 * computes with. TF.js tensors belong to the backend that made them: running the run's own models on another backend
 * would make TF.js move every weight over, and back again at the next use (drift, saving). So both models are
 * serialised on the run's backend, rebuilt on the target, timed there, disposed, and the run's backend made active
 * again: the run's tensors are never touched, and a failure or a cancellation still restores the backend.
 *
 * `tensorflow` (tfjs-node) is optional and often cannot load. Then latency is timed on the run's backend and the
 * result carries a note saying why, as onnxLatencyNote does: a long run is not thrown away at its last step for a
 * figure that can still be given, and the report names the backend the figures are really from.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../protocol/model';
import { buildLayersModel } from '../../io/model-build';
import { captureArtifacts } from '../../io/model-save';
import { activateBackend, nodeBackendProblem } from '../../tfjs/backend';

export interface OnBackend<T> {
  result: T;
  /** The TF.js backend `measure` ran on (`wasm`, `cpu`, `tensorflow`). */
  backend: string;
  /** Set when the chosen backend could not be used: why, and that the run's backend was used instead. */
  note?: string;
}

/**
 * Runs `measure` on `models` on the backend `choice` names (`run` = the active one), on copies of them when that is
 * another backend. `threads` is the wasm thread count, for a wasm backend this process has not created yet.
 */
export async function onLatencyBackend<T>(
  choice: RunConfig['latencyBackend'], models: readonly tf.LayersModel[],
  measure: (models: readonly tf.LayersModel[]) => Promise<T>, opts: { threads?: number } = {},
): Promise<OnBackend<T>> {
  const run = tf.getBackend();
  if (choice === 'run' || choice === run) return { result: await measure(models), backend: run };
  // Serialised while the run's backend is active: reading the weights does not move them.
  const artifacts = await Promise.all(models.map((m) => captureArtifacts(m)));
  let why: string | null = null;
  try {
    if (!(await activateBackend(choice, opts))) why = choice === 'tensorflow' ? nodeBackendProblem() ?? 'tfjs-node failed to initialise' : `the ${choice} backend failed to initialise`;
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }
  if (why !== null) {
    // A failed tf.setBackend leaves the engine without an active backend: restore the run's before timing on it.
    await tf.setBackend(run);
    return { result: await measure(models), backend: run, note: `latency backend "${choice}" not available (${why}); timed on the run's backend, ${run}` };
  }
  const copies: tf.LayersModel[] = [];
  try {
    for (const [i, a] of artifacts.entries()) copies.push(await buildLayersModel(`${models[i].name} (copy on ${choice})`, a));
    return { result: await measure(copies), backend: choice };
  } finally {
    for (const c of copies) c.dispose();
    await tf.setBackend(run);
  }
}
