/**
 * The demo's targets (issue 3), measured in one run of the demo's configuration:
 * wall time under 5 minutes on 2 cores, ≥ 1.8x fewer FLOPs, validation accuracy within 1 point of the unpruned
 * model, and channel selection cheaper than the reference algorithm's 2·Σk_l passes.
 * Run: npm run bench:demo [-- --model vgg]. Prints what it measured; targets are reported, not asserted.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { RunReport } from '../protocol/model';
import { runPruning } from '../server/dcp/run/engine';
import { demoConfig, examplesDir } from '../server/cli/demo';

async function main(): Promise<void> {
  const which = process.argv.includes('--model') ? process.argv[process.argv.indexOf('--model') + 1] : 'resnet';
  if (which !== 'resnet' && which !== 'vgg') throw new Error(`--model must be resnet or vgg (got ${which})`);
  const modelPath = path.join(examplesDir(), which, 'model.json');
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-bench-demo-'));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const phases = new Map<string, number>();
  let last = t0;
  let phase = 'setup';
  let report: RunReport | null = null;
  for await (const e of runPruning(demoConfig(which), { modelPath, outDir: path.join(out, 'pruned') })) {
    const next = e.type === 'trainProgress' ? e.phase : e.type === 'selectionStarted' ? 'selection' : e.type === 'surgeryDone' ? 'surgery+eval' : phase;
    if (next !== phase) {
      const now = performance.now();
      phases.set(phase, (phases.get(phase) ?? 0) + (now - last));
      last = now;
      phase = next;
    }
    if (e.type === 'runFinished') report = e.report;
    if (e.type === 'runFailed') throw new Error(e.message);
  }
  phases.set(phase, (phases.get(phase) ?? 0) + (performance.now() - last));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await fs.rm(out, { recursive: true, force: true });
  if (!report) throw new Error('the run did not finish');
  const flopsX = report.before.flops / report.after.flops;
  const dAcc = ((report.after.accuracy ?? 0) - (report.before.accuracy ?? 0)) * 100;
  const c = report.selectionCost;
  const line = (name: string, value: string, ok: boolean): void => void process.stdout.write(`${name.padEnd(44)} ${value.padEnd(40)} ${ok ? 'met' : 'MISSED'}\n`);
  process.stdout.write(`demo targets, ${which}, backend ${report.backend}, ${os.cpus().length} cores, load avg ${os.loadavg()[0].toFixed(2)}\n`);
  line('wall time < 300 s', `${wall.toFixed(1)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`, wall < 300);
  line('FLOPs reduction ≥ 1.8x', `${flopsX.toFixed(2)}x (${report.before.flops} → ${report.after.flops})`, flopsX >= 1.8);
  line('accuracy within 1 point', `${dAcc.toFixed(2)} pt (${pct(report.before.accuracy)} → ${pct(report.after.accuracy)})`, dAcc >= -1);
  line('selection cheaper than the reference', `${c.epochEquivalents.toFixed(2)} vs ${c.referenceEpochEquivalents} epoch-equivalents (${(c.referenceEpochEquivalents / c.epochEquivalents).toFixed(0)}x)`, c.epochEquivalents < c.referenceEpochEquivalents);
  process.stdout.write(`accuracy after selection, before fine-tuning: ${pct(report.afterSelection.accuracy)}\n`);
  process.stdout.write(`time by phase: ${[...phases].map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}\n`);
}

function pct(a: number | null): string {
  return a === null ? '-' : `${(a * 100).toFixed(2)}%`;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
