/**
 * The contract every `dcp` subcommand implements. A command lives in its own file under server/cli/ and is listed
 * once in commands.ts; main.ts does the dispatching, `--help`, error reporting and exit codes.
 */

/** Where a command writes. Commands never touch `console` or `process.stdout` directly, so tests can capture them. */
export interface CliIO {
  /** One line (or a block of lines) of normal output, newline added. */
  out(text: string): void;
  /** Diagnostics and errors, newline added. */
  err(text: string): void;
}

export interface Command {
  /** The word after `dcp`. */
  name: string;
  /** One line for the `dcp --help` list. */
  summary: string;
  /** Full help printed by `dcp <name> --help`: synopsis, options, examples. */
  usage: string;
  /**
   * Runs with the arguments after the command name (`--help` never reaches it). Returns the exit code.
   * Throw UsageError for bad arguments; any other error is reported as a failure (exit 1) by main.ts.
   */
  run(args: string[], io: CliIO): Promise<number>;
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
