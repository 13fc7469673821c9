/**
 * schemas/dcp-recipe.schema.json, which VS Code applies to recipe files (contributes.jsonValidation), agrees with the
 * validator the engine and the extension use (protocol/recipe.ts) on valid recipes and on the mistakes it refuses.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isRecipe } from '../../../protocol/recipe';
import { SubsetValidator, type Schema } from './json-schema-subset';

const SCHEMA_PATH = 'schemas/dcp-recipe.schema.json';
const validator = new SubsetValidator(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Schema);

const samples: unknown[] = [
  { version: 1, layers: {} },
  { version: 1, layers: { a: { rate: 0 }, b: { rate: 0.95 }, c: { prune: false } } },
  { $schema: 'x', version: 1, layers: { a: { rate: 0.3 } } },
  { version: 1, layers: { a: { rate: 1 } } },
  { version: 1, layers: { a: { rate: -0.1 } } },
  { version: 1, layers: { a: { rate: '0.3' } } },
  { version: 1, layers: { a: { prune: true } } },
  { version: 1, layers: { a: { rate: 0.3, prune: false } } },
  { version: 1, layers: { a: {} } },
  { version: 2, layers: {} },
  { version: 1 },
  { version: 1, layers: {}, extra: 1 },
  [],
];

describe('the recipe schema', () => {
  it('is contributed for *.dcp-recipe.json and dcp-recipe.json', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { jsonValidation: Array<{ fileMatch: string | string[]; url: string }> } };
    const entry = manifest.contributes.jsonValidation.find((v) => v.url === `./${SCHEMA_PATH}`);
    assert.deepEqual(entry?.fileMatch, ['*.dcp-recipe.json', 'dcp-recipe.json']);
  });

  for (const sample of samples) {
    it(`agrees with parseRecipe on ${JSON.stringify(sample)}`, () => {
      const errors = validator.validate(sample);
      assert.equal(errors.length === 0, isRecipe(sample), errors.join('; ') || 'schema accepts, validator refuses');
    });
  }
});
