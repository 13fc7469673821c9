import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it('reports every syntax mistake, and checks nothing else on a broken text', () => {
    const text = JSON.stringify(MODEL, null, 2)
      .replace('"format": "layers-model",', '"format": "layers-model",,')
      .replace('"name": "fc",', '"name": "fc", // the classifier')
      .replace('"float32"', '"float32",');
    const problems = validateModelJsonText(text);
    assert.deepEqual(problems.map((p) => [p.severity, at(text, p)]), [['error', ','], ['error', '// the classifier'], ['error', ',']]);
    assert.equal(problems[0].offset, text.indexOf(',,') + 1);
    assert.equal(problems[2].offset, text.indexOf('"float32",') + 9);
    assert.match(problems[0].message, /^malformed JSON at line 2, column 28: expected a property name/);
    assert.match(problems[1].message, /^malformed JSON at line \d+, column \d+: comments are not allowed/);
    assert.match(problems[2].message, /trailing comma before '}'/);
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

describe('parseModelJson on malformed JSON', () => {
  it('names the first mistake by line and column, and how many more there are', () => {
    const text = '{\n  "format": "layers-model"\n  "modelTopology": {},\n  "weightsManifest": [1,]\n}';
    assert.throws(
      () => parseModelJson(text, 'net/model.json'),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message === "net/model.json: malformed JSON at line 3, column 3: expected ',' or '}' after a property value, found string \"modelTopology\" (and 1 more syntax error)" &&
        e.offset === text.indexOf('"modelTopology"'),
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
