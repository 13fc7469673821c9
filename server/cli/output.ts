/** The two CliIO implementations: the real process streams, and an in-memory one for tests. */
import type { CliIO } from './command';

/** Writes to stdout/stderr. Writes are synchronous for files and pipes in Node, so output order is kept. */
export function processIO(): CliIO {
  // `dcp prune --help | head` closes the pipe early: that is the reader's choice, not a crash.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(process.exitCode ?? 0);
    });
  }
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
  };
}

/** Collects output in memory, e.g. to run the CLI in-process in tests. */
export interface MemoryIO extends CliIO {
  readonly stdout: string[];
  readonly stderr: string[];
}

export function memoryIO(): MemoryIO {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}
