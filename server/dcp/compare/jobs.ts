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
