/**
 * The fault matrix: one run of the tiny fixture per (fault, phase), then the checks every fault must pass:
 *   - the input model's files are byte-identical (sha256 of every file in its folder);
 *   - no output is taken for a result: unless the run ended `finished`, its output folder does not exist and it has
 *     no report.json (a folder the engine was writing when it died stays a hidden temp name, never `output/`);
 *   - resume (from a fresh RunManager, as after a server restart) finishes with the same kept channels as an
 *     uninterrupted run: from the last checkpoint, or from the start when the fault came before the first one.
 * Faults: `cancel`, `enospc` (every engine write fails from the point on, as a full disk), `kill` (the worker thread
 * dies at once), run through the real RunManager and worker (fault-worker.ts injects them); `server-kill` SIGKILLs a
 * real language server process when the phase's first event reaches the client, then a second server resumes.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunEndedParams, RunEventParams } from '../../../protocol/lsp';
import { StartRunRequest } from '../../../protocol/lsp';
import type { RunConfig } from '../../../protocol/model';
import { resolveRunConfig } from '../../../protocol/settings-validate';
import { RunManager, type RunSink } from '../../../server/runs/manager';
import { hashTree } from '../../unit/io/helpers';
import { makeTinyFixture, quickConfig, type TinyFixture } from '../server/fixture';
import { fileUri, TestServer } from '../server/lsp-client';
import { phaseTracker, type FaultPhase } from './phases';

export const FAULTS = ['cancel', 'enospc', 'kill', 'server-kill'] as const;
export type Fault = (typeof FAULTS)[number];

export interface CellResult {
  fault: Fault;
  phase: FaultPhase;
  status: RunEndedParams['status'] | 'interrupted';
  message: string | null;
  /** The last event before the fault took effect (where it landed). */
  landedAfter: string;
  inputUnchanged: boolean;
  /** Output folder and report.json present; only allowed for a run that ended finished. */
  outputPresent: boolean;
  resumed: { status: string; kept: Record<string, number[]>; message: string | null } | null;
  /** Temp entries (hidden `.x.tmp-…` folders, write-file-atomic's `x.json.<n>` files) left in the run folder at the end. */
  leftovers: string[];
  ms: number;
}

const FAULT_WORKER = join(__dirname, 'fault-worker.ts');
const REAL_WORKER = join(__dirname, '..', '..', '..', 'server', 'worker.ts');

/** A sink that keeps every event and resolves `ended(runId, nth)`. */
class Collect implements RunSink {
  readonly events: RunEventParams[] = [];
  readonly logs: string[] = [];
  private readonly ends: RunEndedParams[] = [];
  private readonly waiting: (() => void)[] = [];
  event(p: RunEventParams): void { this.events.push(p); }
  log(m: string): void { this.logs.push(m); }
  ended(p: RunEndedParams): void {
    this.ends.push(p);
    for (const w of this.waiting.splice(0)) w();
  }
  async waitEnded(runId: string, ms = 120_000): Promise<RunEndedParams> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.ends.find((e) => e.runId === runId);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not end within ${ms} ms`);
      await new Promise<void>((resolve) => { this.waiting.push(resolve); setTimeout(resolve, 1000).unref(); });
    }
  }
}

export const keptOf = (p: RunEndedParams): Record<string, number[]> => Object.fromEntries((p.report?.layers ?? []).map((l) => [l.layer, l.kept]));

export class FaultMatrix {
  private constructor(readonly fixture: TinyFixture, readonly config: RunConfig, readonly runsDir: string) {}

  static async create(): Promise<FaultMatrix> {
    const fixture = await makeTinyFixture();
    // The history lives outside the model's folder, so the folder's hash covers the model files alone.
    return new FaultMatrix(fixture, resolveRunConfig(quickConfig(fixture)), mkdtempSync(join(tmpdir(), 'dcp-faults-runs-')));
  }

  get model(): { uri: string; path: string } {
    return { uri: fileUri(this.fixture.modelPath), path: this.fixture.modelPath };
  }

  cleanup(): void {
    this.fixture.cleanup();
    rmSync(this.runsDir, { recursive: true, force: true });
  }

  /** An uninterrupted run through the same worker, recording every engine write (phase + file). */
  async clean(): Promise<{ ended: RunEndedParams; writes: { phase: string; after: string; file: string }[] }> {
    const sink = new Collect();
    const ended = await this.withFault('record', '', sink, async (m) => {
      const { runId } = await m.start(this.model, this.config, undefined);
      return sink.waitEnded(runId);
    });
    const writes = sink.logs.flatMap((l) => {
      const hit = /FAULT-WRITE (\S+) (\S+) (.*)$/.exec(l);
      return hit ? [{ phase: hit[1], after: hit[2], file: hit[3] }] : [];
    });
    return { ended, writes };
  }

  async cell(fault: Fault, phase: FaultPhase): Promise<CellResult> {
    const t0 = Date.now();
    const before = await hashTree(dirname(this.fixture.modelPath));
    const first = fault === 'server-kill' ? await this.serverKill(phase) : await this.injected(fault, phase);
    const inputUnchanged = JSON.stringify(await hashTree(dirname(this.fixture.modelPath))) === JSON.stringify(before);
    const outputPresent = existsSync(first.outDir) || existsSync(join(first.runDir, 'report.json'));
    const resumed = first.status === 'finished' ? null : await this.resume(first.runId);
    return {
      fault, phase, status: first.status, message: first.message, landedAfter: first.landedAfter, inputUnchanged, outputPresent, resumed,
      leftovers: tempEntries(first.runDir), ms: Date.now() - t0,
    };
  }

  private async withFault<T>(fault: string, at: string, sink: Collect, fn: (m: RunManager) => Promise<T>): Promise<T> {
    process.env.DCP_FAULT = fault;
    process.env.DCP_FAULT_AT = at;
    const m = new RunManager({ runsDir: this.runsDir, workerScript: FAULT_WORKER, sink });
    try {
      return await fn(m);
    } finally {
      delete process.env.DCP_FAULT;
      delete process.env.DCP_FAULT_AT;
      await m.dispose();
    }
  }

  private async injected(fault: Exclude<Fault, 'server-kill'>, phase: FaultPhase): Promise<Attempt> {
    const sink = new Collect();
    return this.withFault(fault, phase, sink, async (m) => {
      const started = await m.start(this.model, this.config, undefined);
      const ended = await sink.waitEnded(started.runId);
      const events = sink.events.filter((e) => e.runId === started.runId).map((e) => e.event);
      const landed = events.filter((e) => e.type !== 'runFailed' && e.type !== 'runCancelled' && e.type !== 'runFinished').at(-1);
      return { ...started, status: ended.status, message: ended.message, landedAfter: landed?.type ?? '(none)' };
    });
  }

  /** SIGKILLs a real server when the phase begins (as the client sees it); the run stays `running` on disk. */
  private async serverKill(phase: FaultPhase): Promise<Attempt> {
    const { server } = await TestServer.start({ runsDir: this.runsDir });
    try {
      const started = await server.connection.sendRequest(StartRunRequest, { uri: this.model.uri, config: this.config });
      if (phase !== 'load') {
        const tracker = phaseTracker(this.config.finetuneEpochs);
        // save yields no event: the server dies as the final measurements end, while the output is being written.
        const target = phase === 'save' ? 'measure' : phase;
        await server.events.wait((p) => (p.runId === started.runId && tracker.see(p.event) && tracker.phase === target ? p : undefined), 120_000, `${phase} of ${started.runId}`);
      }
      await server.kill();
      const events = server.events.all().filter((e) => e.runId === started.runId);
      const ended = server.ended.all().find((e) => e.runId === started.runId);
      return {
        ...started, status: ended?.status ?? 'interrupted', message: ended?.message ?? null, landedAfter: events.at(-1)?.event.type ?? '(none)',
      };
    } finally {
      await server.kill();
    }
  }

  /** Resumes in a fresh session (a new RunManager reading the history from disk) with the real worker. */
  private async resume(runId: string): Promise<CellResult['resumed']> {
    const sink = new Collect();
    const m = new RunManager({ runsDir: this.runsDir, workerScript: REAL_WORKER, sink });
    try {
      const listed = (await m.list(this.model)).find((e) => e.runId === runId);
      if (!listed?.resumable) return { status: `not resumable (${listed?.status ?? 'not listed'})`, kept: {}, message: listed?.message ?? null };
      await m.resume(runId, this.model);
      const ended = await sink.waitEnded(runId);
      return { status: ended.status, kept: keptOf(ended), message: ended.message };
    } finally {
      await m.dispose();
    }
  }
}

/**
 * What must hold after a fault, as a list of problems (empty = the cell passes). `cleanKept`: the uninterrupted
 * run's kept channels. A cancel that arrives while the output is written is too late (the run finishes, output whole).
 */
export function problemsOf(r: CellResult, cleanKept: Record<string, number[]>): string[] {
  const out: string[] = [];
  const expected: Record<Fault, readonly string[]> = {
    cancel: r.phase === 'save' ? ['finished', 'cancelled'] : ['cancelled'],
    enospc: ['failed'],
    kill: ['failed'],
    'server-kill': ['interrupted', 'finished'],
  };
  if (!expected[r.fault].includes(r.status)) out.push(`ended ${r.status}, expected ${expected[r.fault].join(' or ')} (${r.message ?? ''})`);
  if (r.fault === 'enospc' && !/the disk is full \(ENOSPC\).*resume the run/.test(r.message ?? '')) out.push(`unclear message: ${r.message ?? ''}`);
  if (!r.inputUnchanged) out.push('the input model changed');
  if (r.status !== 'finished' && r.outputPresent) out.push('an output or report exists for a run that did not finish');
  if (r.status !== 'finished') {
    if (r.resumed?.status !== 'finished') out.push(`resume ended ${r.resumed?.status ?? '(not run)'} ${r.resumed?.message ?? ''}`);
    else if (JSON.stringify(r.resumed.kept) !== JSON.stringify(cleanKept)) out.push(`resume kept ${JSON.stringify(r.resumed.kept)}, the uninterrupted run ${JSON.stringify(cleanKept)}`);
  }
  if (r.leftovers.length > 0) out.push(`temp entries left: ${r.leftovers.join(', ')}`);
  return out;
}

/** Entries below `dir` named like an unfinished atomic write. */
export function tempEntries(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((rel) => /(^|\/)\.[^/]*\.(tmp|old)-[0-9a-f]+$|\.json\.\d+$/.test(rel));
}

interface Attempt {
  runId: string;
  runDir: string;
  outDir: string;
  status: CellResult['status'];
  message: string | null;
  landedAfter: string;
}
