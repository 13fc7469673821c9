/**
 * Deterministic, class-aware splitting: validation hold-out, optional train cap, and the class-balanced selection
 * subset of DCP-SPEC §3. Everything draws from one mulberry32 stream seeded by `seed`, in a fixed order, so the same
 * seed and data always give the same splits.
 */
import { mulberry32, shuffleInPlace, type Rng } from './random';
import { DatasetError, type Split, type TeacherFn } from './types';

export interface SplitPlan {
  seed: number;
  /** Samples held out for validation (taken class-proportionally). */
  validationCount: number;
  /** 0 = keep all remaining samples for training. */
  maxTrainSamples: number;
  selectionSamples: number;
}

export interface Splits {
  train: Split;
  validation: Split;
  selection: Split;
}

/** Throws when a label is outside [0, numClasses); names the sample and where the labels came from. */
export function checkLabels(y: Int32Array, numClasses: number, source: string): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0 || y[i] >= numClasses) {
      throw new DatasetError(source, `${source}: label ${y[i]} at sample ${i} is outside the model's ${numClasses} classes (0..${numClasses - 1})`);
    }
  }
}

/** Batch size of teacher calls: large enough to amortise a forward pass, small enough to bound memory. */
const TEACHER_BATCH = 256;

/** Labels every sample with the teacher's predictions, batch by batch. */
export async function teacherLabels(x: Float32Array, count: number, sampleLen: number, teacher: TeacherFn, numClasses: number): Promise<Int32Array> {
  const y = new Int32Array(count);
  for (let start = 0; start < count; start += TEACHER_BATCH) {
    const n = Math.min(TEACHER_BATCH, count - start);
    // A copy, not a view: the teacher may keep or transfer the buffer (a view would drag the whole dataset along).
    const pred = await teacher(x.slice(start * sampleLen, (start + n) * sampleLen), n);
    if (pred.length !== n) throw new DatasetError('teacher', `teacher: returned ${pred.length} labels for a batch of ${n}`);
    y.set(pred, start);
  }
  checkLabels(y, numClasses, 'teacher');
  return y;
}

/** Splits `total` units over groups proportionally to `weights` (largest remainder, ties to the lower index). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]++;
    left--;
  }
  return out;
}

/** As equal as possible per class, capped by what each class has; leftovers go to classes that still have samples. */
export function balancedQuotas(total: number, available: readonly number[]): number[] {
  const quota = available.map(() => 0);
  let remaining = Math.min(total, available.reduce((a, b) => a + b, 0));
  while (remaining > 0) {
    const open = available.map((a, c) => c).filter((c) => quota[c] < available[c]);
    const share = Math.floor(remaining / open.length);
    if (share === 0) {
      for (const c of open.slice(0, remaining)) quota[c]++;
      break;
    }
    for (const c of open) {
      const q = Math.min(share, available[c] - quota[c]);
      quota[c] += q;
      remaining -= q;
    }
  }
  return quota;
}

/** Copies the listed samples into a new Split. */
export function gather(x: Float32Array, y: Int32Array, sampleLen: number, indices: ArrayLike<number>): Split {
  const count = indices.length;
  const gx = new Float32Array(count * sampleLen);
  const gy = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const s = indices[i];
    gx.set(x.subarray(s * sampleLen, (s + 1) * sampleLen), i * sampleLen);
    gy[i] = y[s];
  }
  return { x: gx, y: gy, count };
}

function takeFromEach(perClass: number[][], quota: readonly number[], rng: Rng): number[] {
  const out: number[] = [];
  // Element-wise push: spreading a class of 100k+ indices would overflow the argument stack.
  perClass.forEach((list, c) => { for (const i of list.splice(0, quota[c])) out.push(i); });
  return shuffleInPlace(out, rng);
}

/**
 * Train / validation / selection from labelled samples. Validation is class-proportional; the train cap keeps class
 * proportions; selection ⊂ train is class-balanced. Splits are returned in seeded random order.
 */
export function splitSamples(x: Float32Array, y: Int32Array, count: number, sampleLen: number, numClasses: number, plan: SplitPlan, source: string): Splits {
  const rng = mulberry32(plan.seed);
  const perClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < count; i++) perClass[y[i]].push(i);
  for (const list of perClass) shuffleInPlace(list, rng);

  // Never empty a class's train share: validation takes at most n_c − 1 from each class.
  const valQuota = apportion(plan.validationCount, perClass.map((l) => l.length)).map((q, c) => Math.min(q, Math.max(0, perClass[c].length - 1)));
  const validation = takeFromEach(perClass, valQuota, rng);
  const trainTotal = perClass.reduce((a, l) => a + l.length, 0);
  if (trainTotal === 0) throw new DatasetError(source, `${source}: no samples left for training after holding out ${validation.length} for validation`);

  if (plan.maxTrainSamples > 0 && plan.maxTrainSamples < trainTotal) {
    const cap = apportion(plan.maxTrainSamples, perClass.map((l) => l.length));
    perClass.forEach((list, c) => list.splice(cap[c]));
  }
  // Selection first takes a balanced prefix of each class's (already shuffled) train list, then train is everything.
  const selQuota = balancedQuotas(plan.selectionSamples, perClass.map((l) => l.length));
  const selection = shuffleInPlace(perClass.flatMap((list, c) => list.slice(0, selQuota[c])), rng);
  const train = shuffleInPlace(perClass.flat(), rng);
  return {
    train: gather(x, y, sampleLen, train),
    validation: gather(x, y, sampleLen, validation),
    selection: gather(x, y, sampleLen, selection),
  };
}
