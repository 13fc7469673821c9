/**
 * schemas/tfjs-layers-model.schema.json, which VS Code applies to every model.json (contributes.jsonValidation):
 * the repository's real models pass it, and the mistakes it exists to catch do not.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SubsetValidator, type Schema } from './json-schema-subset';

const SCHEMA_PATH = 'schemas/tfjs-layers-model.schema.json';
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Schema;
const validator = new SubsetValidator(schema);
const read = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** examples/<name>/model.json and every model.json under test/fixtures. */
function modelFiles(): string[] {
  const examples = readdirSync('examples', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join('examples', d.name, 'model.json'));
  const fixtures = readdirSync('test/fixtures', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('model.json')).map((f) => join('test/fixtures', f));
  return [...examples.filter((f) => existsSync(f)), ...fixtures];
}

describe('the model.json schema', () => {
  it('is what package.json contributes for model.json and **/model.json', () => {
    const manifest = read('package.json') as { contributes: { jsonValidation: Array<{ fileMatch: string; url: string }> } };
    const matches = manifest.contributes.jsonValidation.filter((v) => v.url === `./${SCHEMA_PATH}`).map((v) => v.fileMatch);
    assert.deepEqual(matches.sort(), ['**/model.json', 'model.json']);
  });

  const files = modelFiles();
  it('finds the example and fixture models', () => {
    assert.ok(files.includes(join('examples', 'resnet', 'model.json')));
    assert.ok(files.includes(join('examples', 'vgg', 'model.json')));
    assert.ok(files.some((f) => f.startsWith('test/fixtures')), files.join(', '));
  });
  for (const file of files) {
    it(`accepts ${file}`, () => assert.deepEqual(validator.validate(read(file)), []));
  }

  it('flags a wrong dtype, a layer without class_name, bad quantisation and a missing manifest, by path', () => {
    const model = read(join('examples', 'vgg', 'model.json')) as {
      modelTopology: { config: { layers: Array<Record<string, unknown>> } };
      weightsManifest: Array<{ weights: Array<Record<string, unknown>> }>;
    };
    model.weightsManifest[0].weights[0].dtype = 'float64';
    model.weightsManifest[0].weights[1].quantization = { dtype: 'int4' };
    model.weightsManifest[0].weights[2].shape = [3, -1];
    delete model.modelTopology.config.layers[1].class_name;
    const errors = validator.validate(model).join('\n');
    assert.match(errors, /\$\.weightsManifest\[0\]\.weights\[0\]\.dtype: "float64" is not one of/);
    assert.match(errors, /\$\.weightsManifest\[0\]\.weights\[1\]\.quantization\.dtype: "int4"/);
    assert.match(errors, /\$\.weightsManifest\[0\]\.weights\[2\]\.shape\[1\]: -1 < 0/);
    assert.match(errors, /\$\.modelTopology\.config\.layers\[1\]: missing "class_name"/);

    const { weightsManifest: _dropped, ...noManifest } = model;
    assert.match(validator.validate(noManifest).join('\n'), /\$: missing "weightsManifest"/);
    assert.match(validator.validate({ ...noManifest, weightsManifest: [], modelTopology: { class_name: 'Graph', config: {} } }).join('\n'), /matches none of anyOf/);
  });

  it('accepts the converter\'s wrapped topology, a bare Sequential layer list, and leaves graph models alone', () => {
    const layer = { class_name: 'Dense', config: { units: 2 }, name: 'd' };
    const wrapped = { format: 'layers-model', modelTopology: { model_config: { class_name: 'Sequential', config: [layer] }, keras_version: '2.13.1' }, weightsManifest: [] };
    assert.deepEqual(validator.validate(wrapped), []);
    assert.deepEqual(validator.validate({ format: 'graph-model', modelTopology: { node: [], versions: {} }, weightsManifest: [] }), []);
    assert.notDeepEqual(validator.validate({ format: 'graph-modle', modelTopology: { node: [] } }), []);
  });

  it('documents every property it declares', () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const props = (node as { properties?: Record<string, Schema> }).properties;
      for (const [key, sub] of Object.entries(props ?? {})) {
        const documented = typeof sub.description === 'string' || typeof sub.$ref === 'string' || Array.isArray(sub.anyOf);
        if (!documented) undocumented.push(`${path}.${key}`);
      }
      // An `if` only tests a value; it is never shown in a hover.
      for (const [key, child] of Object.entries(node)) if (key !== 'if') walk(child, `${path}/${key}`);
    };
    walk(schema, '#');
    assert.deepEqual(undocumented, []);
  });

  it('the validator refuses schema keywords it does not implement', () => {
    assert.throws(() => new SubsetValidator({ pattern: '^a' }).validate('a'), /"pattern" is not implemented/);
  });
});
