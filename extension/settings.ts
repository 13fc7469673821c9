/**
 * Maps the `dcp.*` settings onto a run's options. Pure (no `vscode` import) so unit tests can feed it plain objects:
 * the caller passes a reader over `workspace.getConfiguration('dcp')` and the folder relative paths resolve against.
 *
 * Only values a user actually typed are forwarded; everything else is left out of the `Partial<RunConfig>`
 * so the server's defaults (server/dcp/config.ts) stay the single source of truth. The server validates ranges.
 */
import * as path from 'node:path';
import type { BackendName, HeadTraining, HeadWeighting, LabelSource, PruneMethod, RunConfig, ScoreRule, StopRule } from '../protocol/model';

/** Reads one `dcp.<key>` setting; `undefined` = not set by the user (inspect() gives no value in any scope). */
export type SettingReader = (key: string) => unknown;

const METHODS: readonly PruneMethod[] = ['dcp', 'dkp', 'random', 'l1', 'recon', 'disc'];
const STOPS: readonly StopRule[] = ['rate', 'epsilon', 'adaptive'];
const BACKENDS: readonly BackendName[] = ['auto', 'node', 'wasm', 'cpu'];
const LABELS: readonly LabelSource[] = ['dataset', 'teacher'];
const WEIGHTINGS: readonly HeadWeighting[] = ['v2', 'sum'];
const HEAD_TRAINING: readonly HeadTraining[] = ['frozen', 'joint'];
const SCORES: readonly ScoreRule[] = ['official', 'paper'];

/** Settings that carry straight over to a RunConfig field of the same meaning. */
const NUMERIC: ReadonlyArray<[setting: string, field: keyof RunConfig]> = [
  ['rate', 'rate'],
  ['lambda', 'lambda'],
  ['epsilon', 'epsilon'],
  ['tau', 'tau'],
  ['selectionSamples', 'selectionSamples'],
  ['headEpochs', 'headEpochs'],
  ['headLearningRate', 'headLearningRate'],
  ['finetuneEpochs', 'finetuneEpochs'],
  ['learningRate', 'learningRate'],
  ['batchSize', 'batchSize'],
  ['kernelRate', 'kernelRate'],
  ['maxTrainSamples', 'maxTrainSamples'],
  ['seed', 'seed'],
  ['threads', 'threads'],
];

function pick<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Resolves a dataset spec so the server (whose working directory is not the workspace) gets absolute paths.
 * `mnist` stays as is; `folder:P`, `npz:P` and bare paths get P resolved against `baseDir`.
 */
export function resolveDataset(spec: string, baseDir: string | undefined): string {
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'mnist' || !baseDir) return trimmed;
  const m = /^(folder|npz):(.*)$/.exec(trimmed);
  const kind = m ? `${m[1]}:` : '';
  const p = m ? m[2] : trimmed;
  return kind + (path.isAbsolute(p) ? p : path.resolve(baseDir, p));
}

/** The run options the user set, with dataset paths made absolute against `baseDir` (the model's workspace folder). */
export function runConfigFromSettings(get: SettingReader, baseDir: string | undefined): Partial<RunConfig> {
  const out: Partial<RunConfig> = {};
  const method = pick(get('method'), METHODS);
  if (method) out.method = method;
  const stop = pick(get('stop'), STOPS);
  if (stop) out.stop = stop;
  const backend = pick(get('backend'), BACKENDS);
  if (backend) out.backend = backend;
  const labels = pick(get('labels'), LABELS);
  if (labels) out.labels = labels;
  const weighting = pick(get('headWeighting'), WEIGHTINGS);
  if (weighting) out.headWeighting = weighting;
  const headTraining = pick(get('headTraining'), HEAD_TRAINING);
  if (headTraining) out.headTraining = headTraining;
  const score = pick(get('score'), SCORES);
  if (score) out.score = score;
  for (const [setting, field] of NUMERIC) {
    const v = finite(get(setting));
    if (v !== undefined) (out as Record<string, number>)[field] = v;
  }
  // `heads: null` in settings means "choose from depth", which is also the server default: forward only numbers.
  const heads = finite(get('heads'));
  if (heads !== undefined) out.heads = heads;
  const stageFinetune = get('stageFinetune');
  if (typeof stageFinetune === 'boolean') out.stageFinetune = stageFinetune;
  const dataset = get('dataset');
  if (typeof dataset === 'string' && dataset.trim() !== '') out.data = resolveDataset(dataset, baseDir);
  return out;
}

/**
 * Where a run's pruned model goes: `<outputFolder>/<model folder name>-<method>-<stamp>` when `dcp.outputFolder`
 * is set (relative to `baseDir`), else undefined = the server's default inside the run folder.
 */
export function outputDirFromSettings(get: SettingReader, baseDir: string | undefined, modelPath: string, method: string, now: Date): string | undefined {
  const folder = get('outputFolder');
  if (typeof folder !== 'string' || folder.trim() === '') return undefined;
  const root = path.isAbsolute(folder) ? folder : path.resolve(baseDir ?? path.dirname(modelPath), folder);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(root, `${path.basename(path.dirname(modelPath))}-${method}-${stamp}`);
}

/** `--max-old-space-size` for the server process from `dcp.memoryCapMB`; 0 or unset = Node's default. */
export function serverExecArgv(get: SettingReader): string[] {
  const cap = finite(get('memoryCapMB'));
  return cap !== undefined && cap > 0 ? [`--max-old-space-size=${Math.round(cap)}`] : [];
}

/** The runs folder for `initializationOptions.runsDir`, absolute; undefined = next to each model. */
export function runsDirFromSettings(get: SettingReader, baseDir: string | undefined): string | undefined {
  const folder = get('runsFolder');
  if (typeof folder !== 'string' || folder.trim() === '') return undefined;
  return path.isAbsolute(folder) ? folder : baseDir ? path.resolve(baseDir, folder) : undefined;
}
