/**
 * `npm run faults [-- --faults cancel,enospc,kill,server-kill] [--phases load,heads,…]`: the whole fault matrix
 * (test/integration/faults/matrix.ts) on the tiny fixture, one row per cell: how the run ended, where the fault
 * landed, whether the input stayed byte-identical, whether output existed, how resume ended and whether it kept the
 * uninterrupted run's channels. Exits 1 when any cell has a problem. npm test runs a bounded slice.
 */
import { parseArgs } from 'node:util';
import { FAULTS, FaultMatrix, keptOf, problemsOf, type Fault } from '../test/integration/faults/matrix';
import { FAULT_PHASES, type FaultPhase } from '../test/integration/faults/phases';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { faults: { type: 'string', default: FAULTS.join(',') }, phases: { type: 'string', default: FAULT_PHASES.join(',') } } });
  const faults = values.faults.split(',') as Fault[];
  const phases = values.phases.split(',') as FaultPhase[];
  const unknown = [...faults.filter((f) => !FAULTS.includes(f)), ...phases.filter((p) => !FAULT_PHASES.includes(p))];
  if (unknown.length > 0) {
    console.error(`unknown fault or phase: ${unknown.join(', ')}; faults ${FAULTS.join(', ')}; phases ${FAULT_PHASES.join(', ')}`);
    return 2;
  }
  const t0 = Date.now();
  const matrix = await FaultMatrix.create();
  let bad = 0;
  try {
    const clean = await matrix.clean();
    if (clean.ended.status !== 'finished') throw new Error(`the uninterrupted run ended ${clean.ended.status}: ${clean.ended.message ?? ''}`);
    const kept = keptOf(clean.ended);
    console.log(`uninterrupted run: kept ${JSON.stringify(kept)}\n`);
    const cols = ['fault', 'phase', 'ended', 'landed after', 'input', 'output', 'resume', 'same kept', 's'];
    const widths = [12, 9, 12, 20, 10, 8, 10, 10, 5];
    const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' ');
    console.log(row(cols));
    for (const fault of faults) {
      for (const phase of phases) {
        const r = await matrix.cell(fault, phase);
        const problems = problemsOf(r, kept);
        bad += problems.length > 0 ? 1 : 0;
        const same = r.resumed ? String(JSON.stringify(r.resumed.kept) === JSON.stringify(kept)) : '–';
        console.log(row([fault, phase, r.status, r.landedAfter, r.inputUnchanged ? 'identical' : 'CHANGED', r.outputPresent ? 'present' : 'none',
          r.resumed?.status ?? '–', same, (r.ms / 1000).toFixed(0)]));
        for (const p of problems) console.log(`  PROBLEM: ${p}`);
      }
    }
  } finally {
    matrix.cleanup();
  }
  console.log(`\n${faults.length * phases.length} cells in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${bad} with problems`);
  return bad > 0 ? 1 : 0;
}

void main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
