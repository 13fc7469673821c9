/**
 * Child processes that each hold one model ready to train, and answer one JSON line per command: ours
 * (bench/step-peer.ts, TF.js) and PyTorch's (bench/torch_peer.py). Keeping both alive lets the bench interleave
 * their steps A B A B, so both see the same machine load.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { BatchMeta } from './step-peer';

/** The interpreter with Debian's python3-torch; $DCP_BENCH_PYTHON overrides it. */
export const PYTHON = process.env.DCP_BENCH_PYTHON ?? '/usr/bin/python3';
export const TORCH_INSTALL = 'sudo apt-get install -y python3-torch libopenblas0-pthread   (Debian/Ubuntu; run with /usr/bin/python3)';

export interface Ready {
  ready: true;
  threads: number;
  probs: number[];
  backend?: string;
  torch?: string;
}

export class LinePeer {
  private readonly lines: Interface;
  private readonly pending: Array<(line: string) => void> = [];
  private readonly early: string[] = [];
  private stderr = '';
  private exited: string | null = null;

  private constructor(readonly label: string, private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const waiter = this.pending.shift();
      if (waiter) waiter(line);
      else this.early.push(line);
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      this.exited = `${label} exited (${signal ?? code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const w of this.pending.splice(0)) w('');
    });
  }

  static start(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): LinePeer {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    return new LinePeer(label, child);
  }

  private next(): Promise<string> {
    const line = this.early.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.exited !== null) return Promise.reject(new Error(this.exited));
    return new Promise((resolve) => this.pending.push(resolve));
  }

  /** The next reply, parsed; throws with the child's last stderr lines if it died. */
  async read<T>(): Promise<T> {
    const line = await this.next();
    if (line === '') throw new Error(this.exited ?? `${this.label} closed its output`);
    const value = JSON.parse(line) as T & { error?: string };
    if (value.error !== undefined) throw new Error(`${this.label}: ${value.error}`);
    return value;
  }

  async ask<T>(cmd: string): Promise<T> {
    this.child.stdin.write(`${JSON.stringify({ cmd })}\n`);
    return this.read<T>();
  }

  stop(): void {
    this.child.stdin.end();
    if (this.exited === null) setTimeout(() => this.child.kill(), 5000).unref();
  }
}

/** Writes the shared batch (uniform [0,1) pixels, labels cycling through the classes) for both peers to read. */
export function writeBatch(shape: number[], classes: number, seed: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'dcp-bench-'));
  const file = join(dir, 'batch.f32');
  const size = shape.reduce((p, q) => p * q, 1);
  const data = new Float32Array(size);
  let a = seed >>> 0;
  for (let i = 0; i < size; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    data[i] = a / 4294967296;
  }
  writeFileSync(file, Buffer.from(data.buffer));
  const meta: BatchMeta = { shape, labels: Array.from({ length: shape[0] }, (_, i) => (i * 7) % classes), classes };
  writeFileSync(`${file}.json`, JSON.stringify(meta));
  return file;
}

/** Why PyTorch cannot run here, or null when /usr/bin/python3 imports torch. */
export function torchMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? null : (r.stderr || 'import torch failed').trim().split('\n').slice(-1)[0];
}

/** Thread-count environment for a PyTorch child: OpenMP and OpenBLAS pools both sized to `threads`. */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return { OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n };
}
