/** Argument parsing for subcommands: node:util parseArgs, with its errors turned into UsageError. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BackendName } from '../../protocol/model';
import { UsageError } from './command';

type Strict<T> = T & { strict: true; allowPositionals: true };

/** parseArgs with `strict` on (unknown options are errors) and positionals allowed. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<Strict<T>>> {
  try {
    return parseArgs<Strict<T>>({ ...config, strict: true as const, allowPositionals: true as const });
  } catch (e) {
    // Node's messages are already clear ("Unknown option '--x'"); drop its hint about `--` which rarely applies.
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e);
    throw new UsageError(message);
  }
}

const BACKENDS: readonly BackendName[] = ['auto', 'node', 'wasm', 'cpu'];

/** Validates a `--backend` value; `fallback` when absent. */
export function backendOption(value: string | undefined, fallback: BackendName): BackendName {
  if (value === undefined) return fallback;
  const found = BACKENDS.find((b) => b === value);
  if (!found) throw new UsageError(`unknown backend '${value}' (expected one of: ${BACKENDS.join(', ')})`);
  return found;
}

/** Exactly `names.length` positional arguments, else a UsageError naming what is missing or extra. */
export function positionals(values: string[], names: string[]): string[] {
  if (values.length < names.length) throw new UsageError(`missing ${names.slice(values.length).map((n) => `<${n}>`).join(' ')}`);
  if (values.length > names.length) throw new UsageError(`unexpected argument '${values[names.length]}'`);
  return values;
}
