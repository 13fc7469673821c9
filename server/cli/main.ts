/**
 * `dcp` dispatcher: picks the subcommand, handles `--help`, and turns errors into one line on stderr and an exit
 * code (see EXIT). Heavy modules (TF.js, the engine) are imported by the commands when they run, so `dcp --help`
 * is instant.
 */
import { ModelFileError } from '../io/model-types';
import { EXIT, UsageError, type CliIO, type Command } from './command';
import { COMMANDS } from './commands';

const HELP_FLAGS = new Set(['--help', '-h']);

/** Top-level help: synopsis and the command list. */
export function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: dcp <command> [options]',
    '',
    'Discrimination-aware channel pruning for TensorFlow.js Layers models.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'dcp <command> --help' for a command's options.",
  ].join('\n');
}

/**
 * Runs one command line (without `node` and the script path) and returns the exit code.
 * Never throws: every failure is reported on `io.err`.
 */
export async function runCli(argv: readonly string[], io: CliIO, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(generalHelp(commands));
    return EXIT.usage;
  }
  if (HELP_FLAGS.has(first) || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.out(generalHelp(commands));
      return EXIT.ok;
    }
    const cmd = commands.find((c) => c.name === topic);
    if (!cmd) return unknownCommand(topic, commands, io);
    io.out(cmd.usage);
    return EXIT.ok;
  }
  const cmd = commands.find((c) => c.name === first);
  if (!cmd) return unknownCommand(first, commands, io);
  if (rest.some((a) => HELP_FLAGS.has(a))) {
    io.out(cmd.usage);
    return EXIT.ok;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    return reportError(cmd, e, io);
  }
}

function reportError(cmd: Command, e: unknown, io: CliIO): number {
  if (e instanceof UsageError) {
    io.err(`dcp ${cmd.name}: ${e.message}`);
    io.err(`Run 'dcp ${cmd.name} --help' for usage.`);
    return EXIT.usage;
  }
  if (e instanceof ModelFileError) {
    // Its message already names the file and what is wrong with it.
    io.err(`dcp ${cmd.name}: ${e.message}`);
    return EXIT.failure;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.err(`dcp ${cmd.name}: ${message}`);
  if (process.env.DCP_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
  return EXIT.failure;
}

function unknownCommand(name: string, commands: readonly Command[], io: CliIO): number {
  const hint = closest(name, commands.map((c) => c.name));
  io.err(`dcp: unknown command '${name}'.${hint ? ` Did you mean '${hint}'?` : ''}`);
  io.err(`Commands: ${commands.map((c) => c.name).join(', ')}. Run 'dcp --help' for details.`);
  return EXIT.usage;
}

/** The candidate within edit distance 2 of `word`, for typo hints. */
function closest(word: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}
