/**
 * Every `dcp` subcommand, in the order `dcp --help` lists them. To add one, write server/cli/<name>.ts exporting a
 * Command and add it here.
 */
import type { Command } from './command';
import { inspectCommand } from './inspect';
import { pruneCommand } from './prune';
import { demoCommand } from './demo';
import { compareCommand } from './compare';

export const COMMANDS: readonly Command[] = [demoCommand, pruneCommand, inspectCommand, compareCommand];
