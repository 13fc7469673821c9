/**
 * The jobs of a method comparison: one run per method and seed. The method list comes from PRUNE_METHODS, the one
 * declaration of the choices.
 */
import type { PruneMethod } from '../../../protocol/model';
import { PRUNE_METHODS } from '../../../protocol/settings';
import { ConfigError } from '../../../protocol/settings-validate';

/** One run of the comparison: the shared settings with this method and seed. */
export interface CompareJob {
  method: PruneMethod;
  seed: number;
  /** The random baseline's own choice seed on this split (`choiceSeed`); absent = the shared setting. */
  choiceSeed?: number;
}

/**
 * `dcp,random:3` → jobs. A method's seeds are `firstSeed … firstSeed + K − 1`, K from `:K` or else `seeds`;
 * `:K` lets a benchmark give the noisy baseline (random) more seeds than the deterministic ones.
 * Throws ConfigError (key `methods`) for an unknown or repeated method or a zero seed count.
 */
export function parseMethods(spec: string, seeds: number, firstSeed: number): CompareJob[] {
  const jobs: CompareJob[] = [];
  const seen = new Set<string>();
  const known: readonly string[] = PRUNE_METHODS.values;
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z0-9]+)(?::(\d+))?$/.exec(part);
    const method = PRUNE_METHODS.values.find((x) => x === m?.[1]);
    if (!m || !method) {
      throw new ConfigError('methods', `unknown method '${part}' (expected a comma-separated list of ${known.join(', ')}, each optionally with :K seeds)`);
    }
    if (seen.has(method)) throw new ConfigError('methods', `method '${method}' is listed twice`);
    seen.add(method);
    const k = m[2] === undefined ? seeds : Number(m[2]);
    if (!Number.isInteger(k) || k < 1) throw new ConfigError('methods', `${part}: a method needs at least one seed`);
    for (let i = 0; i < k; i++) jobs.push({ method, seed: firstSeed + i });
  }
  if (jobs.length === 0) throw new ConfigError('methods', 'the method list is empty');
  return jobs;
}

/**
 * `--random-choices K`: K random choices (choice seeds 1…K) on each split `seeds` names, so DCP's choice can be ranked
 * among random choices fitted on the very same data. Throws ConfigError when `random` is also in the method list.
 */
export function randomChoiceJobs(jobs: readonly CompareJob[], k: number): CompareJob[] {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError('randomChoices', `--random-choices needs a positive integer (got ${k})`);
  if (jobs.some((j) => j.method === 'random')) {
    throw new ConfigError('randomChoices', "random is drawn by --random-choices; leave it out of --methods (or drop --random-choices)");
  }
  const seeds = [...new Set(jobs.map((j) => j.seed))];
  return [...jobs, ...seeds.flatMap((seed) => Array.from({ length: k }, (_, i) => ({ method: 'random' as const, seed, choiceSeed: i + 1 })))];
}
