/** Thrown between steps when the run's AbortSignal fired; the engine turns it into `runCancelled`. */
export class CancelledError extends Error {
  constructor() {
    super('run cancelled');
    this.name = 'CancelledError';
  }
}

/** Throws CancelledError if the signal has fired. Called between every step of the engine. */
export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Lets timers, I/O and cancellation messages run between compute steps. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
