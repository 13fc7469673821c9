/**
 * Every `dcp` subcommand, in the order `dcp --help` lists them. To add one, write server/cli/<name>.ts exporting a
 * Command and add it here.
 */
import type { Command } from './command';
import { inspectCommand } from './inspect';

export const COMMANDS: readonly Command[] = [inspectCommand];
