/**
 * Writing the ONNX messages of proto.ts: what the exporter (and the tests, which write their own small graphs) need.
 * Tensors are written as raw_data, float32 or int64 (int32 when the tensor says so), little-endian as ONNX requires.
 */
import { ATTR_FLOAT, ATTR_FLOATS, ATTR_INT, ATTR_INTS, ATTR_STRING, ATTR_TENSOR, DT_FLOAT, DT_INT32, DT_INT64 } from './proto';
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './proto';
import { WireWriter } from './wire';

export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new WireWriter().varint(1, m.irVersion);
  if (m.producerName) w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  w.message(7, encodeGraph(m.graph));
  for (const o of m.opsets) {
    const ow = new WireWriter();
    if (o.domain) ow.string(1, o.domain);
    w.message(8, ow.varint(2, o.version));
  }
  return w.finish();
}

function encodeGraph(g: OnnxGraph): WireWriter {
  const w = new WireWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

function encodeNode(n: OnnxNode): WireWriter {
  const w = new WireWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.message(5, encodeAttribute(a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function encodeAttribute(a: OnnxAttribute): WireWriter {
  const w = new WireWriter().string(1, a.name).varint(20, a.type);
  if (a.type === ATTR_FLOAT) w.float32(2, a.f ?? 0);
  else if (a.type === ATTR_INT) w.varint(3, a.i ?? 0);
  else if (a.type === ATTR_STRING) w.string(4, a.s ?? '');
  else if (a.type === ATTR_TENSOR && a.t) w.message(5, encodeTensor(a.t));
  else if (a.type === ATTR_FLOATS) w.packedFloats(7, a.floats);
  else if (a.type === ATTR_INTS) w.packedVarints(8, a.ints);
  return w;
}

/** Float tensors are written as float32 raw_data, integer tensors as int64 raw_data (or int32 for DT_INT32). */
export function encodeTensor(t: OnnxTensor): WireWriter {
  const w = new WireWriter().packedVarints(1, t.dims);
  if (t.floats) {
    w.varint(2, DT_FLOAT).string(8, t.name);
    const copy = Float32Array.from(t.floats);
    w.bytes(9, new Uint8Array(copy.buffer));
  } else {
    const ints = t.ints ?? [];
    const dt = t.dataType === DT_INT32 ? DT_INT32 : DT_INT64;
    w.varint(2, dt).string(8, t.name);
    const size = dt === DT_INT32 ? 4 : 8;
    const dv = new DataView(new ArrayBuffer(ints.length * size));
    ints.forEach((v, i) => (size === 4 ? dv.setInt32(i * 4, v, true) : dv.setBigInt64(i * 8, BigInt(v), true)));
    w.bytes(9, new Uint8Array(dv.buffer));
  }
  return w;
}

function encodeValueInfo(v: OnnxValueInfo): WireWriter {
  const shape = new WireWriter();
  for (const d of v.dims ?? []) {
    const dw = new WireWriter();
    if (typeof d === 'number') dw.varint(1, d);
    else dw.string(2, d);
    shape.message(1, dw);
  }
  const tensorType = new WireWriter().varint(1, v.elemType || DT_FLOAT);
  if (v.dims) tensorType.message(2, shape);
  return new WireWriter().string(1, v.name).message(2, new WireWriter().message(1, tensorType));
}
