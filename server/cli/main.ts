/**
 * The `dcp` program on commander: the subcommands, `--help`, typo hints, and the mapping of every outcome to one
 * exit code (EXIT) with output routed through a CliIO. Heavy modules (TF.js, the engine) are imported by the
 * actions when they run, so `dcp --help` is instant.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../protocol/settings-validate';
import { ModelFileError } from '../io/model-types';
import { EXIT, UsageError, type AddCommand, type CliContext, type CliIO } from './command';
import { addCompareCommand } from './compare';
import { addDemoCommand } from './demo';
import { addInspectCommand } from './inspect';
import { addPruneCommand } from './prune';
import { addSensitivityCommand } from './sensitivity';

/** The subcommands, in the order `dcp --help` lists them. */
const COMMANDS: readonly AddCommand[] = [addDemoCommand, addPruneCommand, addSensitivityCommand, addInspectCommand, addCompareCommand];

/** commander writes whole blocks ending in a newline; CliIO adds its own. */
const block = (s: string): string => s.replace(/\n$/, '');

/** The commander program writing to `ctx.io`; never exits the process (exitOverride). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('dcp')
    .description('Discrimination-aware channel pruning for TensorFlow.js Layers models.')
    .usage('<command> [options]')
    .helpCommand('help [command]', 'show the help of a command')
    .addHelpText('after', "\nRun 'dcp <command> --help' for a command's options.")
    // Set before the subcommands are added: commander copies these settings into each of them.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(block(s)),
      writeErr: (s) => ctx.io.err(block(s)),
      outputError: (s, write) => write(s.replace(/^error: /, 'dcp: ')),
    });
  for (const add of COMMANDS) {
    const cmd = add(program, ctx);
    // Usage errors read `dcp prune: unknown option '--x'` and end with a pointer to the command's help.
    cmd.configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, `dcp ${cmd.name()}: `)) })
      .showHelpAfterError(`Run 'dcp ${cmd.name()} --help' for usage.`);
  }
  program.showHelpAfterError("Run 'dcp --help' for the commands.");
  return program;
}

/**
 * Runs one command line (without `node` and the script path) and returns the exit code.
 * Never throws: every failure is reported on `io.err`.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const ctx: CliContext = { io };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.code ?? EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return commanderExit(e);
    return reportError(commandName(program, argv), e, io);
  }
}

/** Help and version are successes; `dcp` alone prints the help as an error; the rest are usage errors. */
function commanderExit(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
  if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  return EXIT.usage;
}

function commandName(program: Command, argv: readonly string[]): string {
  const name = program.commands.find((c) => argv.includes(c.name()))?.name();
  return name ? `dcp ${name}` : 'dcp';
}

function reportError(who: string, e: unknown, io: CliIO): number {
  if (e instanceof UsageError || e instanceof ConfigError) {
    io.err(`${who}: ${e.message}`);
    io.err(`Run '${who} --help' for usage.`);
    return EXIT.usage;
  }
  const message = e instanceof Error ? e.message : String(e);
  // A ModelFileError's message already names the file and what is wrong with it.
  io.err(`${who}: ${message}`);
  if (!(e instanceof ModelFileError) && process.env.DCP_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
  return EXIT.failure;
}
