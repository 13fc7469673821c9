/**
 * The protobuf wire format (varints, fixed32/64, length-delimited fields), just enough to read and write the ONNX
 * messages in proto.ts. Written here rather than taken from protobufjs: ONNX files only need five wire types and a
 * schema-less reader keeps the dependency list short. int64 fields are read as JS numbers (exact up to 2^53, far
 * beyond any tensor dimension or attribute an ONNX conv net holds); negative int64s are ten-byte two's-complement
 * varints, which is why the slow path goes through BigInt.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

/** Thrown for bytes that are not a well-formed protobuf message; the importer adds the file name. */
export class WireError extends Error {}

export class WireReader {
  private pos: number;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array, start = 0, private readonly end = buf.length) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new WireError(`field number 0 at byte ${this.pos}`);
    return { field, wire: t % 8 };
  }

  varint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.byte();
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    // Past 28 bits: finish in BigInt so that ten-byte negative int64s come out as negative numbers.
    let big = BigInt(result);
    let bigShift = 28n;
    for (let i = 4; i < 10; i++) {
      const b = this.byte();
      big |= BigInt(b & 0x7f) << bigShift;
      if (b < 0x80) return Number(BigInt.asIntN(64, big));
      bigShift += 7n;
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  float32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const n = this.varint();
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return new TextDecoder('utf-8').decode(this.bytes());
  }

  /** A reader over a length-delimited sub-message. */
  message(): WireReader {
    const n = this.varint();
    this.need(n);
    const sub = new WireReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return sub;
  }

  /** Repeated numeric field: packed (one length-delimited run) or one value per tag, both legal on the wire. */
  repeated(wire: number, read: (r: WireReader) => number, into: number[]): void {
    if (wire !== WIRE_BYTES) {
      into.push(read(this));
      return;
    }
    const sub = this.message();
    while (!sub.done) into.push(read(sub));
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.advance(8);
    else if (wire === WIRE_BYTES) this.advance(this.varint());
    else if (wire === WIRE_FIXED32) this.advance(4);
    else throw new WireError(`unsupported wire type ${wire} at byte ${this.pos}`);
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new WireError('message ends in the middle of a field');
    return this.buf[this.pos++]!;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new WireError(`field of ${n} bytes runs past the end of its message`);
  }
}

/** Builds a message field by field; sub-messages are encoded first and written as bytes. */
export class WireWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];

  private flushScratch(): void {
    if (this.scratch.length) {
      this.chunks.push(Uint8Array.from(this.scratch));
      this.scratch = [];
    }
  }

  private rawVarint(v: number): void {
    if (v < 0 || !Number.isSafeInteger(v)) {
      let big = BigInt.asUintN(64, BigInt(Math.trunc(v)));
      while (big >= 0x80n) {
        this.scratch.push(Number(big & 0x7fn) | 0x80);
        big >>= 7n;
      }
      this.scratch.push(Number(big));
      return;
    }
    while (v >= 0x80) {
      this.scratch.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.scratch.push(v);
  }

  private key(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  varint(field: number, v: number): this {
    this.key(field, WIRE_VARINT);
    this.rawVarint(v);
    return this;
  }

  float32(field: number, v: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.scratch.push(...b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, WIRE_BYTES);
    this.rawVarint(data.length);
    this.flushScratch();
    this.chunks.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, w: WireWriter): this {
    return this.bytes(field, w.finish());
  }

  packedVarints(field: number, values: readonly number[]): this {
    const inner = new WireWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flushScratch();
    const n = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
