/**
 * ONNX latency before/after pruning, measured with onnxruntime (CPU, one intra-op thread): the two .onnx files are
 * timed interleaved so machine load affects both alike (server/onnx/latency.ts, the same measurement a run of an
 * .onnx model puts in its report). Prints the median per batch size and the speed-up.
 *
 *   npm run bench:onnx -- <original.onnx> <pruned/model.onnx> [--batches 1,64] [--runs 30]
 */
import { readFileSync } from 'node:fs';
import { measureOnnxLatency } from '../server/onnx/latency';

interface Args { original: string; pruned: string; batches: number[]; runs: number }

function parseArgs(argv: string[]): Args {
  const pos = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (pos.length !== 2) throw new Error('usage: onnx-latency.ts <original.onnx> <pruned.onnx> [--batches 1,64] [--runs 30]');
  return { original: pos[0], pruned: pos[1], batches: (opt('batches') ?? '1,64').split(',').map(Number), runs: Number(opt('runs') ?? 30) };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(f));
  const m = await measureOnnxLatency(bytes(a.original), bytes(a.pruned), a.batches, a.runs);
  if (typeof m === 'string') throw new Error(m);
  process.stdout.write(`${m.runtime}, median of ${m.runs} interleaved runs\n`);
  process.stdout.write('batch   original     pruned  speed-up\n');
  m.batches.forEach((batch, i) => {
    const [mb, ma] = [m.before[i], m.after[i]];
    process.stdout.write(`${String(batch).padStart(5)}  ${mb.toFixed(3).padStart(7)} ms  ${ma.toFixed(3).padStart(7)} ms  ${(mb / ma).toFixed(2).padStart(7)}x\n`);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
