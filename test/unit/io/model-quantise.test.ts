/**
 * Re-quantised shards: float16 bits against our decoder, the affine codes' error bound and exact zeros, and a saved
 * model decoded by TF.js's own loader predicting what the float32 model predicts, within the code's precision.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../../../server/io/model-files';
import { float16ToNumber } from '../../../server/io/model-dequantise';
import { affineParams, numberToFloat16, quantiseWeights } from '../../../server/io/model-quantise';
import { predictFixed, randomiseWeights, smallFunctional, tempDir, useCpu, withoutLeaks } from './helpers';

const tmp = tempDir('dcp-quantise-');
before(useCpu);
after(tmp.cleanup);

describe('float16 encoding', () => {
  it('round-trips every finite half exactly and rounds to nearest even in between', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = float16ToNumber(h);
      if (Number.isNaN(v)) continue;
      assert.equal(numberToFloat16(v), h, `half 0x${h.toString(16)} = ${v}`);
    }
    // 1 + 2^-11 lies halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01): ties go to the even one.
    assert.equal(numberToFloat16(1 + 2 ** -11), 0x3c00);
    assert.equal(numberToFloat16(1 + 3 * 2 ** -11), 0x3c02);
    assert.equal(numberToFloat16(70000), 0x7c00, 'overflow is +Infinity');
    assert.equal(numberToFloat16(-1e-9), 0x8000, 'underflow keeps the sign');
    assert.ok(Number.isNaN(float16ToNumber(numberToFloat16(NaN))));
  });
});

describe('affine uint8 / uint16 codes', () => {
  it('keep zero exact and stay within half a step of every value', () => {
    const values = new Float32Array([-0.31, 0, 0.02, 0.5, 1.7, -0.0001]);
    for (const [dtype, levels] of [['uint8', 255], ['uint16', 65535]] as const) {
      const { scale, min } = affineParams(values, levels);
      const q = quantiseWeights([{ name: 'w', shape: [6], dtype: 'float32' }], values.slice().buffer, dtype);
      assert.deepEqual(q.specs[0].quantization, { dtype, scale, min });
      const codes = dtype === 'uint8' ? new Uint8Array(q.data) : new Uint16Array(q.data);
      const decoded = Array.from(codes, (c) => c * scale + min);
      decoded.forEach((d, i) => assert.ok(Math.abs(d - values[i]) <= scale / 2 + 1e-7, `${dtype} ${values[i]} → ${d}`));
      assert.equal(decoded[1], 0, 'zero decodes to exactly zero');
    }
  });

  it('copies int32 weights unchanged and refuses already-quantised ones', () => {
    const data = new Uint8Array([...new Uint8Array(new Int32Array([7, -3]).buffer), ...new Uint8Array(new Float32Array([0.5]).buffer)]);
    const q = quantiseWeights([{ name: 'i', shape: [2], dtype: 'int32' }, { name: 'f', shape: [1], dtype: 'float32' }], data.buffer, 'float16');
    assert.deepEqual(Array.from(new Int32Array(q.data.slice(0, 8))), [7, -3]);
    assert.equal(q.specs[0].quantization, undefined);
    assert.equal(float16ToNumber(new Uint16Array(q.data.slice(8))[0]), 0.5);
    assert.throws(() => quantiseWeights([{ name: 'f', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }], new ArrayBuffer(1), 'uint8'), /already quantised/);
  });
});

describe('saveLayersModel with quantize', () => {
  it('writes smaller shards that TF.js decodes to nearly the same predictions', async () => {
    await withoutLeaks(async () => {
      const model = smallFunctional();
      randomiseWeights(model);
      const expected = predictFixed(model);
      const sizes: Record<string, number> = {};
      for (const dtype of ['none', 'float16', 'uint16', 'uint8'] as const) {
        const file = await saveLayersModel(model, path.join(tmp.dir, dtype), { quantize: dtype });
        const json = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
        sizes[dtype] = (await fs.stat(path.join(tmp.dir, dtype, json.weightsManifest[0].paths[0]))).size;
        const artifacts = await tf.io.getModelArtifactsForJSON(json, async (m) => [
          m.flatMap((g) => g.weights), new Uint8Array(await fs.readFile(path.join(tmp.dir, dtype, m[0].paths[0]))).buffer,
        ]);
        const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
        const got = predictFixed(loaded);
        loaded.dispose();
        const err = Math.max(...got.map((v, i) => Math.abs(v - expected[i])));
        const bound = { none: 1e-6, float16: 2e-2, uint16: 2e-3, uint8: 0.3 }[dtype];
        assert.ok(err <= bound, `${dtype}: max prediction error ${err}`);
      }
      model.dispose();
      assert.equal(sizes.float16, sizes.none / 2);
      assert.equal(sizes.uint16, sizes.none / 2);
      assert.equal(sizes.uint8, sizes.none / 4);
    });
  });
});
