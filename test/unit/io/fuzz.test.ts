import { test } from 'node:test';
import assert from 'node:assert/strict';
import { READERS } from '../../fuzz/cases';
import { BAD_OUTCOMES, countOutcomes, fuzzReaders } from '../../fuzz/harness';

// A bounded slice of `npm run fuzz` (docs/reliability.md has the long runs): every mutated input ends in a load
// or a clear error, in bounded time and memory, leaving no tensors behind.
test('mutated inputs to every reader (models, documents, numpy, images, folders, checkpoints, reports, run history) end in a load or a clear error', { timeout: 300_000 }, async () => {
  const records = await fuzzReaders({ readers: READERS, cases: 40, firstSeed: 1, timeoutMs: 20_000 });
  const bad = records.filter((r) => BAD_OUTCOMES.includes(r.outcome));
  assert.deepEqual(bad.map((r) => `${r.reader} seed ${r.seed} ${r.op}: ${r.outcome}: ${r.message.slice(0, 200)}`), []);
  const counts = countOutcomes(records);
  // The mutations must actually reach the readers' error paths, or the fuzzer proves nothing.
  for (const reader of READERS) assert.ok((counts.get(reader)?.get('refused') ?? 0) >= 5, `${reader}: too few refusals`);
  for (const r of records) if (r.outcome === 'refused') assert.match(r.message, /\S/, `${r.reader} seed ${r.seed}: empty message`);
});
