import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../../../server/cli/command';
import type { InspectReport } from '../../../server/cli/inspect-format';
import { runCli } from '../../../server/cli/main';
import { memoryIO } from '../../../server/cli/output';
import { grouped, shapeText } from '../../../server/cli/table';
import { saveModelDir, writeKerasFixtureDir } from '../../fixtures/models/keras';
import { buildVgg } from '../../fixtures/models/plain';
import { useCpu } from './helpers';

let dir = '';
let vggPath = '';
let mobilenetPath = '';

before(async () => {
  await useCpu();
  dir = mkdtempSync(path.join(tmpdir(), 'dcp-inspect-'));
  vggPath = await saveModelDir(buildVgg(), path.join(dir, 'vgg'));
  mobilenetPath = writeKerasFixtureDir('mobilenet-v1-tiny', path.join(dir, 'mobilenet'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const io = memoryIO();
  const code = await runCli(argv, io);
  return { code, out: io.stdout.join('\n').split('\n'), err: io.stderr };
}

describe('dcp inspect', () => {
  it('prints one table row per layer that agrees with --json', async () => {
    const table = await run('inspect', vggPath);
    const json = await run('inspect', vggPath, '--json');
    assert.equal(table.code, EXIT.ok);
    assert.equal(json.code, EXIT.ok);
    const report = JSON.parse(json.out.join('\n')) as InspectReport;
    assert.equal(report.schema, 'dcp-inspect/1');
    assert.equal(report.summary.name, 'vgg');
    assert.deepEqual(report.summary.prunable, ['conv2', 'conv3', 'conv4']);
    assert.deepEqual(report.prunable.map((p) => p.layer), report.summary.prunable);
    for (const layer of report.summary.layers) {
      const row = table.out.find((l) => l.startsWith(`${layer.name} `));
      assert.ok(row, `no row for ${layer.name}`);
      const cells = row.split(/ {2,}/);
      assert.deepEqual(cells.slice(0, 5), [layer.name, layer.className, shapeText(layer.outputShape), grouped(layer.params), grouped(layer.flops)]);
      if (layer.prunable) assert.match(cells[5], /^prunable \(\d+ in\); removes /);
      else if (layer.reason) assert.equal(cells[5], `no: ${layer.reason}`);
      else assert.equal(cells.length, 5);
    }
    assert.ok(table.out.includes(`Total: ${grouped(report.summary.totalParams)} (13.0 K) params, ${grouped(report.summary.totalFlops)} (432 K) FLOPs (multiply-adds per sample)`));
    // Three blocks: the classifier is close, so no auxiliary head by default (graph/blocks.ts, HEADLESS_MAX_BLOCKS).
    assert.ok(table.out.includes('Prunable: 3 of 4 convolutions; 3 blocks; no auxiliary heads by default (3 blocks: L_S is the classifier\'s own loss; --heads P adds P)'));
    assert.deepEqual(report.heads, { count: 0, positions: [] });
    assert.equal(report.backend, 'cpu');
  });

  it('reads a Keras-converted model directory', async () => {
    const r = await run('inspect', mobilenetPath);
    assert.equal(r.code, EXIT.ok, r.err.join('\n'));
    assert.match(r.out[0], /^Model mobilenet: input 16x16x3, 10 classes, 23 layers$/);
    assert.ok(r.out.some((l) => /^conv_pw_2 .* prunable \(16 in\); removes conv_pw_1, conv_pw_1_bn, conv_dw_2, conv_dw_2_bn$/.test(l)));
    assert.ok(r.out.includes('Total: 1,722 (1.72 K) params, 37,440 (37.4 K) FLOPs (multiply-adds per sample)'));
    assert.ok(r.out.includes('Prunable: 2 of 6 convolutions; 2 blocks; no auxiliary heads by default (2 blocks: L_S is the classifier\'s own loss; --heads P adds P)'));
  });

  it('reports a missing or broken model file on one stderr line, exit 1', async () => {
    const r = await run('inspect', path.join(dir, 'nope', 'model.json'));
    assert.equal(r.code, EXIT.failure);
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], /^dcp inspect: .*nope.*model\.json/);
  });

  it('rejects bad arguments with exit 2 and a pointer to --help', async () => {
    for (const argv of [['inspect'], ['inspect', 'a', 'b'], ['inspect', 'a', '--bogus'], ['inspect', 'a', '--backend', 'gpu']]) {
      const r = await run(...argv);
      assert.equal(r.code, EXIT.usage, argv.join(' '));
      assert.match(r.err.at(-1) ?? '', /Run 'dcp inspect --help' for usage\./);
    }
  });
});

describe('dcp program', () => {
  it('lists the commands on --help and prints a command\'s help on <cmd> --help, <cmd> x -h and help <cmd>', async () => {
    const top = await run('--help');
    assert.equal(top.code, EXIT.ok);
    assert.match(top.out[0], /^Usage: dcp <command>/);
    for (const name of ['demo', 'prune', 'inspect', 'compare']) assert.ok(top.out.some((l) => new RegExp(`^ {2}${name} `).test(l)), name);
    for (const argv of [['inspect', '--help'], ['inspect', 'x', '-h'], ['help', 'inspect']]) {
      const h = await run(...argv);
      assert.equal(h.code, EXIT.ok, argv.join(' '));
      assert.match(h.out[0], /^Usage: dcp inspect \[options\] <model\.json>$/, argv.join(' '));
      assert.ok(h.out.some((l) => /^ {2}--json /.test(l)));
      assert.deepEqual(h.err, []);
    }
  });

  it('rejects unknown or missing commands with exit 2 and a typo hint', async () => {
    const typo = await run('inspekt', vggPath);
    assert.equal(typo.code, EXIT.usage);
    assert.match(typo.err.join('\n'), /^dcp: unknown command 'inspekt'\n\(Did you mean inspect\?\)/);
    assert.deepEqual(typo.out, [''], 'nothing on stdout');
    const none = await run();
    assert.equal(none.code, EXIT.usage);
    assert.match(none.err[0], /^Usage: dcp <command>/);
  });
});
