/**
 * `npm run fuzz -- [--cases N] [--seed S] [--readers model,model-text,numpy] [--timeout MS]`: the seeded mutational
 * fuzzer of every input reader, for long runs (npm test runs a bounded number). Prints counts per reader and outcome
 * and every bad case with the seed that reproduces it; exits 1 when any case crashed, hung, leaked or ran out of memory.
 */
import { parseArgs } from 'node:util';
import { READERS, type ReaderName } from '../test/fuzz/cases';
import { BAD_OUTCOMES, countOutcomes, fuzzReaders, type FuzzOutcome } from '../test/fuzz/harness';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '200' }, seed: { type: 'string', default: '1' }, readers: { type: 'string', default: READERS.join(',') }, timeout: { type: 'string', default: '20000' } } });
  const readers = values.readers.split(',').map((r) => r.trim()) as ReaderName[];
  const unknown = readers.filter((r) => !(READERS as readonly string[]).includes(r));
  if (unknown.length > 0) {
    console.error(`unknown reader(s) ${unknown.join(', ')}; known: ${READERS.join(', ')}`);
    return 2;
  }
  const t0 = Date.now();
  const records = await fuzzReaders({
    readers, cases: Number(values.cases), firstSeed: Number(values.seed), timeoutMs: Number(values.timeout),
    onCase: (r) => { if (BAD_OUTCOMES.includes(r.outcome)) console.log(`BAD ${r.reader} seed ${r.seed} ${r.op} (${r.what}): ${r.outcome}: ${r.message.split('\n')[0].slice(0, 300)}`); },
  });
  const outcomes: FuzzOutcome[] = ['loaded', 'refused', ...BAD_OUTCOMES];
  console.log(`\n${'reader'.padEnd(12)}${outcomes.map((o) => o.padStart(15)).join('')}   slowest`);
  for (const [reader, row] of countOutcomes(records)) {
    const slowest = Math.max(...records.filter((r) => r.reader === reader).map((r) => r.ms));
    console.log(`${reader.padEnd(12)}${outcomes.map((o) => String(row.get(o) ?? 0).padStart(15)).join('')}   ${slowest} ms`);
  }
  const bad = records.filter((r) => BAD_OUTCOMES.includes(r.outcome)).length;
  console.log(`\n${records.length} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${bad} bad`);
  return bad > 0 ? 1 : 0;
}

void main().then((code) => process.exit(code));
