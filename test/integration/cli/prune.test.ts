import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel, loadLayersModel } from '../../../server/io/model-files';
import type { RunReport } from '../../../protocol/model';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';

const ROOT = path.resolve(__dirname, '../../..');
const TINY = ['--data', 'mnist', '--max-train-samples', '128', '--selection-samples', '32', '--head-epochs', '1', '--finetune-epochs', '1', '--batch-size', '32', '--backend', 'wasm'];
let dir = '';
let modelPath = '';

before(async () => {
  await tf.setBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-cli-'));
  const m = tinyPlain(5);
  modelPath = await saveLayersModel(m, path.join(dir, 'model'));
  m.dispose();
});

interface Result { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the real CLI in a child process; `onLine` sees stdout lines as they come. Killed and rejected after `ms`. */
function dcp(args: string[], onLine?: (line: string, child: ReturnType<typeof spawn>) => void, ms = 120_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dcp ${args.join(' ')} did not finish within ${ms} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, ms);
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) onLine?.(l, child);
    });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('dcp prune writes the pruned model and the report and prints the before/after table', async () => {
  const out = path.join(dir, 'out');
  const reportFile = path.join(dir, 'report.json');
  const r = await dcp(['prune', modelPath, ...TINY, '--no-stage-finetune', '--head-lr', '0.2', '--out', out, '--report', reportFile]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /FLOPs \(mult-adds\)/);
  assert.match(r.stdout, /after selection/);
  assert.match(r.stdout, /selection cost: [\d.]+ training-epoch equivalents/);
  const report = JSON.parse(await fs.readFile(reportFile, 'utf8')) as RunReport;
  assert.equal(report.schema, 'dcp-report/1');
  assert.equal(report.layers.length, 2);
  assert.equal(report.config.stageFinetune, false, '--no-stage-finetune reached the engine');
  assert.equal(report.config.headLearningRate, 0.2);
  assert.equal(report.config.finetuneEpochs, 1);
  const pruned = await loadLayersModel(path.join(out, 'model.json'));
  assert.equal(pruned.countParams(), report.after.params);
  pruned.dispose();
});

test('an option out of range is refused before any work, as a usage error', async () => {
  const out = path.join(dir, 'bad-out');
  const r = await dcp(['prune', modelPath, ...TINY, '--rate', '1.5', '--out', out]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "dcp prune: --rate must be a number in [0, 1) (got 1.5)\nRun 'dcp prune --help' for usage.\n");
  assert.doesNotMatch(r.stdout, /pruning /, 'no work started');
  assert.ok(!existsSync(out));
});

test('a missing model names the file', async () => {
  const r = await dcp(['prune', path.join(dir, 'nope', 'model.json'), ...TINY, '--out', path.join(dir, 'nope-out')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, /nope[/\\]model\.json/);
});

test('Ctrl-C cancels the run cleanly and leaves no output', async () => {
  const out = path.join(dir, 'cancel-out');
  let sent = false;
  const r = await dcp(['prune', modelPath, ...TINY, '--out', out], (line, child) => {
    if (!sent && line.startsWith('stage ')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  assert.ok(sent, 'the run reached selection');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /run cancelled; nothing was written/);
  assert.ok(!existsSync(out), 'no output folder');
});
