/**
 * The Runs view's items: what each status shows, which menus its contextValue opens (matched against the `when`
 * clauses package.json really declares), and what a click does.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { RunHistoryEntry, RunStatus } from '../../../protocol/lsp';
import { DEFAULT_CONFIG } from '../../../server/dcp/run/config';
import { ago, duration, escapeMarkdown, isRunNode, modelName, runIdOf, runItem, type ItemContext } from '../../../extension/runs-tree-items';

const NOW = Date.UTC(2025, 2, 14, 12, 0, 0);
const MIN = 60_000;

function entry(status: RunStatus, over: Partial<RunHistoryEntry> = {}): RunHistoryEntry {
  const ended = status !== 'running' && status !== 'interrupted';
  return {
    runId: `20250314-1100-${status}`, modelUri: 'file:///work/examples/resnet/model.json',
    runDir: `/work/examples/resnet/.dcp-runs/20250314-1100-${status}`, outDir: `/work/examples/resnet/.dcp-runs/20250314-1100-${status}/output`,
    status, config: { ...DEFAULT_CONFIG, method: 'dcp', rate: 0.5 }, startedAt: NOW - 10 * MIN, endedAt: ended ? NOW - 8 * MIN : null,
    resumable: status === 'cancelled' || status === 'failed' || status === 'interrupted', layersDone: 3,
    outcome: status === 'finished' ? { paramsBefore: 44_800, paramsAfter: 23_300, flopsBefore: 5.07e6, flopsAfter: 2.59e6, accuracyBefore: 0.987, accuracyAfter: 0.983, seconds: 118 } : null,
    message: status === 'failed' ? 'No such file: /data/*.npz' : null, ...over,
  };
}

const ctx = (over: Partial<ItemContext> = {}): ItemContext => ({ now: NOW, live: undefined, inSession: false, ...over });

/** A tiny evaluator for the `when` clauses of the Runs view's item menus: `&&` of ==, !=, =~ on view/viewItem. */
function menuMatches(when: string, contextValue: string): boolean {
  return when.split('&&').map((t) => t.trim()).every((term) => {
    if (term === 'isWorkspaceTrusted') return true;
    let m = /^(view|viewItem) (==|!=) (\S+)$/.exec(term);
    if (m) {
      const actual = m[1] === 'view' ? 'dcp.runs' : contextValue;
      return m[2] === '==' ? actual === m[3] : actual !== m[3];
    }
    m = /^viewItem =~ \/(.*)\/$/.exec(term);
    if (m) return new RegExp(m[1]).test(contextValue);
    throw new Error(`when clause term not understood: ${term}`);
  });
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { menus: Record<string, Array<{ command: string; when: string; group?: string }>> } };
const itemMenu = manifest.contributes.menus['view/item/context'];
const actions = (contextValue: string, inline: boolean): string[] =>
  [...new Set(itemMenu.filter((m) => (m.group?.startsWith('inline') ?? false) === inline && menuMatches(m.when, contextValue)).map((m) => m.command))].sort();

describe('Runs view items', () => {
  it('a finished run: FLOPs reduction, accuracy and age; report and pruned model actions; click opens the report', () => {
    const item = runItem(entry('finished'), ctx());
    assert.equal(item.label, 'resnet');
    assert.equal(item.description, 'dcp η 0.5 · FLOPs −49% · 98.30% · 8 min ago');
    assert.equal(item.contextValue, 'dcpRun.finished');
    assert.deepEqual(item.icon, { id: 'pass', color: 'testing.iconPassed' });
    assert.equal(item.command, 'dcp.showRunReport');
    assert.match(item.tooltip, /Params 44\.8 k → 23\.3 k \(−48%\) · FLOPs 5\.07 M → 2\.59 M \(−49%\)/);
    assert.match(item.tooltip, /Accuracy 98\.70% → 98\.30% · took 1 min 58 s/);
    assert.deepEqual(actions(item.contextValue, true), ['dcp.deleteRun', 'dcp.openPrunedModel', 'dcp.showRunReport']);
    assert.deepEqual(actions(item.contextValue, false), ['dcp.deleteRun', 'dcp.openPanel', 'dcp.openPrunedModel', 'dcp.showRunReport']);
  });

  it('a running run: live percentage and layers from the tracker, a spinning icon; cancel but no delete', () => {
    const item = runItem(entry('running', { layersDone: 2 }), ctx({ live: { fraction: 0.423, message: 'conv2: 3 channels chosen' }, inSession: true }));
    assert.equal(item.description, 'dcp η 0.5 · 42% · 2 layers done · started 10 min ago');
    assert.equal(item.icon.id, 'sync~spin');
    assert.equal(item.contextValue, 'dcpRun.running');
    assert.equal(item.command, 'dcp.openPanel');
    assert.match(item.tooltip, /42% · conv2: 3 channels chosen/);
    assert.deepEqual(actions(item.contextValue, true), ['dcp.cancelRun', 'dcp.openPanel']);
    assert.ok(!actions(item.contextValue, false).includes('dcp.deleteRun'));
    assert.equal(runItem(entry('running'), ctx()).description, 'dcp η 0.5 · running · started 10 min ago');
  });

  it('failed, cancelled and interrupted runs are resumable and deletable; the failure is in the tooltip, escaped', () => {
    for (const status of ['failed', 'cancelled', 'interrupted'] as const) {
      const item = runItem(entry(status), ctx());
      assert.equal(item.contextValue, `dcpRun.${status}.resumable`);
      assert.deepEqual(actions(item.contextValue, true), ['dcp.deleteRun', 'dcp.resumeRun'], status);
      assert.ok(!actions(item.contextValue, false).includes('dcp.showRunReport'), status);
      assert.match(item.tooltip, /3 layers done; \*\*Resume\*\* continues/);
    }
    assert.equal(runItem(entry('failed'), ctx()).description, 'dcp η 0.5 · failed · 8 min ago');
    assert.equal(runItem(entry('cancelled'), ctx()).description, 'dcp η 0.5 · cancelled after 3 layers · 8 min ago');
    assert.equal(runItem(entry('interrupted'), ctx()).description, 'dcp η 0.5 · interrupted after 3 layers · 10 min ago');
    assert.match(runItem(entry('failed'), ctx()).tooltip, /Failed: No such file: \/data\/\\\*\\\.npz/);
    assert.deepEqual(runItem(entry('interrupted'), ctx()).icon, { id: 'debug-pause', color: 'list.warningForeground' });
  });

  it('a click opens the panel only for runs whose events this window has, or that are running', () => {
    assert.equal(runItem(entry('cancelled'), ctx()).command, undefined);
    assert.equal(runItem(entry('cancelled'), ctx({ inSession: true })).command, 'dcp.openPanel');
  });

  it('a run the server cannot resume offers no Resume', () => {
    const item = runItem(entry('failed', { resumable: false }), ctx());
    assert.equal(item.contextValue, 'dcpRun.failed');
    assert.deepEqual(actions(item.contextValue, true), ['dcp.deleteRun']);
  });

  it('DKP runs and other rates say so; the id is the run id', () => {
    const item = runItem(entry('finished', { config: { ...DEFAULT_CONFIG, method: 'dkp', rate: 0.3 } }), ctx());
    assert.match(item.description, /^dkp η 0\.3 · /);
    assert.equal(item.id, '20250314-1100-finished');
  });
});

describe('helpers', () => {
  it('names the model by its folder, decoding the URI', () => {
    assert.equal(modelName('file:///work/my%20models/vgg/model.json'), 'vgg');
    assert.equal(modelName('file:///model.json'), 'model');
  });

  it('ages and durations', () => {
    assert.equal(ago(NOW - 20_000, NOW), 'just now');
    assert.equal(ago(NOW - 90 * MIN, NOW), '2 h ago');
    assert.equal(ago(NOW - 3 * 24 * 60 * MIN, NOW), '3 d ago');
    assert.equal(ago(Date.UTC(2024, 0, 5), NOW), '2024-01-05');
    assert.equal(duration(42), '42 s');
    assert.equal(duration(3725), '1 h 2 min');
  });

  it('escapes Markdown', () => {
    assert.equal(escapeMarkdown('a_b*[c](d)'), 'a\\_b\\*\\[c\\]\\(d\\)');
  });

  it('reads a run id from an id or a tree node, nothing else', () => {
    const node = { kind: 'dcpRun' as const, entry: entry('finished') };
    assert.ok(isRunNode(node));
    assert.equal(runIdOf(node), '20250314-1100-finished');
    assert.equal(runIdOf('abc'), 'abc');
    assert.equal(runIdOf(''), undefined);
    assert.equal(runIdOf({ entry: { runId: 'x' } }), undefined);
    assert.equal(runIdOf(undefined), undefined);
  });
});
