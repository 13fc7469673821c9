import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { initBackend } from '../../../server/tfjs/backend';
import { runCli } from '../../../server/cli/main';
import { capture } from '../cli/capture';
import type { RunReport } from '../../../protocol/model';
import { loadLayersModel } from '../../../server/io/model-files';
import { decodeModel } from '../../../server/onnx/proto';
import { GraphBuilder, ints, maxAbsDiff, randomInput, runLayers, runOrt } from './onnx-builder';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'onnx');
const TINY = ['--data', 'mnist', '--max-train-samples', '128', '--selection-samples', '32', '--head-epochs', '1', '--batch-size', '32', '--finetune-epochs', '1', '--backend', 'wasm'];

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-onnx-cli-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});


describe('dcp on .onnx files', () => {
  it('dcp inspect lists the nodes that cannot be imported and exits 1', async () => {
    const g = new GraphBuilder([1, 1, 8, 8]);
    const a = g.conv(g.inputName, 1, 4, 3, [ints('pads', [1, 1, 1, 1])]);
    const b = g.node('Resize', [a], [], 'upsample');
    const c = g.node('InstanceNormalization', [b], [], 'inorm');
    const file = path.join(dir, 'bad.onnx');
    await fs.writeFile(file, g.encode([c], 13));
    const io = capture();
    assert.equal(await runCli(['inspect', file], io), 1);
    const text = io.lines.join('\n');
    assert.match(text, /2 nodes cannot be imported/);
    assert.match(text, /upsample \(Resize\): op is not supported/);
    assert.match(text, /inorm \(InstanceNormalization\): op is not supported/);
  });

  it('dcp prune model.onnx writes model.onnx (+ model.json on request) that onnxruntime runs like the pruned network', async () => {
    const src = path.join(FIXTURES, 'tiny_mobilenetv2.onnx');
    const out = path.join(dir, 'pruned');
    const io = capture();
    const code = await runCli(['prune', src, '--rate', '0.5', '--out', out, '--onnx-model-json', ...TINY], io);
    assert.equal(code, 0, io.errors.join('\n'));
    assert.deepEqual((await fs.readdir(out)).filter((f) => !f.endsWith('.bin')).sort(), ['model.json', 'model.onnx', 'report.json']);
    const report = JSON.parse(await fs.readFile(path.join(out, 'report.json'), 'utf8')) as RunReport;
    assert.equal(report.model.output, path.join(out, 'model.onnx'));
    assert.ok(report.after.params < report.before.params);
    // Timed where the model will run: onnxruntime, the original and the pruned .onnx interleaved, at batch 1 and N.
    const o = report.onnxLatency;
    assert.ok(o, `no onnxLatency: ${report.onnxLatencyNote ?? ''}`);
    assert.deepEqual(o.batches, [1, report.after.latencyBatch]);
    assert.ok([...o.before, ...o.after].every((ms) => Number.isFinite(ms) && ms > 0), JSON.stringify(o));
    assert.match(o.runtime, /^onnxruntime \d+\.\d+/);
    assert.ok(io.lines.some((l) => /^onnxruntime .*: batch 1 .* ms \(\d+\.\d+x\)/.test(l)), 'the CLI prints it');
    const bytes = new Uint8Array(await fs.readFile(path.join(out, 'model.onnx')));
    const m = decodeModel(bytes);
    assert.equal(m.opsets[0]!.version, 17);
    assert.deepEqual([m.graph.inputs[0]!.name, m.graph.outputs[0]!.name], ['image', 'logits']);
    // The model.json written beside it is the same pruned network, NHWC.
    const layers = await loadLayersModel(path.join(out, 'model.json'));
    try {
      const shape = [2, 1, 28, 28];
      const input = randomInput(shape, 3).map((v) => (v + 1) / 2);
      const diff = maxAbsDiff((await runOrt(bytes, input, shape)).data, runLayers(layers, input, shape));
      assert.ok(diff < 1e-4, `max |diff| ${diff}`);
    } finally {
      layers.dispose();
    }
  });
});
