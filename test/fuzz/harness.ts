/**
 * Runs fuzz cases against the readers, one worker thread at a time, each case bounded in time (a case still running
 * after `timeoutMs` is a hang: the worker is terminated and replaced) and in heap (`heapMb`: exceeding it kills the
 * worker, counted as `out-of-memory`). Every case must end `loaded` or `refused` with a clear error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../server/runs/worker-host';
import { buildCase, type FuzzCase, type ReaderName } from './cases';
import type { CaseResult } from './worker';

export type FuzzOutcome = 'loaded' | 'refused' | 'crashed' | 'hang' | 'out-of-memory' | 'leaked';
export const BAD_OUTCOMES: readonly FuzzOutcome[] = ['crashed', 'hang', 'out-of-memory', 'leaked'];

export interface FuzzRecord extends FuzzCase {
  outcome: FuzzOutcome;
  message: string;
  ms: number;
}

export interface FuzzOptions {
  readers: readonly ReaderName[];
  cases: number;
  firstSeed?: number;
  timeoutMs?: number;
  heapMb?: number;
  onCase?: (r: FuzzRecord, index: number) => void;
}

const WORKER = join(__dirname, 'worker.ts');

class CaseRunner {
  private worker: Worker | null = null;
  constructor(private readonly heapMb: number) {}

  run(c: FuzzCase, timeoutMs: number): Promise<{ outcome: FuzzOutcome; message: string }> {
    const w = (this.worker ??= spawnWorker(WORKER, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb }, stdout: true, stderr: true }));
    return new Promise((resolve) => {
      let leaked = 0;
      const done = (r: { outcome: FuzzOutcome; message: string }, restart: boolean): void => {
        clearTimeout(timer);
        w.removeAllListeners('message');
        w.removeAllListeners('error');
        w.removeAllListeners('exit');
        if (restart) {
          void w.terminate();
          this.worker = null;
        }
        resolve(r);
      };
      const timer = setTimeout(() => done({ outcome: 'hang', message: `no answer after ${timeoutMs} ms` }, true), timeoutMs);
      w.on('message', (m: CaseResult | { leak: number }) => {
        if ('leak' in m) leaked = m.leak;
        else done(leaked !== 0 ? { outcome: 'leaked', message: `${leaked} tensors left behind; ${m.message}` } : m, false);
      });
      w.on('error', (e: Error & { code?: string }) => done({ outcome: e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed', message: e.message }, true));
      w.on('exit', (code) => done({ outcome: 'crashed', message: `worker exited with code ${code}` }, true));
      w.postMessage(c);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}

/** Runs `cases` cases per reader; returns every record (the caller asserts or prints). */
export async function fuzzReaders(o: FuzzOptions): Promise<FuzzRecord[]> {
  const root = mkdtempSync(join(tmpdir(), 'dcp-fuzz-'));
  const runner = new CaseRunner(o.heapMb ?? 1536);
  const out: FuzzRecord[] = [];
  try {
    for (const reader of o.readers) {
      for (let i = 0; i < o.cases; i++) {
        const seed = (o.firstSeed ?? 1) + i;
        const dir = join(root, `${reader}-${seed}`);
        const c = buildCase(reader, seed, dir);
        const t0 = Date.now();
        const r = await runner.run(c, o.timeoutMs ?? 20_000);
        const rec: FuzzRecord = { ...c, ...r, ms: Date.now() - t0 };
        out.push(rec);
        o.onCase?.(rec, out.length - 1);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await runner.close();
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}

/** Counts per reader and outcome, as `npm run fuzz` prints them. */
export function countOutcomes(records: readonly FuzzRecord[]): Map<string, Map<FuzzOutcome, number>> {
  const table = new Map<string, Map<FuzzOutcome, number>>();
  for (const r of records) {
    const row = table.get(r.reader) ?? new Map<FuzzOutcome, number>();
    row.set(r.outcome, (row.get(r.outcome) ?? 0) + 1);
    table.set(r.reader, row);
  }
  return table;
}
