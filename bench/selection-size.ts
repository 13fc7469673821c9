/**
 * Quality vs selection-set size (issue 11, deliverable 2): DCP on an example model with no fine-tuning at all (no
 * stage fine-tunes, no final one), so the accuracy after selection measures only the channel choice and the fitted
 * weights. One line per size and solver: accuracy after selection (mean ± std over seeds), selection seconds (the
 * layers' own time, without head training) and the selection cost in training-epoch equivalents.
 *
 *   npm run bench:selection-size                                    ResNet, sizes 128-2048, exact solver, seeds 1-2
 *   npm run bench:selection-size -- --sizes 256,1024 --solvers exact,sgd --seeds 3 --model vgg --rate 0.3
 *   npm run bench:selection-size -- --sizes 256 --channels-per-step 1,4,8     the channelsPerStep shortcut's effect
 *
 * Expect about a minute per run on two cores at 256 samples, growing with the size. The Markdown table at the end
 * goes into docs/compare.md.
 */
import * as path from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { RunConfig, RunReport } from '../protocol/model';
import { stat } from '../protocol/compare';
import { initBackend } from '../server/tfjs/backend';
import { parseMethods } from '../server/dcp/compare/jobs';
import { runCompare } from '../server/dcp/compare/run-compare';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet' }, rate: { type: 'string', default: '0.5' },
    sizes: { type: 'string', default: '128,256,512,1024,2048' }, solvers: { type: 'string', default: 'exact' },
    seeds: { type: 'string', default: '2' }, 'channels-per-step': { type: 'string', default: '1' }, seed: { type: 'string', default: '1' }, backend: { type: 'string', default: 'auto' },
  },
});

interface Line { size: number; solver: string; perStep: number; acc: string; selSeconds: string; epochs: string; lossM: string }

const pm = (xs: number[], digits: number, scale = 1): string => {
  const s = stat(xs.map((x) => x * scale));
  if (!s) return '-';
  return xs.length > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
};

async function main(): Promise<void> {
  const backend = await initBackend(values.backend as RunConfig['backend']);
  const sizes = values.sizes.split(',').map(Number);
  const solvers = values.solvers.split(',') as RunConfig['solver'][];
  const seeds = Number(values.seeds);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes must be positive integers (got ${values.sizes})`);
  const modelPath = path.join(__dirname, '..', 'examples', values.model, 'model.json');
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  console.log(`bench:selection-size on ${backend}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${values.model} at rate ${values.rate}, seeds ${values.seed}..${Number(values.seed) + seeds - 1}`);
  const lines: Line[] = [];
  for (const perStep of values['channels-per-step'].split(',').map(Number)) for (const solver of solvers) {
    for (const size of sizes) {
      const config: Partial<RunConfig> = {
        channelsPerStep: perStep,
        rate: Number(values.rate), data: 'mnist', finetuneEpochs: 0, stageFinetune: false, selectionSamples: size, solver,
        backend: values.backend as RunConfig['backend'],
      };
      const result = await runCompare({ modelPath, config, jobs: parseMethods(`dcp:${seeds}`, 1, Number(values.seed)), signal: controller.signal });
      if (result.cancelled || !result.doc) {
        console.log(result.cancelled ? 'cancelled' : `no run finished: ${result.failures.map((f) => f.message).join('; ')}`);
        process.exitCode = 1;
        return;
      }
      const reports: RunReport[] = result.reports;
      const line: Line = {
        size, solver, perStep,
        acc: pm(reports.map((r) => r.afterSelection.accuracy ?? NaN), 2, 100),
        selSeconds: pm(reports.map((r) => r.layers.reduce((a, l) => a + l.seconds, 0)), 0),
        epochs: pm(reports.map((r) => r.selectionCost.epochEquivalents), 2),
        lossM: pm(reports.map((r) => r.layers.reduce((a, l) => a + l.lossM, 0)), 4),
      };
      lines.push(line);
      console.log(`${solver} N=${size} K=${perStep}: accuracy after selection ${line.acc}%, selection ${line.selSeconds} s, ${line.epochs} epoch-equivalents, Σ L_M ${line.lossM} ` +
        `(per seed ${reports.map((r) => ((r.afterSelection.accuracy ?? NaN) * 100).toFixed(2)).join(', ')})`);
    }
  }
  console.log('\n| solver | channels per step | selection samples | accuracy after selection | selection seconds | cost (epoch equiv.) | Σ L_M |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of lines) console.log(`| ${l.solver} | ${l.perStep} | ${l.size} | ${l.acc}% | ${l.selSeconds} | ${l.epochs} | ${l.lossM} |`);
  console.log(`\nload average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 1;
});
