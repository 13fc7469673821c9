/** `dcp inspect <model.json>`: what the graph analysis sees in a model, per layer, with totals. */
import { basename, dirname } from 'node:path';
import { backendOption, parseCommandArgs, positionals } from './args';
import { EXIT, type Command } from './command';
import { formatInspect, inspectReport } from './inspect-format';

const USAGE = `Usage: dcp inspect <model.json> [--json] [--backend cpu|wasm|node|auto]

Prints every layer of a TensorFlow.js Layers model with its output shape, parameters and FLOPs
(multiply-adds for one sample), and for each convolution whether DCP can prune it and what is
removed with it, or why not. Ends with totals, blocks and the default auxiliary heads.

Options:
  --json             print one JSON document (schema dcp-inspect/1) instead of the table
  --backend <name>   TF.js backend used to load the model (default: cpu, enough for inspecting)
  -h, --help         show this help

Examples:
  dcp inspect examples/mnist-cnn/model.json
  dcp inspect model.json --json > summary.json`;

/** `…/mnist-cnn/model.json` → `mnist-cnn`; `vgg.json` → `vgg`. */
function modelName(path: string): string {
  const file = basename(path);
  return file === 'model.json' ? basename(dirname(path)) || 'model' : file.replace(/\.json$/i, '');
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show layers, params, FLOPs and which convolutions DCP can prune',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals: rest } = parseCommandArgs({
      args,
      options: { json: { type: 'boolean', default: false }, backend: { type: 'string' } },
    });
    const [path] = positionals(rest, ['model.json']);
    const backendName = backendOption(values.backend, 'cpu');
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
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else for (const line of formatInspect(report)) io.out(line);
    } finally {
      model.dispose();
    }
    return EXIT.ok;
  },
};
