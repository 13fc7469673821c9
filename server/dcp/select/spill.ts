/**
 * Selection caches kept on disk when the memory plan says a layer's cache does not fit beside the rest of the run
 * (LayerMemory.spill). Each cached tensor is a file of raw float32 values in a temp folder; a spilled batch reads
 * its tensors back when they are used, so at most one batch of the cache is in memory at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SelectionBatch } from './selection';

/** A temp folder of float32 files, removed (with every file) by dispose. */
export class SpillStore {
  readonly dir: string;
  private files = 0;

  /** Refuses when the temp folder's disk has less free space than `bytes`, before anything is written. */
  constructor(bytes: number, parent: string = tmpdir()) {
    const fs = statfsSync(parent);
    const free = fs.bavail * fs.bsize;
    if (free < bytes) {
      throw new Error(`the selection cache must be spilled to disk (${(bytes / 2 ** 20).toFixed(0)} MiB) but ${parent} has only ${(free / 2 ** 20).toFixed(0)} MiB free`);
    }
    this.dir = mkdtempSync(join(parent, 'dcp-spill-'));
  }

  /** Writes the tensor's values to a new file and returns its name; the tensor stays the caller's. */
  async write(t: tf.Tensor): Promise<string> {
    const values = await t.data<'float32'>();
    const name = join(this.dir, `${this.files++}.f32`);
    writeFileSync(name, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return name;
  }

  /** A new tensor with the file's values; synchronous, so it can run inside tf.tidy and gradient functions. */
  read(name: string, shape: number[]): tf.Tensor {
    const buf = readFileSync(name);
    // Copied: a Buffer's offset need not be a multiple of 4.
    const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return tf.tensor(values, shape, 'float32');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const spilled = new WeakMap<SelectionBatch, SpillStore>();

/**
 * Moves one cached batch to disk and returns a batch whose `x`, `target` and `cut` are read back on every access.
 * Each access makes new tensors, so consumers must read them inside tf.tidy (or a gradient function), as the
 * selection passes do; the in-memory tensors are disposed here. Labels (n ints) stay in memory.
 */
export async function spillBatch(store: SpillStore, b: SelectionBatch, convInput: string): Promise<SelectionBatch> {
  const files: { name: string; file: string; shape: number[] }[] = [];
  try {
    for (const [name, t] of b.cut) files.push({ name, file: await store.write(t), shape: t.shape });
    const target = { file: await store.write(b.target), shape: b.target.shape };
    const x = files.find((f) => f.name === convInput)!;
    const out: SelectionBatch = {
      n: b.n,
      labels: b.labels,
      get x() { return store.read(x.file, x.shape) as tf.Tensor4D; },
      get target() { return store.read(target.file, target.shape) as tf.Tensor4D; },
      get cut() { return new Map(files.map((f) => [f.name, store.read(f.file, f.shape)])); },
    };
    spilled.set(out, store);
    return out;
  } finally {
    tf.dispose([b.target, ...b.cut.values()]);
  }
}

/** The store a spilled batch reads from, or undefined for a batch held in memory. */
export function spillStoreOf(b: SelectionBatch): SpillStore | undefined {
  return spilled.get(b);
}
