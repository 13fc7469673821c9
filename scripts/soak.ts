/**
 * `npm run soak [-- --cycles N] [--delete]`: N runs (default 20) in one real language server, two models, complete and
 * cancelled runs in turn (test/integration/faults/soak.ts); `--delete` deletes each run once measured. Prints, per run, the worker's live tensors after the engine returned
 * and the server's heap after a full GC, then the heap's growth per run. Exits 1 if any worker ended with tensors.
 */
import { parseArgs } from 'node:util';
import { heapSlope, soak } from '../test/integration/faults/soak';

const mb = (b: number): string => (b / 2 ** 20).toFixed(2);

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { cycles: { type: 'string', default: '20' }, delete: { type: 'boolean', default: false } } });
  const t0 = Date.now();
  console.log(`${'run'.padEnd(4)} ${'model'.padEnd(15)} ${'kind'.padEnd(9)} ${'ended'.padEnd(10)} ${'worker tensors'.padStart(14)} ${'server heap MiB'.padStart(16)} ${'rss MiB'.padStart(8)} ${'events KiB'.padStart(10)} ${'s'.padStart(4)}`);
  const { baselineHeap, cycles } = await soak(Number(values.cycles), (c) => {
    console.log(`${String(c.cycle).padEnd(4)} ${c.model.padEnd(15)} ${c.kind.padEnd(9)} ${c.status.padEnd(10)} ${String(c.workerTensors ?? 'n/a').padStart(14)} ${mb(c.heapUsed).padStart(16)} ${mb(c.rss).padStart(8)} ${(c.eventsBytes / 1024).toFixed(0).padStart(10)} ${(c.ms / 1000).toFixed(0).padStart(4)}`);
  }, values.delete);
  const leaks = cycles.filter((c) => c.workerTensors !== 0);
  console.log(`\nserver heap before the first run ${mb(baselineHeap)} MiB, after run 2 ${mb(cycles[Math.min(1, cycles.length - 1)].heapUsed)} MiB, after the last ${mb(cycles.at(-1)!.heapUsed)} MiB`);
  const events = cycles.slice(2).reduce((a, c) => a + c.eventsBytes, 0) / Math.max(1, cycles.length - 2);
  console.log(`heap growth from run 3 on: ${(heapSlope(cycles) / 1024).toFixed(1)} KiB per run (least squares; GC forced: ${cycles.every((c) => c.collected)}); the session keeps each run's events for replay, ${(events / 1024).toFixed(1)} KiB of JSON per run on average`);
  console.log(`${cycles.length} runs in ${((Date.now() - t0) / 1000).toFixed(0)} s; workers that ended with live tensors: ${leaks.length}`);
  return leaks.length > 0 ? 1 : 0;
}

void main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
