/**
 * Building a tf.LayersModel from artifacts we read ourselves. It does what tf.loadLayersModel(tf.io.fromMemory(a))
 * does (model_config unwrapping, pythonic config conversion, strict weight loading) with two differences that
 * matter in a long-lived server: nothing leaks when the model is bad (tf.loadLayersModel drops a half-built model's
 * variables on the floor), and errors name the weight or layer at fault.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelFileError } from './model-types';
import { checkTopology } from './model-topology';
import type { JsonObject } from './model-types';

/** Builds the model and loads its weights; optimizer weights are skipped (pruning retrains from scratch). */
export async function buildLayersModel(file: string, artifacts: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  const { model, created } = await deserialize(file, artifacts.modelTopology as JsonObject);
  try {
    if (artifacts.userDefinedMetadata) model.setUserDefinedMetadata(artifacts.userDefinedMetadata);
    if (artifacts.trainingConfig) compileBestEffort(model, artifacts.trainingConfig);
    if (artifacts.weightData !== undefined && artifacts.weightSpecs) loadWeights(file, model, artifacts.weightSpecs, artifacts.weightData);
    return model;
  } catch (e) {
    model.dispose();
    // Variables of layers outside model.layers survive model.dispose(): free everything this build created.
    disposeVariables(created);
    throw e instanceof ModelFileError ? e : wrapTfError(file, e);
  }
}

function disposeVariables(names: readonly string[]): void {
  const variables = tf.engine().registeredVariables;
  for (const name of names) if (!variables[name]?.isDisposed) variables[name]?.dispose();
}

async function deserialize(file: string, modelTopology: JsonObject): Promise<{ model: tf.LayersModel; created: string[] }> {
  checkTopology(file, modelTopology);
  const variables = tf.engine().registeredVariables;
  const before = new Set(Object.keys(variables));
  let pending: Promise<tf.LayersModel>;
  let created: string[];
  try {
    // Without a weightsManifest, modelFromJSON never awaits: the whole build runs inside this call, so the
    // variables registered now are exactly the ones this model created, even with other work in flight.
    pending = tf.models.modelFromJSON({ modelTopology });
  } finally {
    created = Object.keys(variables).filter((name) => !before.has(name));
  }
  try {
    return { model: await pending, created };
  } catch (e) {
    disposeVariables(created);
    throw wrapTfError(file, e);
  }
}

/** Keras training configs name losses TF.js may lack; the model is still usable uncompiled, so that is not fatal. */
function compileBestEffort(model: tf.LayersModel, config: tf.io.TrainingConfig): void {
  try {
    // tfjs-core and tfjs-layers declare the same JSON twice; tf.loadLayersModel casts between them the same way.
    model.loadTrainingConfig(config as unknown as Parameters<tf.LayersModel['loadTrainingConfig']>[0]);
  } catch {
    // Callers compile with their own loss and optimizer before training anyway.
  }
}

function loadWeights(file: string, model: tf.LayersModel, specs: tf.io.WeightsManifestEntry[], data: tf.io.WeightData): void {
  const wanted = new Map(model.weights.map((w) => [w.originalName, w.shape]));
  for (const spec of specs) {
    const shape = wanted.get(spec.name);
    if (spec.group !== 'optimizer' && shape && !sameShape(shape, spec.shape)) {
      const layer = spec.name.split('/').slice(0, -1).join('/');
      throw new ModelFileError(file, `weight shape mismatch: weightsManifest gives "${spec.name}" shape [${spec.shape.join(', ')}] but layer "${layer}" needs [${shape.join(', ')}]`);
    }
  }
  const tensors = tf.io.decodeWeights(data, specs);
  try {
    const modelWeights: tf.NamedTensorMap = {};
    for (const spec of specs) if (spec.group !== 'optimizer') modelWeights[spec.name] = tensors[spec.name];
    model.loadWeights(modelWeights, true);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Rewords the TF.js errors a bad model.json can cause into what is wrong with the file. */
export function wrapTfError(file: string, e: unknown): ModelFileError {
  const message = e instanceof Error ? e.message : String(e);
  const unknown = /^Unknown layer: ([^.\s]+)/.exec(message);
  if (unknown) return new ModelFileError(file, `unknown layer class "${unknown[1]}": it is not built into TF.js ${tf.version.tfjs} nor registered with tf.serialization.registerClass`);
  const extra = /Provided weight data has no target variable: (.*)/.exec(message);
  if (extra) return new ModelFileError(file, `weightsManifest has weight "${extra[1]}" that no layer of modelTopology owns`);
  const unset = /(\d+) of (\d+) weights are not set: (.*)/s.exec(message);
  if (unset) return new ModelFileError(file, `weightsManifest lacks ${unset[1]} of the model's ${unset[2]} weights: ${unset[3]}`);
  if (/Shape mismatch/.test(message)) return new ModelFileError(file, `weight shape mismatch between weightsManifest and modelTopology: ${message}`);
  return new ModelFileError(file, `TF.js cannot build the model from modelTopology: ${message.split('\n')[0]}`);
}
