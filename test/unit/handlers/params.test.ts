/** Validation of request params at the server's edge: every bad input becomes the right error response. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, ResponseError } from 'vscode-languageserver';
import { DcpErrorCodes } from '../../../protocol/lsp';
import { DEFAULT_RUN_CONFIG as DEFAULT_CONFIG } from '../../../protocol/settings';
import { isRunId, parseConfig, parseListRunsParams, parseModelParams, parseRunParams, parseStartRunParams } from '../../../server/handlers/params';

const uri = pathToFileURL('/tmp/m/model.json').href;

function throwsCode(fn: () => unknown, code: number, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ResponseError, `expected ResponseError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('parseModelParams', () => {
  it('turns a file URI into a path', () => {
    assert.deepEqual(parseModelParams({ uri }, 'x'), { uri, path: '/tmp/m/model.json' });
  });

  it('decodes percent-escapes', () => {
    assert.equal(parseModelParams({ uri: 'file:///tmp/my%20models/model.json' }, 'x').path, '/tmp/my models/model.json');
  });

  for (const [label, params] of [
    ['no params', undefined], ['null', null], ['an array', [uri]], ['a string', uri],
    ['a missing uri', {}], ['an empty uri', { uri: '' }], ['a numeric uri', { uri: 3 }],
    ['an http URI', { uri: 'https://example.com/model.json' }], ['a bare path', { uri: '/tmp/m/model.json' }],
  ] as const) {
    it(`refuses ${label} with InvalidParams`, () => throwsCode(() => parseModelParams(params, 'dcp/x'), ErrorCodes.InvalidParams, /dcp\/x/));
  }
});

describe('parseStartRunParams', () => {
  it('fills the config defaults and keeps outDir', () => {
    const v = parseStartRunParams({ uri, config: { rate: 0.3 }, outDir: '/tmp/out' });
    assert.equal(v.config.rate, 0.3);
    assert.equal(v.config.method, DEFAULT_CONFIG.method);
    assert.equal(v.outDir, '/tmp/out');
    assert.equal(v.model.path, '/tmp/m/model.json');
  });

  it('accepts a missing config', () => {
    assert.deepEqual(parseStartRunParams({ uri }).config, DEFAULT_CONFIG);
  });

  it('refuses a relative or non-string outDir', () => {
    throwsCode(() => parseStartRunParams({ uri, outDir: 'out' }), ErrorCodes.InvalidParams, /outDir/);
    throwsCode(() => parseStartRunParams({ uri, outDir: 5 }), ErrorCodes.InvalidParams, /outDir/);
  });

  it('refuses a config that is not an object', () => {
    throwsCode(() => parseStartRunParams({ uri, config: 'fast' }), ErrorCodes.InvalidParams);
    throwsCode(() => parseStartRunParams({ uri, config: [1] }), ErrorCodes.InvalidParams);
  });
});

describe('parseConfig', () => {
  it('names an unknown option instead of ignoring it', () => {
    throwsCode(() => parseConfig({ rat: 0.5 }, 'dcp/startRun'), ErrorCodes.InvalidParams, /"rat"/);
  });

  it('maps out-of-range values to ConfigInvalid naming the option', () => {
    throwsCode(() => parseConfig({ rate: 1 }, 'dcp/startRun'), DcpErrorCodes.ConfigInvalid, /rate/);
    throwsCode(() => parseConfig({ method: 'magic' }, 'dcp/startRun'), DcpErrorCodes.ConfigInvalid, /method/);
    throwsCode(() => parseConfig({ batchSize: 1.5 }, 'dcp/startRun'), DcpErrorCodes.ConfigInvalid, /batchSize must be an integer in \[1, 4096\]/);
  });

  it('refuses values of the wrong type instead of coercing them', () => {
    // Boolean("false") is true: a string must never switch a boolean setting on.
    throwsCode(() => parseConfig({ stageFinetune: 'false' }, 'dcp/startRun'), DcpErrorCodes.ConfigInvalid, /stageFinetune must be true or false \(got "false"\)/);
    throwsCode(() => parseConfig({ rate: '0.5' }, 'dcp/startRun'), DcpErrorCodes.ConfigInvalid, /rate must be a number in \[0, 1\)/);
    throwsCode(() => parseConfig({ heads: 'auto' }, 'dcp/startRun'), DcpErrorCodes.ConfigInvalid, /heads must be an integer in \[0, 64\] or null/);
    throwsCode(() => parseConfig({ data: '  ' }, 'dcp/startRun'), DcpErrorCodes.ConfigInvalid, /data must be a non-empty string/);
  });

  it('keeps valid values exactly, booleans included', () => {
    const c = parseConfig({ stageFinetune: false, heads: null, method: 'dkp' }, 'dcp/startRun');
    assert.deepEqual(c, { ...DEFAULT_CONFIG, stageFinetune: false, heads: null, method: 'dkp' });
  });

  it('treats null as no overrides', () => {
    assert.deepEqual(parseConfig(null, 'x'), DEFAULT_CONFIG);
  });
});

describe('parseRunParams', () => {
  it('accepts a run id with or without a model', () => {
    assert.deepEqual(parseRunParams({ runId: '20250101-120000-ab12' }, 'x'), { runId: '20250101-120000-ab12', model: undefined });
    assert.equal(parseRunParams({ runId: 'r1', uri }, 'x').model?.path, '/tmp/m/model.json');
  });

  for (const runId of ['', '..', '../etc', 'a/b', 'a\\b', '.hidden', 'x'.repeat(101), 42, null]) {
    it(`refuses run id ${JSON.stringify(runId)}`, () => throwsCode(() => parseRunParams({ runId }, 'x'), ErrorCodes.InvalidParams, /runId/));
  }

  it('validates the optional uri too', () => {
    throwsCode(() => parseRunParams({ runId: 'r1', uri: 'untitled:1' }, 'x'), ErrorCodes.InvalidParams, /file: URI/);
  });
});

describe('parseListRunsParams', () => {
  it('allows no params, an empty object, or a model', () => {
    assert.equal(parseListRunsParams(undefined), undefined);
    assert.equal(parseListRunsParams({}), undefined);
    assert.equal(parseListRunsParams({ uri })?.path, '/tmp/m/model.json');
  });

  it('refuses a bad uri', () => throwsCode(() => parseListRunsParams({ uri: 1 }), ErrorCodes.InvalidParams));
});

describe('isRunId', () => {
  it('accepts generated ids and refuses path tricks', () => {
    assert.ok(isRunId('20250101-120000-ab12'));
    assert.ok(!isRunId('..'));
    assert.ok(!isRunId('a/b'));
  });
});
