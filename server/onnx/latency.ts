/**
 * ONNX models run in onnxruntime after pruning, so that is where their speed-up is measured: the original and the
 * pruned `.onnx` timed interleaved (machine load hits both alike), CPU, one thread, median per batch size.
 * onnxruntime-node is optional (a devDependency of this repository, not in the .vsix): without it the report says so.
 */
import type { OnnxLatency } from '../../protocol/model';

/** The parts of onnxruntime-node used here (its own types are only there when the package is). */
interface OrtTensor { dims: readonly number[] }
interface OrtSession {
  inputNames: readonly string[];
  inputMetadata: readonly unknown[];
  run(feeds: Record<string, OrtTensor>): Promise<unknown>;
  release(): Promise<void>;
}
interface Ort {
  env: { versions: { common: string } };
  InferenceSession: { create(bytes: Uint8Array, opts: object): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}

async function loadOrt(): Promise<Ort | string> {
  try {
    return (await import('onnxruntime-node')) as unknown as Ort;
  } catch (e) {
    return `onnxruntime-node is not installed where the engine runs (npm install onnxruntime-node to measure ONNX latency): ${(e as Error).message.split('\n')[0]}`;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The first input's shape with the batch axis set; other symbolic dimensions cannot be timed. */
function inputDims(s: OrtSession, batch: number): number[] {
  const shape = (s.inputMetadata[0] as { shape?: (number | string)[] } | undefined)?.shape ?? [];
  const dims = shape.map((d, i) => (i === 0 ? batch : Number(d)));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error(`input shape [${shape.join(', ')}] has symbolic dimensions besides the batch`);
  return dims;
}

async function timeOnce(s: OrtSession, feeds: Record<string, OrtTensor>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await s.run(feeds);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Median ms of `original` and `pruned` at each batch size, interleaved `runs` times after 3 warm-ups each.
 * Returns a string (the reason) when onnxruntime is missing or cannot run the models.
 */
export async function measureOnnxLatency(original: Uint8Array, pruned: Uint8Array, batches: readonly number[], runs = 20, signal?: AbortSignal): Promise<OnnxLatency | string> {
  const ort = await loadOrt();
  if (typeof ort === 'string') return ort;
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  let before: OrtSession | undefined;
  let after: OrtSession | undefined;
  try {
    before = await ort.InferenceSession.create(original, opts);
    after = await ort.InferenceSession.create(pruned, opts);
    const out: OnnxLatency = { runtime: `onnxruntime ${ort.env.versions.common}, CPU, 1 thread`, batches: [...batches], before: [], after: [], runs };
    for (const batch of batches) {
      const dims = inputDims(before, batch);
      const x = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((p, d) => p * d, 1) }, (_, i) => ((i * 2654435761) % 1000) / 1000), dims);
      const fb = { [before.inputNames[0]]: x };
      const fa = { [after.inputNames[0]]: x };
      for (let i = 0; i < 3; i++) await Promise.all([timeOnce(before, fb), timeOnce(after, fa)]);
      const tb: number[] = [];
      const ta: number[] = [];
      for (let i = 0; i < runs; i++) {
        if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
        tb.push(await timeOnce(before, fb));
        ta.push(await timeOnce(after, fa));
      }
      out.before.push(median(tb));
      out.after.push(median(ta));
    }
    return out;
  } catch (e) {
    if (signal?.aborted) throw e;
    return `onnxruntime could not time the models: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await before?.release();
    await after?.release();
  }
}
