import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepCount, shouldStop } from '../../../server/dcp/select/stopping';
import { resolveConfig, ConfigError, DEFAULT_CONFIG } from '../../../server/dcp/run/config';

test('rate rule keeps c − ⌊η·c⌋ channels and never fewer than one', () => {
  assert.equal(keepCount(16, 0.5), 8);
  assert.equal(keepCount(10, 0.3), 7);
  assert.equal(keepCount(7, 0.5), 4);
  assert.equal(keepCount(3, 0.99), 1);
  assert.equal(keepCount(1, 0.9), 1);
  assert.equal(keepCount(64, 0), 64);
});

test('epsilon rule fires on a small relative change of the joint loss', () => {
  // L(W0) = 10: a drop of 0.5 is 5%, of 0.005 is 0.05%.
  assert.equal(shouldStop('epsilon', [10, 6, 5.5], 10, null, 0.01, 0), false);
  assert.equal(shouldStop('epsilon', [10, 6, 5.5, 5.495], 10, null, 0.001, 0), true);
  assert.equal(shouldStop('epsilon', [10], 10, null, 0.5, 0), false, 'needs one step');
  // The rate rule is counted by the caller, never here.
  assert.equal(shouldStop('rate', [10, 10, 10], 10, null, 1, 1), false);
});

test('config defaults resolve and every bad option names itself', () => {
  assert.deepEqual(resolveConfig({}), DEFAULT_CONFIG);
  assert.equal(resolveConfig({ rate: 0 }).rate, 0);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ rate: 1 }, /rate must be a number in \[0, 1\) \(got 1\)/],
    [{ rate: -0.1 }, /rate/],
    [{ finetuneEpochs: -1 }, /finetuneEpochs/],
    [{ finetuneEpochs: 1.5 }, /finetuneEpochs must be an integer/],
    [{ method: 'magic' }, /method must be one of dcp, dkp, random, l1, recon, disc/],
    [{ stop: 'never' }, /stop/],
    [{ batchSize: 0 }, /batchSize/],
    [{ lambda: Number.NaN }, /lambda must be a number in \[0, 1000000\] \(got NaN\)/],
    [{ data: ' ' }, /data must be a non-empty string/], [{ stageFinetune: 'false' }, /stageFinetune must be true or false/],
    [{ method: 'disc', lambda: 0 }, /lambda must be > 0/],
  ];
  for (const [partial, re] of bad) {
    assert.throws(() => resolveConfig(partial as never), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(partial));
  }
});
