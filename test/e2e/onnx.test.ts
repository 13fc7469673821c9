/**
 * ONNX end to end in a real VS Code: the two PyTorch exports of test/fixtures/onnx (a ResNet and a MobileNetV2-style
 * net) are pruned from the explorer's context menu; each pruned `model.onnx` loads in onnxruntime with the input's
 * input/output names and output shape, and fewer parameters. Screenshots go to test-results/e2e/.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { useSession } from './harness/session';
import { PANEL } from './harness/panel';
import { explorerContextCommand, explorerRow, screenshot, waitForToast, withFailureShot } from './harness/workbench';

const RUN_TIMEOUT = 300_000;
const session = useSession({}, { onnx: true });

/** Input/output names and the output's shape on one NCHW digit. */
async function describeOnnx(file: string): Promise<{ inputs: readonly string[]; outputs: readonly string[]; shape: readonly number[] }> {
  const s = await ort.InferenceSession.create(file);
  try {
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(28 * 28), [1, 1, 28, 28]) });
    return { inputs: s.inputNames, outputs: s.outputNames, shape: out[s.outputNames[0]].dims };
  } finally {
    await s.release();
  }
}

for (const [i, name] of ['resnet-onnx', 'mobilenetv2-onnx'].entries()) {
  test(`Prune Model on ${name} from the explorer writes a pruned model.onnx that onnxruntime runs`, { timeout: RUN_TIMEOUT + 60_000 }, async () => {
    const page = session.bench.page;
    const { label, file } = session.fixture.onnx[i];
    await withFailureShot(page, `onnx-${label}`, async () => {
      // Expand the model's folder (a click toggles it, and the tree re-renders as runs write files: retry until shown).
      const row = explorerRow(page, basename(file));
      for (let attempt = 0; attempt < 5 && !(await row.isVisible()); attempt++) {
        await explorerRow(page, label).click();
        await row.waitFor({ timeout: 5_000 }).catch(() => undefined);
      }
      await explorerContextCommand(page, row, 'Prune Model');
      const panel = PANEL(page);
      await panel.badge('running').waitFor({ timeout: 90_000 });
      // The extension labels an .onnx model by its file name; the output folder is named after the model's folder.
      await waitForToast(page, new RegExp(`${basename(file, '.onnx')} pruned: −\\d+% params`), RUN_TIMEOUT);
      await panel.badge('finished').waitFor({ timeout: 30_000 });
      await screenshot(page, `onnx-${i + 1}-${label}-finished`);

      const outputs = readdirSync(session.fixture.outputRoot).filter((d) => d.startsWith(`${label}-dcp-`));
      assert.equal(outputs.length, 1, `one output folder for ${label}: ${outputs.join(', ')}`);
      const pruned = join(session.fixture.outputRoot, outputs[0], 'model.onnx');
      assert.ok(existsSync(pruned), pruned);
      const [before, after] = [await describeOnnx(file), await describeOnnx(pruned)];
      assert.deepEqual(after.inputs, before.inputs, 'same input names');
      assert.deepEqual(after.outputs, before.outputs, 'same output names');
      assert.deepEqual(after.shape, before.shape, 'same output shape (class count)');
      assert.ok(existsSync(join(session.fixture.outputRoot, outputs[0], 'report.json')), 'report written beside it');
    });
  });
}
