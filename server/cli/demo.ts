/** `dcp demo`: the README's first command: prunes the bundled example ResNet on the embedded MNIST. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/model';
import { EXIT, UsageError, type Command } from './command';
import { parseCommandArgs, positionals } from './args';
import { RUN_OPTIONS, RUN_OPTIONS_HELP, configFromOptions, runWithProgress } from './prune';
import { summaryLines } from './report-table';

/**
 * The demo's settings: 50% of every prunable conv's input channels, one epoch of head training and four of
 * fine-tuning on the 8,000 training digits: about two minutes on two cores (three epochs left -0.4 to -0.9 points).
 */
export const DEMO_CONFIG: Partial<RunConfig> = {
  method: 'dcp', rate: 0.5, data: 'mnist', maxTrainSamples: 0, selectionSamples: 256,
  headEpochs: 1, finetuneEpochs: 4, seed: 1,
};

/** The examples folder, from the sources (server/cli) or from the bundle (dist/). */
export function examplesDir(): string {
  const candidates = [path.resolve(__dirname, '../../examples'), path.resolve(__dirname, '../examples'), path.resolve('examples')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'resnet', 'model.json')));
  if (!found) throw new Error(`cannot find the example models (looked in ${candidates.join(', ')})`);
  return found;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'prune the bundled example ResNet on the embedded MNIST at 50% and print a before/after table',
  usage: `Usage: dcp demo [--model resnet|vgg] [--out DIR] [options]

Prunes examples/<model>/model.json (default resnet) on the embedded MNIST digits with DCP at rate 0.5
(0.3 for vgg), fine-tunes for 4 epochs, and prints the before/after table. Any 'dcp prune' option overrides
the demo's settings. The pruned model goes to --out (default: a new folder under the system temp dir).

  --model resnet|vgg        which example to prune (default resnet)
  --out DIR                 where to write the pruned model and report.json
${RUN_OPTIONS_HELP}`,
  async run(args, io) {
    const { values, positionals: pos } = parseCommandArgs({ args, options: { ...RUN_OPTIONS, out: { type: 'string' }, model: { type: 'string' } } });
    positionals(pos, []);
    const which = values.model ?? 'resnet';
    if (which !== 'resnet' && which !== 'vgg') throw new UsageError(`--model must be resnet or vgg (got '${which}')`);
    const modelPath = path.join(examplesDir(), which, 'model.json');
    const outDir = path.resolve(values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), `dcp-demo-${which}-`)) + '/pruned');
    const overrides = Object.fromEntries(Object.entries(configFromOptions(values)).filter(([, v]) => v !== undefined));
    const report = await runWithProgress({ ...DEMO_CONFIG, ...(which === 'vgg' ? { rate: 0.3 } : {}), ...overrides }, modelPath, outDir, io);
    if (!report) return EXIT.failure;
    for (const line of summaryLines(report)) io.out(line);
    io.out(`pruned model: ${report.model.output}`);
    return EXIT.ok;
  },
};
