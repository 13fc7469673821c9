/** A CliIO that keeps what a command printed, line by line, for assertions. */
import type { CliIO } from '../../../server/cli/command';

export function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (t) => lines.push(...t.split('\n')), err: (t) => errors.push(...t.split('\n')) };
}
