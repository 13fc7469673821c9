/**
 * Dataset entry point: parses a `RunConfig.data` spec, loads the samples in the model's input shape, applies the
 * label source, and splits train / validation / selection deterministically from the seed.
 *
 * Specs: `mnist` | `fashion-mnist[:DIR]` | `idx:PATH` (IDX files, see idx.ts) | `folder:PATH` | `npz:PATH` (a .npz or
 * .npy) | a bare path (a directory is a folder dataset, a file is read as .npz/.npy). Relative paths resolve against the process's working directory.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadFolder } from './folder';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadIdx } from './idx';
import { loadMnist, MNIST_CLASSES } from './mnist';
import { loadNumpy } from './numpy';
import { checkLabels, splitSamples, teacherLabels } from './split';
import { DatasetError, sampleSize, type Dataset, type DatasetOptions, type RawData } from './types';

export { batches, type Batch } from './batches';
export { mixSeed, mulberry32 } from './random';
export { MNIST_CLASSES } from './mnist';
export { DatasetError, type Dataset, type DatasetOptions, type Split, type TeacherFn } from './types';

/** Default validation hold-out: 10% of the samples; mnist's 10,000 digits give 2,000 (20%), a steadier accuracy. */
export const DEFAULT_VALIDATION_FRACTION = 0.1;
export const MNIST_VALIDATION_SAMPLES = 2000;

type Source = { kind: 'mnist' } | { kind: 'folder'; path: string } | { kind: 'numpy'; path: string } | { kind: 'idx'; path: string; fashion: boolean };

/** Which reader a spec names. Throws DatasetError for a missing path or an unknown kind of file. */
export function parseSpec(spec: string): Source {
  const s = spec.trim();
  if (s.toLowerCase() === 'mnist') return { kind: 'mnist' };
  const idx = /^(fashion-mnist|idx)(?::(.*))?$/is.exec(s);
  if (idx) {
    const fashion = idx[1].toLowerCase() === 'fashion-mnist';
    if (!fashion && !idx[2]) throw new DatasetError(s, `data spec '${spec}': idx needs a path (idx:FOLDER or idx:IMAGES_FILE)`);
    const path = resolve(idx[2] ?? FASHION_MNIST_DIR);
    if (!existsSync(path)) {
      const hint = fashion && !idx[2] ? ' (install the Debian package dataset-fashion-mnist, or give fashion-mnist:FOLDER)' : '';
      throw new DatasetError(path, `${path}: no such file or folder (data spec '${spec}')${hint}`);
    }
    return { kind: 'idx', path, fashion };
  }
  const prefixed = /^(folder|npz):(.*)$/s.exec(s);
  const path = resolve(prefixed ? prefixed[2] : s);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new DatasetError(path, `${path}: no such file or folder (data spec '${spec}'; expected mnist, fashion-mnist, idx:PATH, folder:PATH or npz:PATH)`);
  }
  if (prefixed?.[1] === 'folder' || (!prefixed && isDir)) {
    if (!isDir) throw new DatasetError(path, `${path}: not a folder (data spec '${spec}')`);
    return { kind: 'folder', path };
  }
  if (isDir) throw new DatasetError(path, `${path}: is a folder, not a .npz/.npy file (data spec '${spec}')`);
  if (!prefixed && !/\.(npz|npy)$/i.test(path)) {
    throw new DatasetError(path, `${path}: unknown dataset file type; expected a .npz or .npy file, a folder of class folders, or mnist`);
  }
  return { kind: 'numpy', path };
}

function checkOptions(o: DatasetOptions): void {
  const bad = (why: string): never => { throw new DatasetError('options', `dataset options: ${why}`); };
  if (!Array.isArray(o.inputShape) || o.inputShape.length !== 3 || !o.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    bad(`inputShape must be [H, W, C] of positive integers (got ${JSON.stringify(o.inputShape)})`);
  }
  if (!Number.isInteger(o.numClasses) || o.numClasses < 1) bad(`numClasses must be a positive integer (got ${o.numClasses})`);
  if (!Number.isInteger(o.seed)) bad(`seed must be an integer (got ${o.seed})`);
  if (!Number.isInteger(o.selectionSamples) || o.selectionSamples < 0) bad(`selectionSamples must be an integer ≥ 0 (got ${o.selectionSamples})`);
  const f = o.validationFraction;
  if (f !== undefined && !(f >= 0 && f < 1)) bad(`validationFraction must be in [0, 1) (got ${f})`);
  const v = o.validationSamples;
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) bad(`validationSamples must be an integer ≥ 1 (got ${v})`);
  const m = o.maxTrainSamples;
  if (m !== undefined && !(Number.isInteger(m) && m >= 0)) bad(`maxTrainSamples must be an integer ≥ 0 (got ${m})`);
  if (o.labels === 'teacher' && typeof o.teacher !== 'function') bad("labels 'teacher' needs a teacher function");
}

/** With dataset labels, a source that names its classes must name exactly as many as the model outputs. */
function classChecker(where: string, opts: DatasetOptions): (names: string[]) => void {
  return (names) => {
    if (opts.labels === 'teacher' || names.length === opts.numClasses) return;
    const shown = `${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;
    throw new DatasetError(where, `${where}: found ${names.length} classes (${shown}) but the model outputs ${opts.numClasses}; use teacher labels to relabel`);
  };
}

async function loadRaw(src: Source, opts: DatasetOptions): Promise<RawData> {
  const unlabeledOk = opts.labels === 'teacher';
  switch (src.kind) {
    case 'mnist': {
      classChecker('mnist', opts)(Array.from({ length: MNIST_CLASSES }, (_, c) => String(c)));
      return loadMnist(opts.inputShape);
    }
    case 'folder': return loadFolder(src.path, opts.inputShape, unlabeledOk, classChecker(src.path, opts));
    case 'numpy': return loadNumpy(src.path, opts.inputShape, !unlabeledOk);
    case 'idx': {
      if (src.fashion) classChecker(src.path, opts)(FASHION_MNIST_CLASSES);
      return loadIdx(src.path, opts.inputShape, src.fashion ? 'fashion-mnist' : `idx:${src.path}`, src.fashion ? [...FASHION_MNIST_CLASSES] : null);
    }
  }
}

/** Loads and splits a dataset for a model with input `opts.inputShape` and `opts.numClasses` outputs. */
export async function loadDataset(spec: string, opts: DatasetOptions): Promise<Dataset> {
  checkOptions(opts);
  const src = parseSpec(spec);
  const raw = await loadRaw(src, opts);
  const where = src.kind === 'mnist' ? 'mnist' : src.path;
  if (raw.count === 0) throw new DatasetError(where, `${where}: no samples`);
  const sampleLen = sampleSize(opts.inputShape);

  let y: Int32Array;
  let classNames: string[];
  const generic = Array.from({ length: opts.numClasses }, (_, c) => String(c));
  if (opts.labels === 'teacher') {
    y = await teacherLabels(raw.x, raw.count, sampleLen, opts.teacher!, opts.numClasses);
    // Folder names only describe the teacher's classes when there are exactly as many of them.
    classNames = raw.classNames?.length === opts.numClasses ? raw.classNames : generic;
  } else {
    if (raw.y === null) throw new DatasetError(where, `${where}: the data has no labels; use teacher labels`);
    checkLabels(raw.y, opts.numClasses, raw.labelSource);
    y = raw.y;
    classNames = raw.classNames ?? generic;
  }

  const fraction = opts.validationFraction;
  if (opts.validationSamples !== undefined && opts.validationSamples >= raw.count) {
    throw new DatasetError(where, `${where}: ${opts.validationSamples} validation samples leave none of its ${raw.count} samples for training`);
  }
  const validationCount = opts.validationSamples !== undefined ? opts.validationSamples
    : fraction !== undefined
    ? Math.round(fraction * raw.count)
    : src.kind === 'mnist' ? Math.min(MNIST_VALIDATION_SAMPLES, raw.count - 1) : Math.round(DEFAULT_VALIDATION_FRACTION * raw.count);
  const splits = splitSamples(raw.x, y, raw.count, sampleLen, opts.numClasses, {
    seed: opts.seed, validationCount, maxTrainSamples: opts.maxTrainSamples ?? 0, selectionSamples: opts.selectionSamples,
  }, where);
  return { name: raw.name, inputShape: [...opts.inputShape], numClasses: opts.numClasses, classNames, ...splits };
}
