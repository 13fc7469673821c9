import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunReport } from '../../../protocol/model';
import { foldingLines } from '../../../server/cli/report-table';
import { recorded } from '../../fixtures/events/recorded';

const report = (): RunReport => {
  const e = recorded('dcp').at(-1)!;
  if (e.type !== 'runFinished') throw new Error('the recording ends with runFinished');
  return e.report;
};

test('a folded run prints what was folded and pruning alone against the unpruned model folded the same way', () => {
  const r = report();
  r.after = { ...r.after, latencyMs1: 1, latencyMsBatch: 10 };
  r.folding = {
    convs: [{ conv: 'a', batchNorm: 'a_bn', activation: 'a_relu' }, { conv: 'b', batchNorm: 'b_bn', activation: null }, { conv: 'c', batchNorm: null, activation: 'c_relu' }],
    layers: [52, 47], beforeFoldedLatencyMs1: 1.5, beforeFoldedLatencyMsBatch: 25,
  };
  const [what, alone] = foldingLines(r);
  assert.equal(what, 'folded 2 BatchNorm and 2 activation layers into their convs (52 → 47 layers); "after" is the folded model');
  assert.equal(alone, `pruning alone, the unpruned model folded the same way → the saved model: batch 1 1.50 ms → 1.00 ms (1.50x), batch ${r.before.latencyBatch} 25.00 ms → 10.00 ms (2.50x)`);
});

test('a run that folded nothing says why, and a run without folding prints nothing about it', () => {
  const r = report();
  assert.deepEqual(foldingLines(r), []);
  assert.deepEqual(foldingLines({ ...r, foldingNote: 'not folded: an ONNX output' }), ['--fold-batchnorm: not folded: an ONNX output']);
});
