import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel, readModelArtifacts } from '../../../server/io/model-files';
import type { WeightSpec } from '../../../server/io/model-files';
import { float16ToNumber } from '../../../server/io/model-dequantise';
import { tempDir, toFloat16Bits, useCpu, withoutLeaks, writeModelFolder } from './helpers';

const tmp = tempDir();
before(useCpu);
after(tmp.cleanup);

/** Dense(5→3) then Dense(3→2): the weights below fit it. */
const TOPOLOGY = {
  class_name: 'Sequential',
  config: {
    name: 'quantised',
    layers: [
      { class_name: 'Dense', config: { name: 'q8', units: 3, batch_input_shape: [null, 5], activation: 'relu', use_bias: true } },
      { class_name: 'Dense', config: { name: 'q16', units: 2, activation: 'linear', use_bias: true } },
    ],
  },
};

/** Stored bytes of one weight, little-endian. */
function bytesOf(kind: 'uint8' | 'uint16' | 'float16' | 'float32', values: number[]): Uint8Array {
  const width = kind === 'uint8' ? 1 : kind === 'float32' ? 4 : 2;
  const view = new DataView(new ArrayBuffer(values.length * width));
  values.forEach((v, i) => {
    if (kind === 'uint8') view.setUint8(i, v);
    else if (kind === 'uint16') view.setUint16(2 * i, v, true);
    else if (kind === 'float16') view.setUint16(2 * i, toFloat16Bits(v), true);
    else view.setFloat32(4 * i, v, true);
  });
  return new Uint8Array(view.buffer);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const q8Kernel = Array.from({ length: 15 }, (_, i) => (i * 37) % 256);
const q8Bias = [0.5, -1.25, 3.001953125];
const q16Kernel = [0, 1, 65535, 30000, 12345, 777];
const q16Bias = [0.1, -0.2];
const specs: WeightSpec[] = [
  // 15 one-byte values put the next weight at an odd offset: decoding must not assume alignment.
  { name: 'q8/kernel', shape: [5, 3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.02, min: -2.5 } },
  { name: 'q8/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
];
const specs2: WeightSpec[] = [
  { name: 'q16/kernel', shape: [3, 2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 3e-5, min: -1 } },
  { name: 'q16/bias', shape: [2], dtype: 'float32' },
];
const group1 = concat([bytesOf('uint8', q8Kernel), bytesOf('float16', q8Bias)]);
const group2 = concat([bytesOf('uint16', q16Kernel), bytesOf('float32', q16Bias)]);

async function writeQuantisedModel(dir: string): Promise<string> {
  return writeModelFolder(
    dir,
    {
      format: 'layers-model',
      modelTopology: TOPOLOGY,
      weightsManifest: [
        // Group 1 is cut mid-weight at an odd byte, as TF.js's byte-count sharding does.
        { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs },
        { paths: ['group2-shard1of1.bin'], weights: specs2 },
      ],
    },
    { 'group1-shard1of2.bin': group1.subarray(0, 7), 'group1-shard2of2.bin': group1.subarray(7), 'group2-shard1of1.bin': group2 },
  );
}

describe('quantised weights', () => {
  it('dequantises uint8, uint16 and float16 exactly as tf.io.decodeWeights does', async () => {
    const file = await writeQuantisedModel(path.join(tmp.dir, 'q'));
    const artifacts = await readModelArtifacts(file);
    assert.deepEqual(artifacts.weightSpecs, [...specs, ...specs2].map(({ name, shape }) => ({ name, shape, dtype: 'float32' })));
    const ours = new Float32Array(artifacts.weightData as ArrayBuffer);
    const expected = [
      ...q8Kernel.map((q) => q * 0.02 - 2.5),
      ...q8Bias,
      ...q16Kernel.map((q) => q * 3e-5 - 1),
      ...q16Bias,
    ];
    assert.deepEqual(Array.from(ours), Array.from(new Float32Array(expected)));
    await withoutLeaks(async () => {
      const reference = tf.io.decodeWeights(concat([group1, group2]).buffer as ArrayBuffer, [...specs, ...specs2] as tf.io.WeightsManifestEntry[]);
      const flat = Object.values(reference).flatMap((t) => Array.from(t.dataSync()));
      assert.deepEqual(Array.from(ours), flat);
      tf.dispose(Object.values(reference));
    });
  });

  it('loads the quantised model with the dequantised weights in place', async () => {
    await withoutLeaks(async () => {
      const model = await loadLayersModel(path.join(tmp.dir, 'q', 'model.json'));
      const kernel = model.getLayer('q16').getWeights()[0].dataSync();
      assert.deepEqual(Array.from(kernel), Array.from(new Float32Array(q16Kernel.map((q) => q * 3e-5 - 1))));
      const y = tf.tidy(() => (model.predict(tf.ones([1, 5])) as tf.Tensor).dataSync());
      assert.equal(y.length, 2);
      model.dispose();
    });
  });

  it('rounds uint8-quantised int32 weights like TF.js', async () => {
    const dir = path.join(tmp.dir, 'int');
    const spec = { name: 'table', shape: [4], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } };
    const file = await writeModelFolder(
      dir,
      { modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [{ paths: ['w.bin'], weights: [spec] }] },
      { 'w.bin': new Uint8Array([0, 1, 3, 255]) },
    );
    const a = await readModelArtifacts(file);
    assert.deepEqual(Array.from(new Int32Array(a.weightData as ArrayBuffer)), [-1, 0, 1, 127]);
    assert.equal(a.weightSpecs?.[0].dtype, 'int32');
  });

  it('decodes all 65 536 float16 bit patterns like TF.js', async () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const spec = { name: 'all', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } };
    const file = await writeModelFolder(
      path.join(tmp.dir, 'half'),
      { modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [{ paths: ['h.bin'], weights: [spec] }] },
      { 'h.bin': new Uint8Array(bits.buffer) },
    );
    const ours = new Float32Array((await readModelArtifacts(file)).weightData as ArrayBuffer);
    await withoutLeaks(async () => {
      const ref = tf.io.decodeWeights(bits.buffer, [spec as tf.io.WeightsManifestEntry]);
      const theirs = ref.all.dataSync();
      for (let i = 0; i < 65536; i++) assert.ok(Object.is(ours[i], theirs[i]) || (Number.isNaN(ours[i]) && Number.isNaN(theirs[i])), `bits ${i}: ${ours[i]} vs ${theirs[i]}`);
      ref.all.dispose();
    });
    assert.equal(float16ToNumber(0x3c00), 1);
    assert.equal(float16ToNumber(0xc000), -2);
    assert.equal(float16ToNumber(0x0001), 2 ** -24);
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.ok(Object.is(float16ToNumber(0x8000), -0));
  });
});
