/**
 * The workspace the e2e test opens: a copy of an example model (examples/vgg, once trained and committed;
 * until then a small VGG-style net built from examples/architectures.ts) and workspace settings small enough
 * that a whole run takes seconds on two cores.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildVgg } from '../../../examples/architectures';
import { saveLayersModel } from '../../../server/io/model-files';
import { REPO } from './code-server';

/** Tiny-but-real run settings: every stage of the pipeline runs, on little data (~15 s on two cores, long enough to watch and to cancel). */
export const E2E_SETTINGS = {
  'dcp.method': 'dcp',
  'dcp.rate': 0.5,
  'dcp.dataset': 'mnist',
  'dcp.selectionSamples': 64,
  'dcp.maxTrainSamples': 1024,
  'dcp.headEpochs': 1,
  'dcp.finetuneEpochs': 2,
  'dcp.stageFinetune': false,
  'dcp.batchSize': 32,
  'dcp.backend': 'wasm',
  'dcp.outputFolder': 'pruned',
};

export interface Fixture {
  workspace: string;
  /** The two PyTorch-exported ONNX fixtures (test/fixtures/onnx), each in a folder of its own in the workspace. */
  onnx: { label: string; file: string }[];
  /** Absolute path of the model.json in the workspace. */
  model: string;
  /** The folder name the extension labels the model with. */
  label: string;
  /** Where `dcp.outputFolder` sends pruned models. */
  outputRoot: string;
}

/** `onnx`: also put the two ONNX exports in the workspace (only for the test that uses them: with several models, commands run without an argument ask which one). */
export async function makeWorkspace(root: string, settings: Record<string, unknown> = E2E_SETTINGS, opts: { onnx?: boolean } = {}): Promise<Fixture> {
  const workspace = join(root, 'workspace');
  const modelDir = join(workspace, 'vgg');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  const example = join(REPO, 'examples', 'vgg');
  if (existsSync(join(example, 'model.json'))) {
    cpSync(example, modelDir, { recursive: true, filter: (src) => !/\.ts$/.test(src) });
  } else {
    const model = buildVgg({ width: 4, seed: 7 });
    await saveLayersModel(model, modelDir);
    model.dispose();
    tf.disposeVariables();
  }
  const outputRoot = join(workspace, settings['dcp.outputFolder'] as string);
  // The output folder exists from the start: a row appearing mid-test shifts the explorer under the next right-click.
  if (opts.onnx) mkdirSync(outputRoot, { recursive: true });
  const onnx = (opts.onnx ? ['tiny_resnet', 'tiny_mobilenetv2'] : []).map((name) => {
    const label = `${name.replace('tiny_', '')}-onnx`;
    mkdirSync(join(workspace, label));
    cpSync(join(REPO, 'test', 'fixtures', 'onnx', `${name}.onnx`), join(workspace, label, `${name}.onnx`));
    return { label, file: join(workspace, label, `${name}.onnx`) };
  });
  return { workspace, onnx, model: join(modelDir, 'model.json'), label: 'vgg', outputRoot };
}
