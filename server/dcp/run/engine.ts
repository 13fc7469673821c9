import type { RunConfig, RunEvent } from '../../../protocol/model';
import { CancelledError } from './cancel';
import { ConfigError, resolveConfig } from './config';
import { runPipeline } from './pipeline';
import type { HeadsCache } from './heads-cache';

/** Where a run reads and writes. The input model is only read. */
export interface RunOptions {
  /** Absolute path of the model.json to prune. */
  modelPath: string;
  /** The pruned model and report.json are written here atomically at the end; nothing is written on cancel or failure. */
  outDir: string;
  /** Checked between steps; when it fires the run ends with `runCancelled`. */
  signal?: AbortSignal;
  /** After each pruned layer the run's state is saved here. */
  checkpointDir?: string;
  /** Continue from `checkpointDir`'s last finished layer. */
  resume?: boolean;
  /** Memory cap in MB the plan must fit besides the backend's own limit; default the process's --max-old-space-size. */
  memoryCapMB?: number | null;
  /** Trained heads to reuse, and to add to, across runs that train them identically (`dcp compare`'s jobs). */
  headsCache?: HeadsCache;
  /**
   * The machine-speed cache of the forecast (measure/calibrate.ts); null = measure without caching; absent = the
   * default file (`$DCP_SPEED_CACHE`, else `~/.cache/dcp-pruner/machine-speed.json`).
   */
  speedCacheFile?: string | null;
}

/**
 * Runs DCP (or DKP / a baseline method) on a model as an async stream of typed events. The stream always
 * ends with exactly one of `runFinished`, `runFailed` or `runCancelled`; errors never escape as exceptions,
 * so the CLI, the language server's worker and the tests consume it the same way.
 */
export async function* runPruning(config: Partial<RunConfig>, opts: RunOptions): AsyncGenerator<RunEvent> {
  let cfg: RunConfig;
  try {
    cfg = resolveConfig(config);
  } catch (e) {
    yield { type: 'runFailed', message: errorMessage(e), time: Date.now() };
    return;
  }
  try {
    yield* runPipeline(cfg, opts);
  } catch (e) {
    if (e instanceof CancelledError || opts.signal?.aborted) {
      yield { type: 'runCancelled', time: Date.now() };
    } else {
      yield { type: 'runFailed', message: errorMessage(e), time: Date.now() };
    }
  }
}

/** A message a person can act on: our own errors carry one; unexpected ones keep their text. */
export function errorMessage(e: unknown): string {
  if (e instanceof ConfigError) return e.message;
  if (e instanceof Error) {
    // A full disk, raw or wrapped by the model saver: say so, and that nothing finished is lost (checkpoints and
    // outputs are committed whole, so resume continues from the last checkpoint).
    const code = (e as NodeJS.ErrnoException).code;
    const full = code === 'ENOSPC' || code === 'EDQUOT' ? code : /\b(ENOSPC|EDQUOT)\b/.exec(e.message)?.[1];
    if (full === 'ENOSPC' || full === 'EDQUOT') {
      return `the disk is full (${full}): free some space, then resume the run; it continues from its last checkpoint. ${e.message}`;
    }
    if (e.message.includes('Aborted()')) {
      // Emscripten aborts when the heap cannot grow; the memory plan (measure/memory.ts) should have prevented this.
      // An out-of-bounds access is not this: a full heap fails at its allocation (tfjs/heap-guard.ts), so such a trap
      // is a kernel writing where it should not (issue 12's InceptionV3 found one: tfjs/reduce.ts), reported below.
      return `the WASM backend ran out of memory (its heap is capped at 4 GiB) although the memory plan (dcp prune --dry-run) expected the run to fit: lower --batch-size or --selection-samples, and please report the model's shapes (${e.message})`;
    }
    if (e.name === 'RuntimeError') {
      // A WebAssembly.RuntimeError: a trap ("divide by zero", "unreachable") is no message a person can act on. A full
      // heap, the known cause, now fails at the allocation instead (tfjs/heap-guard.ts).
      return `the WASM backend crashed (WebAssembly trap: ${e.message}); its memory can no longer be trusted, so the run stopped. Please report the model and the settings; lowering --batch-size or --selection-samples may avoid it`;
    }
    return e.message;
  }
  return String(e);
}
