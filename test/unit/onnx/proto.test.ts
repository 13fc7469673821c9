import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WireReader, WireWriter } from '../../../server/onnx/wire';
import { ATTR_INTS, DT_FLOAT, DT_FLOAT16, DT_INT64, decodeModel } from '../../../server/onnx/proto';
import { encodeModel } from '../../../server/onnx/proto-encode';
import type { OnnxModel } from '../../../server/onnx/proto';

describe('protobuf wire format', () => {
  it('varints round-trip, including ten-byte negative int64s and values past 2^32', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40 + 5, -1, -2, -(2 ** 33)];
    const w = new WireWriter();
    values.forEach((v, i) => w.varint(i + 1, v));
    const r = new WireReader(w.finish());
    const back: number[] = [];
    while (!r.done) {
      const { field, wire } = r.tag();
      assert.equal(wire, 0);
      assert.equal(field, back.length + 1);
      back.push(r.varint());
    }
    assert.deepEqual(back, values);
  });

  it('repeated fields read both packed and one-per-tag', () => {
    const packed = new WireWriter().packedVarints(8, [3, -1, 5]).finish();
    const loose = new WireWriter().varint(8, 3).varint(8, -1).varint(8, 5).finish();
    for (const bytes of [packed, loose]) {
      const r = new WireReader(bytes);
      const out: number[] = [];
      while (!r.done) r.repeated(r.tag().wire, (x) => x.varint(), out);
      assert.deepEqual(out, [3, -1, 5]);
    }
  });

  it('truncated and malformed input is an error, not a hang or garbage', () => {
    const good = new WireWriter().string(2, 'hello').finish();
    assert.throws(() => {
      const r = new WireReader(good.subarray(0, 4));
      r.tag();
      r.string();
    }, /runs past the end/);
    assert.throws(() => {
      const r = new WireReader(Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
      r.tag();
      r.varint();
    }, /longer than 10 bytes/);
    assert.throws(() => decodeModel(Uint8Array.of(0x08, 0x07)), /no graph/);
  });
});

describe('ONNX messages', () => {
  it('a model round-trips through encodeModel/decodeModel with its attributes, shapes and tensors', () => {
    const m: OnnxModel = {
      irVersion: 8, producerName: 'p', producerVersion: '1', opsets: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        nodes: [{ name: 'n', opType: 'Conv', domain: '', inputs: ['x', 'w', ''], outputs: ['y'], attributes: [{ name: 'pads', type: ATTR_INTS, ints: [1, -1, 0, 2], floats: [] }] }],
        initializers: [
          { name: 'w', dims: [2, 3], dataType: DT_FLOAT, floats: Float32Array.of(1, -2, 3.5, 0, 1e-8, -7) },
          { name: 'shape', dims: [2], dataType: DT_INT64, ints: [0, -1] },
        ],
        inputs: [{ name: 'x', elemType: DT_FLOAT, dims: ['batch', 3, 8, 8] }],
        outputs: [{ name: 'y', elemType: DT_FLOAT, dims: null }],
      },
    };
    const back = decodeModel(encodeModel(m));
    assert.deepEqual(back, m);
  });

  it('float16 initializers are widened to float32', () => {
    // 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800 as raw little-endian bytes.
    const tensor = new WireWriter().packedVarints(1, [3]).varint(2, DT_FLOAT16).string(8, 'h').bytes(9, Uint8Array.of(0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38));
    const graph = new WireWriter().message(5, tensor);
    const back = decodeModel(new WireWriter().varint(1, 7).message(7, graph).finish());
    assert.deepEqual([...back.graph.initializers[0]!.floats!], [1, -2, 0.5]);
  });
});
