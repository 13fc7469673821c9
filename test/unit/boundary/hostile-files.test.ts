import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFolder, loadFolder } from '../../../server/data/folder';
import { DatasetError } from '../../../server/data/types';
import { readCheckpoint } from '../../../server/dcp/run/checkpoint';
import { checkHeadWeights } from '../../../server/dcp/run/checkpoint-schema';
import { jpg, png, tempDir } from '../../fixtures/data/writers';
import { baseReport, lyingJpeg, lyingPng } from '../../fuzz/cases-files';
import { decodeImage, jpegSize } from '../../../server/data/image';

const pixel = (): [number, number, number] => [10, 20, 30];

function dataset(): { root: string; outside: string; cleanup: () => void } {
  const t = tempDir('dcp-hostile-');
  const root = join(t.dir, 'data');
  const outside = join(t.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'x.png'), png(4, 4, pixel));
  for (const c of ['a', 'b']) {
    mkdirSync(join(root, c), { recursive: true });
    writeFileSync(join(root, c, '0.png'), png(4, 4, pixel));
  }
  return { root, outside, cleanup: t.cleanup };
}

test('an image folder refuses links that leave it, and follows links inside it', async () => {
  const d = dataset();
  try {
    symlinkSync(join(d.root, 'a', '0.png'), join(d.root, 'b', 'alias.png'));
    assert.equal(listFolder(d.root, false).files.length, 3, 'a link inside the dataset counts');
    symlinkSync(join(d.outside, 'x.png'), join(d.root, 'a', 'link.png'));
    assert.throws(() => listFolder(d.root, false), (e: Error) => e instanceof DatasetError && /link\.png: a symbolic link to .*outside.*x\.png|outside the dataset folder/.test(e.message));
  } finally {
    d.cleanup();
  }
  const f = dataset();
  try {
    symlinkSync(f.outside, join(f.root, 'c'));
    await assert.rejects(loadFolder(f.root, [4, 4, 3], false, () => undefined), /c: a symbolic link to .*outside the dataset folder/);
  } finally {
    f.cleanup();
  }
});

test('control characters in file and folder names are escaped in error messages', async () => {
  const d = dataset();
  try {
    writeFileSync(join(d.root, 'a', '\u001b[2K\rfake\nline.png'), 'not an image');
    await assert.rejects(loadFolder(d.root, [4, 4, 3], false, () => undefined), (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.doesNotMatch(e.message, /[\u0000-\u001f]/, 'no raw control character reaches the terminal');
      assert.match(e.message, /\\u001b\[2K\\u000dfake\\u000aline\.png: not a PNG or JPEG/);
      return true;
    });
  } finally {
    d.cleanup();
  }
});

test('a damaged checkpoint is refused with a clear error, never a TypeError', async () => {
  const t = tempDir('dcp-ckpt-hostile-');
  const report = baseReport();
  const good = {
    schema: 'dcp-checkpoint/2', config: report.config, modelPath: '/m/model.json', before: report.before, heads: [], layers: [], passes: [],
    stagesTuned: [], network: 'step-0-ab12cd34', baseline: 'baseline-ab12cd34', step: 0,
  };
  try {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['no config', { ...good, config: undefined }, /damaged checkpoint \(config/],
      ['modelPath a number', { ...good, modelPath: 7 }, /damaged checkpoint \(modelPath/],
      ['network outside the folder', { ...good, network: '../../other-run/step-3-aa' }, /network: is not a step folder name/],
      ['baseline absolute', { ...good, baseline: '/etc' }, /baseline: is not a baseline folder name/],
      ['layers not a list', { ...good, layers: 'x' }, /layers/],
    ];
    for (const [what, state, error] of cases) {
      writeFileSync(join(t.dir, 'state.json'), JSON.stringify(state));
      await assert.rejects(readCheckpoint(t.dir, '/m/model.json', report.config), (e: Error) => !(e instanceof TypeError) && error.test(e.message) && /start the run afresh/.test(e.message), what);
    }
    writeFileSync(join(t.dir, 'state.json'), JSON.stringify(good));
    assert.equal((await readCheckpoint(t.dir, '/m/model.json', report.config))?.step, 0);
  } finally {
    t.cleanup();
  }
});

test("heads.json is checked against the heads' shapes before any tensor is made", () => {
  const shapes = [[[2], [2, 3]]];
  const ok = [[{ shape: [2], values: [1, 2] }, { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }]];
  assert.deepEqual(checkHeadWeights(ok, shapes, 'h.json'), ok);
  assert.throws(() => checkHeadWeights([[{ shape: [2], values: [1] }, ok[0][1]]], shapes, 'h.json'), /h\.json: not the heads' weights .*values do not fill the shape/);
  assert.throws(() => checkHeadWeights([[ok[0][0], { shape: [3, 2], values: [1, 2, 3, 4, 5, 6] }]], shapes, 'h.json'), /head 0's weights have shapes 2, 3x2, expected 2, 2x3/);
  assert.throws(() => checkHeadWeights([...ok, ...ok], shapes, 'h.json'), /weights for 2 heads, the run has 1/);
  assert.throws(() => checkHeadWeights({ 0: ok }, shapes, 'h.json'), /not the heads' weights/);
});

test('a JPEG whose header claims far more pixels than its bytes can hold is refused before decoding; real ones load', () => {
  const real = jpg(40, 24, pixel);
  assert.deepEqual(jpegSize(real), { width: 40, height: 24 });
  const img = decodeImage(real, 'real.jpg');
  assert.equal(img.width * img.height, 40 * 24);
  // 9999×9999 is under the 100-megapixel limit, so only the size check stops jpeg-js decoding a frame that large.
  const lie = lyingJpeg(real, 9999, 9999);
  assert.throws(() => decodeImage(lie, 'lie.jpg'), (e: Error) => e instanceof DatasetError && /lie\.jpg: cannot decode JPEG image: header claims 9999x9999 pixels, which needs at least 195313 bytes; the file has \d+/.test(e.message));
});

test('a PNG whose header claims a zero side or more pixels than its data can inflate to is refused before decoding', () => {
  const real = png(30, 20, pixel);
  assert.equal(decodeImage(real, 'real.png').width, 30);
  for (const [w, h, why] of [[9999, 9999, /claims 9999x9999 pixels \(399920004 bytes\), more than its \d+ bytes of image data can inflate to/], [0, 2 ** 32 - 1, /claims a 0x4294967295 image/]] as const) {
    assert.throws(() => decodeImage(lyingPng(real, w, h), 'lie.png'), (e: Error) => e instanceof DatasetError && /lie\.png: cannot decode PNG image: /.test(e.message) && why.test(e.message), `${w}x${h}`);
  }
  // Legitimately extreme compression (a large solid image) still loads.
  const solidBig = png(2000, 2000, () => [7, 7, 7]);
  assert.ok(solidBig.length < 2000 * 2000 * 4 / 100, 'the solid image compresses more than 100:1');
  assert.equal(decodeImage(solidBig, 'solid.png').height, 2000);
});
