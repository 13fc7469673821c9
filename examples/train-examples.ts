/**
 * Trains the example models (seeded) and saves them under examples/<name>/: `resnet` and `vgg` on the embedded MNIST,
 * `fashion-resnet` on Fashion-MNIST (Debian's dataset-fashion-mnist), capped at 12,000 training images to keep it to
 * minutes on two cores. Run: npm run train-examples [-- --epochs N --only resnet|vgg|fashion-resnet]. Uses the same
 * split as `dcp prune --seed 1`, so the validation accuracy printed here is the "before" accuracy of a run.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../server/tfjs/backend';
import { loadDataset, batches, type Dataset, type Split } from '../server/data/dataset';
import { saveLayersModel } from '../server/io/model-files';
import { buildResNet, buildVgg } from './architectures';

async function accuracy(model: tf.LayersModel, split: Split): Promise<number> {
  let correct = 0;
  for (const b of batches(split, 250, null)) {
    const hits = tf.tidy(() => tf.sum(tf.equal(tf.argMax(model.predict(tf.tensor4d(b.x, [b.n, 28, 28, 1])) as tf.Tensor, -1), tf.tensor1d(b.y, 'int32')).cast('int32')));
    correct += (await hits.data())[0];
    hits.dispose();
  }
  return correct / split.count;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const epochs = Number(args[args.indexOf('--epochs') + 1] ?? 0) || 4;
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
  const backend = await initBackend('wasm');
  const loaded = new Map<string, Dataset>();
  const dataset = async (spec: string, maxTrainSamples: number): Promise<Dataset> => {
    const key = `${spec}#${maxTrainSamples}`;
    if (!loaded.has(key)) loaded.set(key, await loadDataset(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 1, selectionSamples: 256, maxTrainSamples }));
    return loaded.get(key)!;
  };
  const builders = {
    resnet: { build: () => buildResNet({ seed: 1 }), data: 'mnist', maxTrainSamples: 0 },
    vgg: { build: () => buildVgg({ seed: 1 }), data: 'mnist', maxTrainSamples: 0 },
    'fashion-resnet': { build: () => buildResNet({ seed: 1, width: 8, name: 'resnet_fashion' }), data: 'fashion-mnist', maxTrainSamples: 12000 },
  };
  const metrics: Record<string, unknown> = {};
  for (const [name, { build, data: spec, maxTrainSamples }] of Object.entries(builders)) {
    if (only && only !== name) continue;
    const data = await dataset(spec, maxTrainSamples);
    const model = build();
    const optimizer = tf.train.adam(0.003);
    model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
    const t0 = Date.now();
    for (let epoch = 1; epoch <= epochs; epoch++) {
      // Step decay in the last epoch settles the weights; the shuffle is seeded per epoch.
      if (epoch === epochs) (optimizer as unknown as { learningRate: number }).learningRate = 0.0005;
      let loss = 0;
      let n = 0;
      for (const b of batches(data.train, 64, 1000 + epoch)) {
        const x = tf.tensor4d(b.x, [b.n, 28, 28, 1]);
        const y = tf.tensor1d(b.y, 'float32');
        loss += (await model.trainOnBatch(x, y)) as number * b.n;
        n += b.n;
        tf.dispose([x, y]);
      }
      process.stdout.write(`${name} epoch ${epoch}/${epochs}: loss ${(loss / n).toFixed(4)}, val acc ${(await accuracy(model, data.validation)).toFixed(4)}\n`);
    }
    const valAccuracy = await accuracy(model, data.validation);
    const dir = path.join(__dirname, name);
    await fs.rm(dir, { recursive: true, force: true });
    await saveLayersModel(model, dir);
    metrics[name] = { data: spec, valAccuracy, params: model.countParams(), epochs, trainSamples: data.train.count, validationSamples: data.validation.count, seconds: (Date.now() - t0) / 1000, backend };
    process.stdout.write(`${name}: validation accuracy ${(valAccuracy * 100).toFixed(2)}% (${data.validation.count} held-out samples), ${model.countParams()} params\n`);
    model.dispose();
  }
  const file = path.join(__dirname, 'metrics.json');
  const old = await fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>).catch(() => ({}));
  await fs.writeFile(file, JSON.stringify({ ...old, ...metrics }, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
