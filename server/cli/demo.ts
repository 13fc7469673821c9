/** `dcp demo`: the README's first command: prunes the bundled example ResNet on the embedded MNIST. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import type { RunConfig } from '../../protocol/model';
import { EXIT, action, type CliContext } from './command';
import { runWithProgress } from './prune';
import { summaryLines } from './report-table';
import { addRunOptions, runConfigFromOptions } from './run-options';

/**
 * The demo's settings: 50% of every prunable conv's input channels, one epoch of head training and four of
 * fine-tuning on the 8,000 training digits: about two minutes on two cores (three epochs left -0.4 to -0.9 points).
 */
export const DEMO_CONFIG: Partial<RunConfig> = {
  method: 'dcp', rate: 0.5, data: 'mnist', maxTrainSamples: 0, selectionSamples: 256,
  headEpochs: 1, finetuneEpochs: 4, seed: 1,
};

/** The demo's settings for one example: the VGG, with fewer channels to spare, is pruned at 0.3. */
export function demoConfig(which: 'resnet' | 'vgg'): Partial<RunConfig> {
  return { ...DEMO_CONFIG, ...(which === 'vgg' ? { rate: 0.3 } : {}) };
}

/** The examples folder, from the sources (server/cli) or from the bundle (dist/). */
export function examplesDir(): string {
  const candidates = [path.resolve(__dirname, '../../examples'), path.resolve(__dirname, '../examples'), path.resolve('examples')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'resnet', 'model.json')));
  if (!found) throw new Error(`cannot find the example models (looked in ${candidates.join(', ')})`);
  return found;
}

interface DemoOptions { model?: 'resnet' | 'vgg'; out?: string }

export function addDemoCommand(program: Command, ctx: CliContext): Command {
  const cmd = program.command('demo')
    .summary('prune the bundled example ResNet on the embedded MNIST at 50% and print a before/after table')
    .description([
      'Prunes examples/<model>/model.json (default resnet) on the embedded MNIST digits with DCP at rate 0.5 (0.3 for vgg), fine-tunes for 4 epochs, and prints the before/after table.',
      `Any 'dcp prune' option overrides the demo's settings (the defaults shown are the demo's).`,
      'The pruned model goes to --out (default: a new folder under the system temp dir).',
    ].join(' '))
    .addOption(new Option('--model <NAME>', 'which example to prune (default resnet)').choices(['resnet', 'vgg']))
    .option('--out <DIR>', 'where to write the pruned model and report.json');
  addRunOptions(cmd, { defaults: DEMO_CONFIG });
  return cmd.action(action(ctx, async (values: DemoOptions, self: Command) => {
    const which = values.model ?? 'resnet';
    const base = demoConfig(which);
    const config = { ...base, ...runConfigFromOptions(self, {}, base) };
    const modelPath = path.join(examplesDir(), which, 'model.json');
    const outDir = path.resolve(values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), `dcp-demo-${which}-`)) + '/pruned');
    const report = await runWithProgress(config, modelPath, outDir, ctx.io);
    if (!report) return EXIT.failure;
    for (const line of summaryLines(report)) ctx.io.out(line);
    ctx.io.out(`pruned model: ${report.model.output}`);
    return EXIT.ok;
  }));
}
