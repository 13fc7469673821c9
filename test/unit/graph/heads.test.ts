import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignStages, defaultHeads, headPositions, type GraphBlock } from '../../../server/dcp/graph/graph';
import { HEADLESS_MAX_BLOCKS } from '../../../server/dcp/graph/blocks';

/** B synthetic blocks, block i ending at layer `end{i}` and holding conv `c{i}`. */
function graphOf(count: number, kind: GraphBlock['kind'] = 'residual'): { blocks: GraphBlock[] } {
  return { blocks: Array.from({ length: count }, (_, i) => ({ index: i, end: `end${i}`, kind, convs: [`c${i}`], layers: [`c${i}`, `end${i}`] })) };
}

const indices = (b: number, p: number): number[] => headPositions(graphOf(b), p).map((h) => h.blockIndex);

describe('head positions (DCP-SPEC §2: per = ⌊B/S⌋+1, head i after min(per·i, B−1) blocks)', () => {
  it('matches the authors’ pivots on known networks', () => {
    // ResNet-56: 27 blocks, 3 heads → pivots 7, 14, 21 (blocks completed) → 0-based block 6, 13, 20.
    assert.deepEqual(indices(27, 3), [6, 13, 20]);
    // ResNet-18: 8 blocks, 2 heads → pivots 3, 6.
    assert.deepEqual(indices(8, 2), [2, 5]);
    // ResNet-50: 16 blocks, 3 heads → pivots 5, 10, 15.
    assert.deepEqual(indices(16, 3), [4, 9, 14]);
    // MobileNet v1: 13 pointwise convs, 2 heads → pivots 5, 10.
    assert.deepEqual(indices(13, 2), [4, 9]);
    // The cap B−1 keeps a block for the last stage: 4 blocks, 2 heads → pivots 2, min(4, 3) = 3.
    assert.deepEqual(indices(4, 2), [1, 2]);
  });

  it('names the layer ending each chosen block', () => {
    assert.deepEqual(headPositions(graphOf(8), 2), [{ after: 'end2', blockIndex: 2 }, { after: 'end5', blockIndex: 5 }]);
    assert.deepEqual(headPositions(graphOf(5), 0), []);
  });

  it('spreads heads evenly when the cap would stack two on one block', () => {
    // 3 blocks, 2 heads: the formula gives pivots 2 and 2; we use round(i·B/S) = 1, 2.
    assert.deepEqual(indices(3, 2), [0, 1]);
    // 5 blocks, 3 heads: formula 2, 4, 4 → round(1.25, 2.5, 3.75) = 1, 3, 4.
    assert.deepEqual(indices(5, 3), [0, 2, 3]);
  });

  it('refuses P ≥ B or a non-integer P', () => {
    assert.throws(() => headPositions(graphOf(3), 3), RangeError);
    assert.throws(() => headPositions(graphOf(3), 1.5), RangeError);
    assert.throws(() => headPositions(graphOf(0), 1), /this model has 0/);
  });
});

describe('default number of heads', () => {
  it('is 3 for deep residual nets, 2 for mid-size or deep plain ones, none up to HEADLESS_MAX_BLOCKS blocks', () => {
    assert.equal(defaultHeads(graphOf(27)), 3);
    assert.equal(defaultHeads(graphOf(12)), 3);
    assert.equal(defaultHeads(graphOf(11)), 2);
    assert.equal(defaultHeads(graphOf(15, 'plain')), 2);
    assert.equal(defaultHeads(graphOf(HEADLESS_MAX_BLOCKS + 1)), 2);
    assert.equal(defaultHeads(graphOf(HEADLESS_MAX_BLOCKS)), 0);
    assert.equal(defaultHeads(graphOf(2)), 0);
    assert.equal(defaultHeads(graphOf(1)), 0);
    assert.equal(defaultHeads(graphOf(0)), 0);
  });
});

describe('stages', () => {
  it('puts the convs of blocks after head s−1 up to head s in stage s; the rest in the last stage', () => {
    const g = graphOf(8);
    const stages = assignStages(g, headPositions(g, 2));
    assert.deepEqual(stages, [
      { index: 0, layers: ['c0', 'c1', 'c2'], head: 0 },
      { index: 1, layers: ['c3', 'c4', 'c5'], head: 1 },
      { index: 2, layers: ['c6', 'c7'], head: 2 },
    ]);
    assert.deepEqual(assignStages(g, []), [{ index: 0, layers: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'], head: 0 }]);
  });
});
