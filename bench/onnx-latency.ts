/**
 * ONNX latency before/after pruning, measured with onnxruntime (CPU, default graph optimisations, one intra-op
 * thread): the two .onnx files are timed interleaved so machine load affects both alike. Prints the median per
 * batch size and the speed-up. onnxruntime-node is a devDependency, so this is a bench, not part of the report.
 *
 *   npm run bench:onnx -- <original.onnx> <pruned/model.onnx> [--batches 1,64] [--runs 30]
 */
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';

interface Args { original: string; pruned: string; batches: number[]; runs: number }

function parseArgs(argv: string[]): Args {
  const pos = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (pos.length !== 2) throw new Error('usage: onnx-latency.ts <original.onnx> <pruned.onnx> [--batches 1,64] [--runs 30]');
  return { original: pos[0]!, pruned: pos[1]!, batches: (opt('batches') ?? '1,64').split(',').map(Number), runs: Number(opt('runs') ?? 30) };
}

async function session(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(new Uint8Array(readFileSync(file)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

/** The input shape with the batch axis set; symbolic dims other than the batch are not supported here. */
function inputDims(s: ort.InferenceSession, batch: number): number[] {
  const meta = s.inputMetadata[0] as { shape?: (number | string)[] } | undefined;
  const shape = meta?.shape ?? [];
  return shape.map((d, i) => (i === 0 ? batch : Number(d)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function timeOnce(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await s.run(feeds);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const [before, after] = [await session(a.original), await session(a.pruned)];
  process.stdout.write(`onnxruntime ${ort.env.versions.common}, CPU, 1 thread, median of ${a.runs} interleaved runs\n`);
  process.stdout.write('batch   original     pruned  speed-up\n');
  for (const batch of a.batches) {
    const dims = inputDims(before, batch);
    const x = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => Math.random()), dims);
    const fb = { [before.inputNames[0]!]: x };
    const fa = { [after.inputNames[0]!]: x };
    for (let i = 0; i < 3; i++) await Promise.all([timeOnce(before, fb), timeOnce(after, fa)]);
    const tb: number[] = [];
    const ta: number[] = [];
    for (let i = 0; i < a.runs; i++) {
      tb.push(await timeOnce(before, fb));
      ta.push(await timeOnce(after, fa));
    }
    const [mb, ma] = [median(tb), median(ta)];
    process.stdout.write(`${String(batch).padStart(5)}  ${mb.toFixed(3).padStart(7)} ms  ${ma.toFixed(3).padStart(7)} ms  ${(mb / ma).toFixed(2).padStart(7)}x\n`);
  }
  await before.release();
  await after.release();
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
