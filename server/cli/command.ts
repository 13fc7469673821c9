/**
 * What every `dcp` subcommand shares: where it writes, its exit codes, its usage error, and the wrapper that hands
 * an action's exit code back to main.ts. Each command lives in its own file and adds itself to the commander
 * program in main.ts.
 */
import type { Command } from 'commander';

/** Where a command writes. Commands never touch `console` or `process.stdout` directly, so tests can capture them. */
export interface CliIO {
  /** One line (or a block of lines) of normal output, newline added. */
  out(text: string): void;
  /** Diagnostics and errors, newline added. */
  err(text: string): void;
}

/** Exit codes of `dcp`: 0 success, 1 the work failed (bad model file, run error), 2 the command line is wrong. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Wrong arguments: main.ts prints the message and a pointer to `--help`, and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One parse of a command line: the output and, once an action ran, its exit code. */
export interface CliContext {
  io: CliIO;
  /** Set by the action that ran; stays undefined when commander only printed help. */
  code?: number;
}

/** Adds one subcommand to the program; returns it for tests and for main.ts's per-command settings. */
export type AddCommand = (program: Command, ctx: CliContext) => Command;

/** Turns an action returning an exit code into a commander action that records it on the context. */
export function action<A extends unknown[]>(ctx: CliContext, run: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    ctx.code = await run(...args);
  };
}
