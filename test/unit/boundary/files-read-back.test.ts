import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../../protocol/model';
import { parseRunReport, parseRunReportText, ReportFileError } from '../../../protocol/report-schema';
import { reportMarkdown, inspectMarkdown } from '../../../extension/render';
import { readEvents, readReport, readRun, scanRuns, type RunRecord } from '../../../server/runs/history';
import { parseRunEvent } from '../../../protocol/event-schema';
import { recorded } from '../../fixtures/events/recorded';

function recordedReport(method: 'dcp' | 'dkp'): RunReport {
  const end = recorded(method).at(-1);
  assert.equal(end?.type, 'runFinished');
  return structuredClone((end as { report: RunReport }).report);
}

const withDir = (fn: (dir: string) => Promise<void>) => async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcp-readback-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('the reports of real DCP and DKP runs pass the report schema unchanged', () => {
  for (const method of ['dcp', 'dkp'] as const) {
    const r = recordedReport(method);
    assert.deepEqual(parseRunReport(JSON.parse(JSON.stringify(r)), 'report.json'), r);
  }
});

test('a broken report is refused naming the file and the field at fault', () => {
  const cases: [string, (r: Record<string, unknown> & RunReport) => void, RegExp][] = [
    ['params as text', (r) => { (r.before as unknown as Record<string, unknown>).params = '44786'; }, /before\.params/],
    ['a kept channel past inChannels', (r) => { r.layers[0].kept.push(r.layers[0].inChannels); }, /layers\.0\.kept/],
    ['accuracy above 1', (r) => { r.after.accuracy = 3; }, /after\.accuracy/],
    ['a rate out of range', (r) => { r.config.rate = 7; }, /config.*rate/],
    ['layers not a list', (r) => { (r as Record<string, unknown>).layers = { 0: 'x' }; }, /layers/],
    ['another schema', (r) => { (r as Record<string, unknown>).schema = 'dcp-report/9'; }, /schema/],
  ];
  for (const [what, mutate, field] of cases) {
    const r = recordedReport('dcp') as Record<string, unknown> & RunReport;
    mutate(r);
    assert.throws(() => parseRunReport(r, '/x/report.json'), (e: Error) => e instanceof ReportFileError && /^\/x\/report\.json: /.test(e.message) && field.test(e.message), what);
  }
  assert.throws(() => parseRunReportText('{"schema": "dcp-rep', 'r.json'), /r\.json: not valid JSON/);
  // Unknown fields from a newer build are kept, not refused.
  const newer = { ...recordedReport('dcp'), futureField: 1 };
  assert.equal((parseRunReport(newer, 'r.json') as unknown as { futureField: number }).futureField, 1);
});

test('history reads back only reports that pass the schema', withDir(async (dir) => {
  writeFileSync(join(dir, 'report.json'), JSON.stringify(recordedReport('dcp')));
  assert.equal((await readReport(dir))?.schema, 'dcp-report/1');
  const broken = recordedReport('dcp') as unknown as { layers: unknown };
  broken.layers = 'none';
  writeFileSync(join(dir, 'report.json'), JSON.stringify(broken));
  // Before the schema this returned the object, and the hover's `report.layers.find` threw later.
  assert.equal(await readReport(dir), undefined);
}));

const goodRecord = (runId: string): RunRecord => ({
  schema: 'dcp-run/1', runId, modelUri: 'file:///m/model.json', modelPath: '/m/model.json', outDir: '/m/out', status: 'cancelled',
  startedAt: 1, endedAt: 2, layersDone: 1, outcome: null, message: null,
});

test('run records with a path-like run id, an unknown status or wrong types are skipped, good ones listed', withDir(async (root) => {
  const bad: [string, Record<string, unknown>][] = [
    ['traversal', { ...goodRecord('../../etc'), runId: '../../etc' }],
    ['status', { ...goodRecord('r-status'), status: 'exploded' }],
    ['time', { ...goodRecord('r-time'), startedAt: 'yesterday' }],
    ['outdir', { ...goodRecord('r-outdir'), outDir: 42 }],
  ];
  for (const [name, rec] of bad) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'run.json'), JSON.stringify(rec));
  }
  mkdirSync(join(root, 'ok'));
  writeFileSync(join(root, 'ok', 'run.json'), JSON.stringify(goodRecord('ok')));
  for (const [name] of bad) assert.equal(await readRun(join(root, name)), undefined, name);
  assert.deepEqual((await scanRuns(root)).map((r) => r.record.runId), ['ok']);
}));

test('names from files are rendered as literal Markdown text, never as links, HTML or a broken table', () => {
  const r = recordedReport('dcp');
  r.model.name = '[click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)>';
  r.layers[0].layer = 'a|b\n# heading';
  r.config.data = 'x` [y](z) `';
  const md = reportMarkdown(r, 'run-1');
  assert.doesNotMatch(md, /\[click\]\(command:/);
  assert.doesNotMatch(md, /<img/);
  assert.match(md, /&lt;img/);
  assert.ok(md.split('\n').every((l) => !l.startsWith('# heading')), 'a newline in a name must not start a heading');
  const row = md.split('\n').find((l) => l.includes('a\\|b'));
  assert.ok(row, 'the pipe is escaped');
  assert.equal(row.split(/(?<!\\)\|/).length - 2, 6, 'the layer row keeps its six cells');
  assert.match(md, /`` x` \[y\]\(z\) ` ``/, 'the dataset is one code span, its backtick inside');
  const summary = { name: '<b>m</b>', inputShape: [1], numClasses: 2, totalParams: 1, totalFlops: 1, prunable: [], layers: [
    { name: '**bold**', className: 'Conv2D', inboundLayers: ['[a](b)'], outputShape: [1], params: 1, flops: 1, prunable: false, reason: '<script>' },
  ] };
  const inspect = inspectMarkdown(summary, '/p/`model`.json');
  assert.doesNotMatch(inspect, /<b>|<script>|\*\*bold\*\*|\[a\]\(b\)/);
});

test('recorded event streams pass the event schema; a stored log is read up to its first line that is not a RunEvent', withDir(async (dir) => {
  for (const method of ['dcp', 'dkp'] as const) {
    const events = recorded(method);
    assert.equal(events.filter((e) => parseRunEvent(JSON.parse(JSON.stringify(e))) === null).length, 0, `${method}: every recorded event parses`);
  }
  const good = recorded('dcp').slice(0, 6);
  // A layerDone without its result used to come back as is; counting finished layers then threw in the server.
  const lines = [...good.map((e) => JSON.stringify(e)), '{"type":"layerDone","time":1}', JSON.stringify(good[1])];
  writeFileSync(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
  assert.deepEqual(await readEvents(dir), good);
  writeFileSync(join(dir, 'events.jsonl'), `${JSON.stringify(good[0])}\n42\n`);
  assert.equal((await readEvents(dir)).length, 1);
  writeFileSync(join(dir, 'events.jsonl'), `${JSON.stringify(good[0])}\n{"type":"runStar`);
  assert.equal((await readEvents(dir)).length, 1, 'a torn last line is skipped');
}));

test('a NaN loss, which JSON writes as null, reads back as NaN rather than making the file unreadable', () => {
  const r = recordedReport('dcp');
  r.layers[0].lossM = Number.NaN;
  const back = parseRunReportText(JSON.stringify(r), 'r.json');
  assert.ok(Number.isNaN(back.layers[0].lossM));
  assert.equal(back.layers[0].lossS, r.layers[0].lossS);
  assert.doesNotThrow(() => reportMarkdown(back, 'run-1'));
});

test('an event type the schema does not list yet passes on its envelope; a known type with a bad body does not', () => {
  assert.deepEqual(parseRunEvent({ type: 'planMade', time: 5, anything: [1] }), { type: 'planMade', time: 5, anything: [1] });
  assert.equal(parseRunEvent({ type: 'planMade' }), null, 'no time');
  assert.equal(parseRunEvent({ type: 'selectionIteration', time: 1, layer: 'c', iteration: 1, added: ['x'], scores: [], lossM: 0, lossS: 0, loss: 0 }), null);
  assert.equal(parseRunEvent('runCancelled'), null);
});
