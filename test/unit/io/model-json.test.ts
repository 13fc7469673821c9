import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonTree, JsonSyntaxError, toJsonValue, lineColumn } from '../../../server/io/model-json-parse';
import { ModelFileError, parseModelJson, validateModelJsonText } from '../../../server/io/model-files';
import { wrapTfError } from '../../../server/io/model-build';

const MODEL = {
  format: 'layers-model',
  modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: [{ class_name: 'Dense', config: { name: 'fc', units: 2 } }] } },
  weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'fc/kernel', shape: [3, 2], dtype: 'float32' }] }],
};

/** The text a problem points at. */
function at(text: string, p: { offset: number; length: number }): string {
  return text.slice(p.offset, p.offset + p.length);
}

describe('parseJsonTree', () => {
  it('gives the same values as JSON.parse, with offsets of every value', () => {
    const samples = [
      '{"a": [1, -2.5e3, 0.125, true, false, null], "b": {"c": "x\\n\\u00e9\\"\\\\"}, "": {}}',
      '[]',
      '"\u{1F600} plain"',
      ' 12 ',
      '{"__proto__": {"polluted": true}, "k": [[[]]]}',
    ];
    for (const text of samples) assert.deepEqual(toJsonValue(parseJsonTree(text)), JSON.parse(text));
    const polluted = toJsonValue(parseJsonTree(samples[4])) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(polluted), Object.prototype);
    const tree = parseJsonTree('{"key": [10, "s"]}');
    assert.equal(tree.kind, 'object');
    if (tree.kind !== 'object') return;
    const prop = tree.properties[0];
    assert.deepEqual([prop.keyOffset, prop.keyLength, prop.value.offset, prop.value.length], [1, 5, 8, 9]);
  });

  it('skips a byte-order mark', () => {
    assert.deepEqual(toJsonValue(parseJsonTree('\ufeff{"a": 1}')), { a: 1 });
  });

  it('reports the first syntax error at its offset', () => {
    const cases: [string, number, RegExp][] = [
      ['{"a": 1,}', 8, /trailing comma/],
      ['[1, 2,]', 6, /trailing comma/],
      ['{"a": "open', 6, /unterminated string/],
      ['{"a": tru}', 6, /unexpected character/],
      ['{"a": 1} x', 9, /after the end/],
      ['{"a": "\u0001"}', 7, /control character/],
      ['{"a": "\\q"}', 6, /invalid escape/],
      ['{"a" 1}', 5, /expected ':'/],
      ['[01]', 2, /expected ','/],
      ['', 0, /unexpected end/],
    ];
    for (const [text, offset, message] of cases) {
      assert.throws(() => parseJsonTree(text), (e: unknown) => e instanceof JsonSyntaxError && e.offset === offset && message.test(e.message), text);
    }
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    assert.throws(() => parseJsonTree('['.repeat(100000)), (e: unknown) => e instanceof JsonSyntaxError && /nesting deeper/.test(e.message));
  });

  it('converts offsets to 1-based lines and columns', () => {
    assert.deepEqual(lineColumn('ab\ncd\nef', 7), { line: 3, column: 2 });
  });
});

describe('validateModelJsonText', () => {
  it('finds nothing wrong in a valid model.json', () => {
    assert.deepEqual(validateModelJsonText(JSON.stringify(MODEL, null, 2)), []);
  });

  it('points at the offending text', () => {
    const bad = structuredClone(MODEL) as typeof MODEL & { extra?: unknown };
    bad.modelTopology.config.layers[0].class_name = 'FancyDense';
    bad.weightsManifest[0].paths[0] = '../escape.bin';
    bad.weightsManifest[0].weights[0].shape = [3, 1.5];
    const text = JSON.stringify(bad, null, 2);
    const problems = validateModelJsonText(text);
    assert.deepEqual(
      problems.map((p) => [p.severity, at(text, p)]),
      [
        ['error', '"FancyDense"'],
        ['error', '"../escape.bin"'],
        ['error', '1.5'],
      ],
    );
    assert.match(problems[0].message, /modelTopology\.config\.layers\[0\]: unknown layer class "FancyDense"/);
  });

  it('reports malformed JSON at the position of the error', () => {
    const text = '{\n  "format": "layers-model",\n  "modelTopology": {]\n}';
    const [p] = validateModelJsonText(text);
    assert.equal(p.severity, 'error');
    assert.equal(at(text, p), ']');
    assert.match(p.message, /line 3, column 21/);
  });

  it('warns about duplicate keys and unknown formats without failing', () => {
    const text = JSON.stringify(MODEL).replace('"format":"layers-model"', '"format":"layers-model-v9","format":"odd"');
    const problems = validateModelJsonText(text);
    assert.deepEqual(
      problems.map((p) => [p.severity, at(text, p)]),
      [
        ['warning', '"format"'],
        ['warning', '"odd"'],
      ],
    );
  });
});

describe('parseModelJson', () => {
  it('returns the typed model.json', () => {
    const json = parseModelJson(JSON.stringify(MODEL), 'model.json');
    assert.deepEqual(json.weightsManifest, MODEL.weightsManifest);
    assert.equal(json.format, 'layers-model');
  });

  it('throws a ModelFileError with the file, line, column and offset', () => {
    const text = JSON.stringify({ ...MODEL, weightsManifest: [{ paths: ['/abs.bin'], weights: [] }] }, null, 1);
    assert.throws(
      () => parseModelJson(text, '/models/net/model.json'),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.file === '/models/net/model.json' &&
        e.message.startsWith('/models/net/model.json: weightsManifest[0].paths[0]: shard path "/abs.bin" is absolute') &&
        /\(line \d+, column \d+\)$/.test(e.message) &&
        e.offset === text.indexOf('"/abs.bin"'),
    );
  });
});

describe('wrapTfError', () => {
  it('rewords TF.js messages into what is wrong with the file', () => {
    assert.match(wrapTfError('m.json', new Error('Unknown layer: Foo. This may be due to')).message, /^m\.json: unknown layer class "Foo"/);
    assert.match(wrapTfError('m.json', new Error('Shape mismatch: [1] vs. [2]')).message, /weight shape mismatch/);
    assert.match(wrapTfError('m.json', 'boom').message, /cannot build the model from modelTopology: boom/);
  });
});
