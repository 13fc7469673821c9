/**
 * The subset of onnx.proto (ONNX IR, https://github.com/onnx/onnx/blob/main/docs/IR.md) that conv nets use, as plain
 * TypeScript data, with its decoder and encoder. Field numbers follow onnx.proto; fields not listed here (doc strings,
 * training info, functions, sparse initializers…) are skipped when reading and not written. Tensors are kept as
 * Float32Array (float/double/float16 data) or number[] (integer data): the importer needs nothing else.
 * The encoder is proto-encode.ts.
 */
import { WIRE_BYTES, WireReader } from './wire';

export const DT_FLOAT = 1;
export const DT_INT32 = 6;
export const DT_INT64 = 7;
export const DT_FLOAT16 = 10;
export const DT_DOUBLE = 11;

export const ATTR_FLOAT = 1;
export const ATTR_INT = 2;
export const ATTR_STRING = 3;
export const ATTR_TENSOR = 4;
export const ATTR_FLOATS = 6;
export const ATTR_INTS = 7;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Float data (float32, float16 and double are all widened or narrowed to float32). */
  floats?: Float32Array;
  /** Integer data (int32/int64/uint8/int8/bool…). */
  ints?: number[];
  /** Set when the weights live in another file, which the importer refuses. */
  external?: boolean;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

/** A graph input/output: element type and dims (a dim is a number, or a string for a symbolic one like "batch"). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[] | null;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsets: { domain: string; version: number }[];
  graph: OnnxGraph;
}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  const r = new WireReader(bytes);
  const m: OnnxModel = { irVersion: 0, producerName: '', producerVersion: '', opsets: [], graph: emptyGraph() };
  let sawGraph = false;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) m.irVersion = r.varint();
    else if (field === 2 && wire === WIRE_BYTES) m.producerName = r.string();
    else if (field === 3 && wire === WIRE_BYTES) m.producerVersion = r.string();
    else if (field === 7 && wire === WIRE_BYTES) {
      m.graph = decodeGraph(r.message());
      sawGraph = true;
    } else if (field === 8 && wire === WIRE_BYTES) m.opsets.push(decodeOpset(r.message()));
    else r.skip(wire);
  }
  if (!sawGraph) throw new Error('not an ONNX model: it has no graph');
  return m;
}

function emptyGraph(): OnnxGraph {
  return { name: '', nodes: [], initializers: [], inputs: [], outputs: [] };
}

function decodeOpset(r: WireReader): { domain: string; version: number } {
  const o = { domain: '', version: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_BYTES) o.domain = r.string();
    else if (field === 2 && wire === 0) o.version = r.varint();
    else r.skip(wire);
  }
  return o;
}

function decodeGraph(r: WireReader): OnnxGraph {
  const g = emptyGraph();
  while (!r.done) {
    const { field, wire } = r.tag();
    if (wire !== WIRE_BYTES) r.skip(wire);
    else if (field === 1) g.nodes.push(decodeNode(r.message()));
    else if (field === 2) g.name = r.string();
    else if (field === 5) g.initializers.push(decodeTensor(r.message()));
    else if (field === 11) g.inputs.push(decodeValueInfo(r.message()));
    else if (field === 12) g.outputs.push(decodeValueInfo(r.message()));
    else r.skip(wire);
  }
  return g;
}

function decodeNode(r: WireReader): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (wire !== WIRE_BYTES) r.skip(wire);
    else if (field === 1) n.inputs.push(r.string());
    else if (field === 2) n.outputs.push(r.string());
    else if (field === 3) n.name = r.string();
    else if (field === 4) n.opType = r.string();
    else if (field === 5) n.attributes.push(decodeAttribute(r.message()));
    else if (field === 7) n.domain = r.string();
    else r.skip(wire);
  }
  return n;
}

function decodeAttribute(r: WireReader): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0, floats: [], ints: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_BYTES) a.name = r.string();
    else if (field === 20 && wire === 0) a.type = r.varint();
    else if (field === 2 && wire === 5) a.f = r.float32();
    else if (field === 3 && wire === 0) a.i = r.varint();
    else if (field === 4 && wire === WIRE_BYTES) a.s = r.string();
    else if (field === 5 && wire === WIRE_BYTES) a.t = decodeTensor(r.message());
    else if (field === 7) r.repeated(wire, (x) => x.float32(), a.floats);
    else if (field === 8) r.repeated(wire, (x) => x.varint(), a.ints);
    else r.skip(wire);
  }
  return a;
}

function decodeTensor(r: WireReader): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0 };
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) r.repeated(wire, (x) => x.varint(), t.dims);
    else if (field === 2 && wire === 0) t.dataType = r.varint();
    else if (field === 4) r.repeated(wire, (x) => x.float32(), floats);
    else if (field === 5 || field === 7 || field === 11) r.repeated(wire, (x) => x.varint(), ints);
    else if (field === 10) r.repeated(wire, (x) => x.float64(), floats);
    else if (field === 8 && wire === WIRE_BYTES) t.name = r.string();
    else if (field === 9 && wire === WIRE_BYTES) raw = r.bytes();
    else if (field === 14 && wire === 0) t.external = r.varint() === 1;
    else r.skip(wire);
  }
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (raw) {
    decodeRaw(t, raw);
  } else if (isFloatType(t.dataType)) {
    // float16 without raw_data is stored as its bit patterns in int32_data.
    t.floats = t.dataType === DT_FLOAT16 ? Float32Array.from(ints, halfToFloat) : Float32Array.from(floats);
  } else {
    t.ints = ints;
  }
  const n = t.floats ? t.floats.length : (t.ints?.length ?? 0);
  if (!t.external && n !== count) throw new Error(`tensor "${t.name}" has ${n} values for dims [${t.dims.join(', ')}]`);
  return t;
}

function isFloatType(dt: number): boolean {
  return dt === DT_FLOAT || dt === DT_DOUBLE || dt === DT_FLOAT16;
}

function decodeRaw(t: OnnxTensor, raw: Uint8Array): void {
  // Copy first: raw_data may sit at any byte offset of the file, and typed views need aligned offsets.
  const buf = raw.slice().buffer;
  const dv = new DataView(buf);
  const dt = t.dataType;
  if (dt === DT_FLOAT) t.floats = new Float32Array(buf);
  else if (dt === DT_DOUBLE) t.floats = Float32Array.from(new Float64Array(buf));
  else if (dt === DT_FLOAT16) t.floats = Float32Array.from(new Uint16Array(buf), halfToFloat);
  else if (dt === DT_INT64) t.ints = Array.from({ length: raw.length / 8 }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
  else if (dt === DT_INT32) t.ints = Array.from(new Int32Array(buf));
  else if (dt === 2 || dt === 9) t.ints = Array.from(raw);
  else if (dt === 3) t.ints = Array.from(new Int8Array(buf));
  else throw new Error(`tensor "${t.name}" has ONNX data type ${dt}, which the importer does not read`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decodeValueInfo(r: WireReader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, dims: null };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_BYTES) v.name = r.string();
    else if (field === 2 && wire === WIRE_BYTES) decodeType(r.message(), v);
    else r.skip(wire);
  }
  return v;
}

function decodeType(r: WireReader, v: OnnxValueInfo): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== WIRE_BYTES) {
      r.skip(wire);
      continue;
    }
    const tt = r.message();
    while (!tt.done) {
      const k = tt.tag();
      if (k.field === 1 && k.wire === 0) v.elemType = tt.varint();
      else if (k.field === 2 && k.wire === WIRE_BYTES) v.dims = decodeShape(tt.message());
      else tt.skip(k.wire);
    }
  }
}

function decodeShape(r: WireReader): (number | string)[] {
  const dims: (number | string)[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== WIRE_BYTES) {
      r.skip(wire);
      continue;
    }
    const d = r.message();
    let dim: number | string = '?';
    while (!d.done) {
      const k = d.tag();
      if (k.field === 1 && k.wire === 0) dim = d.varint();
      else if (k.field === 2 && k.wire === WIRE_BYTES) dim = d.string();
      else d.skip(k.wire);
    }
    dims.push(dim);
  }
  return dims;
}

/** Attribute lookup helpers the op converters share. */
export function attrInt(n: OnnxNode, name: string, dflt: number): number {
  return n.attributes.find((a) => a.name === name)?.i ?? dflt;
}

export function attrFloat(n: OnnxNode, name: string, dflt: number): number {
  return n.attributes.find((a) => a.name === name)?.f ?? dflt;
}

export function attrInts(n: OnnxNode, name: string): number[] | null {
  const a = n.attributes.find((x) => x.name === name);
  return a ? a.ints : null;
}

export function attrString(n: OnnxNode, name: string, dflt: string): string {
  return n.attributes.find((a) => a.name === name)?.s ?? dflt;
}
