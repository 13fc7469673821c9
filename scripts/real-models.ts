/**
 * Writes the real-size models built in code (nothing to download) and seeded noise images to label with
 * `--labels teacher`, for trying the pruner at real size (README, "A real-size model"):
 *   <out>/mobilenetv2/model.json   MobileNetV2, 224×224×3, 1000 classes, 3.5 M params (test/fixtures/models/build.ts)
 *   <out>/inceptionv3/model.json   InceptionV3, 299×299×3, 1000 classes, 23.9 M params (…/inception-v3.ts)
 *   <out>/noise-224.npy, noise-299.npy   N seeded uniform-noise images each (u1)
 * The weights are seeded and untrained: the models measure time, memory and latency, not accuracy.
 *
 * Run: npx tsx scripts/real-models.ts [--out DIR] [--images N] [--only mobilenetv2|inceptionv3]
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../server/io/model-files';
import { writeNoiseNpy } from '../bench/real-models-data';
import { buildMobileNetV2Like } from '../test/fixtures/models/build';
import { buildInceptionV3Like } from '../test/fixtures/models/inception-v3';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}

async function main(): Promise<void> {
  const out = path.resolve(option('out', 'real-models'));
  const images = Number(option('images', '160'));
  const only = option('only', '');
  if (!Number.isInteger(images) || images < 1) throw new Error('--images takes a positive integer');
  // Building and saving only: the pure-JS backend needs no WASM heap for 24 M parameters.
  await tf.setBackend('cpu');
  const models = [
    { name: 'mobilenetv2', size: 224, build: () => buildMobileNetV2Like({ full: true, input: [224, 224, 3], classes: 1000 }) },
    { name: 'inceptionv3', size: 299, build: () => buildInceptionV3Like({ input: [299, 299, 3], classes: 1000 }) },
  ].filter((m) => !only || m.name === only);
  await fs.mkdir(out, { recursive: true });
  for (const m of models) {
    const model = m.build();
    const file = await saveLayersModel(model, path.join(out, m.name));
    console.log(`${file}: ${model.countParams()} params, input ${m.size}×${m.size}×3`);
    model.dispose();
    const npy = path.join(out, `noise-${m.size}.npy`);
    await writeNoiseNpy(npy, images, m.size);
    console.log(`${npy}: ${images} noise images`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
