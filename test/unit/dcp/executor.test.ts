import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { GraphRunner } from '../../../server/dcp/exec/executor';
import { tinyResNet } from '../../fixtures/tiny/tiny-models';

before(async () => {
  await tf.setBackend('cpu');
});

test('running from a cached cut reproduces the full forward pass', () => {
  const model = tinyResNet(2);
  const runner = new GraphRunner(model);
  // The second conv of block 1 needs its own input and the block's shortcut to reach the output.
  const cut = runner.cutFor('b1_c2', runner.outputName);
  assert.deepEqual(cut, ['b0_out', 'b1_r1']);
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 4);
  const diff = tf.tidy(() => {
    const full = model.predict(x) as tf.Tensor;
    const cached = runner.run(new Map([[runner.inputNames[0], x]]), cut, { training: false });
    const resumed = runner.run(cached, [runner.outputName], { training: false }).get(runner.outputName)!;
    return tf.max(tf.abs(tf.sub(full, resumed))).dataSync()[0];
  });
  assert.ok(diff < 1e-6, `difference ${diff}`);
  x.dispose();
  model.dispose();
});

test('an override replaces one layer and nothing else', () => {
  const model = tinyResNet(2);
  const runner = new GraphRunner(model);
  const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5);
  const [same, changed] = tf.tidy(() => {
    const feeds = new Map([[runner.inputNames[0], x]]);
    const a = runner.run(feeds, ['b0_r1', runner.outputName], { training: false });
    const b = runner.run(feeds, ['b0_r1', runner.outputName], { training: false, overrides: new Map([['b1_c2', ([t]) => tf.zeros([t.shape[0], 14, 14, 4])]]) });
    return [
      tf.max(tf.abs(tf.sub(a.get('b0_r1')!, b.get('b0_r1')!))).dataSync()[0],
      tf.max(tf.abs(tf.sub(a.get(runner.outputName)!, b.get(runner.outputName)!))).dataSync()[0],
    ];
  });
  assert.equal(same, 0, 'layers before the override are unchanged');
  assert.ok(changed > 0, 'the output depends on the overridden layer');
  x.dispose();
  model.dispose();
});

test('the runner orders layers topologically and names the consumers', () => {
  const model = tinyResNet(2);
  const runner = new GraphRunner(model);
  assert.ok(runner.indexOf('b0_add') > runner.indexOf('b0_bn2'));
  assert.ok(runner.indexOf('b0_add') > runner.indexOf('stem_relu'));
  assert.deepEqual(runner.consumersOf('stem_relu').sort(), ['b0_add', 'b0_c1']);
  assert.throws(() => runner.layer('nope'), /no layer named nope/);
  model.dispose();
});
