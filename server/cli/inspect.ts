/** `dcp inspect <model.json>`: what the graph analysis sees in a model, per layer, with totals. */
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_RUN_CONFIG } from '../../protocol/settings';
import { EXIT, action, type CliContext } from './command';
import { formatInspect, inspectReport } from './inspect-format';
import { addRunOptions, runConfigFromOptions, type RunOptionsSpec } from './run-options';

/** Only the backend of the run settings; the CPU one is enough for reading a model. */
const OPTIONS: RunOptionsSpec = { only: ['backend'], defaults: { backend: 'cpu' } };

/** `…/mnist-cnn/model.json` → `mnist-cnn`; `vgg.json` → `vgg`. */
function modelName(path: string): string {
  const file = basename(path);
  return file === 'model.json' ? basename(dirname(path)) || 'model' : file.replace(/\.json$/i, '');
}

export function addInspectCommand(program: Command, ctx: CliContext): Command {
  const cmd = program.command('inspect')
    .summary('show layers, params, FLOPs and which convolutions DCP can prune')
    .description([
      'Prints every layer of a TensorFlow.js Layers model with its output shape, parameters and FLOPs (multiply-adds for one sample), and for each convolution whether DCP can prune it and what is removed with it, or why not.',
      'Ends with totals, blocks and the default auxiliary heads.',
    ].join(' '))
    .argument('<model.json>', 'the TensorFlow.js Layers model to inspect')
    .option('--json', 'print one JSON document (schema dcp-inspect/1) instead of the table')
    .addHelpText('after', `
Examples:
  dcp inspect examples/mnist-cnn/model.json
  dcp inspect model.json --json > summary.json`);
  addRunOptions(cmd, OPTIONS);
  return cmd.action(action(ctx, async (path: string, values: { json?: boolean }, self: Command) => {
    const backendName = runConfigFromOptions(self, OPTIONS).backend ?? OPTIONS.defaults?.backend ?? DEFAULT_RUN_CONFIG.backend;
    // Imported here so `dcp --help` and other commands do not pay for loading TF.js.
    const [{ initBackend }, { loadLayersModel }, graphApi] = await Promise.all([
      import('../tfjs/backend'), import('../io/model-files'), import('../dcp/graph/graph'),
    ]);
    const backend = await initBackend(backendName);
    const model = await loadLayersModel(path);
    try {
      const graph = graphApi.analyzeGraph(model);
      const summary = graphApi.summarizeModel(model, graph, modelName(path));
      const heads = graphApi.headPositions(graph, graphApi.defaultHeads(graph));
      const report = inspectReport(summary, graph, heads, backend);
      if (values.json) ctx.io.out(JSON.stringify(report, null, 2));
      else for (const line of formatInspect(report)) ctx.io.out(line);
    } finally {
      model.dispose();
    }
    return EXIT.ok;
  }));
}
