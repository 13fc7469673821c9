/**
 * Host-side memory of runs: every event of the last few runs, in order, so a panel that is opened, re-shown
 * (its webview is destroyed while hidden) or revived can be replayed to the exact state. Free of `vscode`.
 */
import type { RunEvent } from '../../protocol/model';

export class RunStore {
  /** Insertion order = recency: the oldest run is evicted first. */
  private readonly runs = new Map<string, RunEvent[]>();

  /** Keeps at most `maxRuns` runs: a run of a ResNet-56 is a few thousand events and a few MB. */
  constructor(private readonly maxRuns = 8) {}

  append(runId: string, event: RunEvent): void {
    const log = this.runs.get(runId);
    if (log) log.push(event);
    else this.put(runId, [event]);
  }

  /** Replaces a run's log, e.g. with the server's copy (`dcp/getRunEvents`) after VS Code restarted. */
  set(runId: string, events: readonly RunEvent[]): void {
    this.runs.delete(runId);
    this.put(runId, [...events]);
  }

  events(runId: string): readonly RunEvent[] | undefined {
    return this.runs.get(runId);
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** The most recently added run, or null. */
  latest(): string | null {
    let last: string | null = null;
    for (const id of this.runs.keys()) last = id;
    return last;
  }

  delete(runId: string): void {
    this.runs.delete(runId);
  }

  private put(runId: string, events: RunEvent[]): void {
    this.runs.set(runId, events);
    while (this.runs.size > this.maxRuns) {
      const oldest = this.runs.keys().next().value;
      if (oldest === undefined || oldest === runId) break;
      this.runs.delete(oldest);
    }
  }
}

/** Splits a log into messages of at most `size` events: one huge postMessage would stall both processes. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
