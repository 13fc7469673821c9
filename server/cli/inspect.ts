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
  return file === 'model.json' ? basename(dirname(path)) || 'model' : file.replace(/\.(json|onnx)$/i, '');
}

export function addInspectCommand(program: Command, ctx: CliContext): Command {
  const cmd = program.command('inspect')
    .summary('show layers, params, FLOPs and which convolutions DCP can prune')
    .description([
      'Prints every layer of a TensorFlow.js Layers model with its output shape, parameters and FLOPs (multiply-adds for one sample), and for each convolution whether DCP can prune it and what is removed with it, or why not.',
      'Ends with totals, blocks and the default auxiliary heads.',
    ].join(' '))
    .argument('<model.json>', 'the TensorFlow.js Layers model (or .onnx conv net) to inspect')
    .option('--json', 'print one JSON document (schema dcp-inspect/1) instead of the table')
    .addHelpText('after', `
Examples:
  dcp inspect examples/mnist-cnn/model.json
  dcp inspect model.json --json > summary.json
  dcp inspect resnet.onnx        (lists the nodes that cannot be imported, if any)`);
  addRunOptions(cmd, OPTIONS);
  return cmd.action(action(ctx, async (path: string, values: { json?: boolean }, self: Command) => {
    const backendName = runConfigFromOptions(self, OPTIONS).backend ?? OPTIONS.defaults?.backend ?? DEFAULT_RUN_CONFIG.backend;
    // Imported here so `dcp --help` and other commands do not pay for loading TF.js.
    const [{ initBackend }, { loadLayersModel }, graphApi] = await Promise.all([
      import('../tfjs/backend'), import('../io/model-files'), import('../dcp/graph/graph'),
    ]);
    const backend = await initBackend(backendName);
    if (/\.onnx$/i.test(path) && !(await onnxImportable(ctx, path, values.json === true))) return EXIT.failure;
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

/** For an .onnx file: prints every node that cannot be imported (op and reason) and returns false, or returns true. */
async function onnxImportable(ctx: CliContext, path: string, json: boolean): Promise<boolean> {
  const { readOnnxFile, onnxProblems, describeProblems } = await import('../onnx/import');
  const problems = onnxProblems(await readOnnxFile(path));
  if (problems.length === 0) return true;
  if (json) ctx.io.out(JSON.stringify({ schema: 'dcp-onnx-problems/1', model: path, problems }, null, 2));
  else for (const line of describeProblems(path, problems).split('\n')) ctx.io.out(line);
  return false;
}
