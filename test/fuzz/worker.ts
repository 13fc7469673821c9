/**
 * Runs fuzz cases in a worker thread (so a hang can be ended by terminating the worker, and an allocation past the
 * worker's heap limit kills only the worker). Answers each case with its outcome class and message.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { loadNumpy } from '../../server/data/numpy';
import { DatasetError } from '../../server/data/types';
import { checkModelJsonText, loadLayersModel, ModelFileError } from '../../server/io/model-files';
import type { FuzzCase } from './cases';
import { FILE_READERS, type FileReaderName } from './cases-files';
import { readFileCase } from './readers-files';

export type Outcome = 'loaded' | 'refused' | 'crashed';
export interface CaseResult {
  outcome: Outcome;
  message: string;
}

async function run(c: FuzzCase): Promise<CaseResult> {
  if (c.reader === 'model-text') {
    try {
      const { problems } = checkModelJsonText(readFileSync(c.file, 'utf8'));
      return problems.length > 0 ? { outcome: 'refused', message: problems[0].message } : { outcome: 'loaded', message: '' };
    } catch (e) {
      return { outcome: 'crashed', message: String(e instanceof Error ? e.stack : e) };
    }
  }
  if ((FILE_READERS as readonly string[]).includes(c.reader)) {
    try {
      return await readFileCase(c.reader as FileReaderName, c.file);
    } catch (e) {
      return { outcome: 'crashed', message: String(e instanceof Error ? e.stack : e) };
    }
  }
  if (c.reader === 'numpy') {
    try {
      const raw = loadNumpy(c.file, [28, 28, 1], true);
      return { outcome: 'loaded', message: `${raw.count ?? ''}` };
    } catch (e) {
      return e instanceof DatasetError ? { outcome: 'refused', message: e.message } : { outcome: 'crashed', message: String(e instanceof Error ? e.stack : e) };
    }
  }
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  try {
    const model = await loadLayersModel(c.file);
    model.dispose();
    return { outcome: 'loaded', message: '' };
  } catch (e) {
    return e instanceof ModelFileError ? { outcome: 'refused', message: e.message } : { outcome: 'crashed', message: String(e instanceof Error ? e.stack : e) };
  } finally {
    // A refused model must not leave half-built variables behind in a long-lived server.
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) parentPort!.postMessage({ leak: leaked });
  }
}

parentPort!.on('message', (c: FuzzCase) => {
  void run(c).then((r) => parentPort!.postMessage(r));
});
