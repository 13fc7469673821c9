/**
 * A validator for the part of JSON Schema (draft-07) that schemas/tfjs-layers-model.schema.json uses, so the test can
 * check real model files against the schema VS Code applies without a validator dependency. A keyword it does not
 * implement is an error rather than silently passing, so the schema cannot outgrow what the test checks.
 */

export type Schema = { [keyword: string]: unknown };

/** Keywords that only annotate (hovers, completion) and never change the verdict. */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'markdownDescription', 'default', 'examples', 'definitions', 'defaultSnippets']);
const CHECKED = new Set([
  'type', 'enum', 'const', 'required', 'properties', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minimum',
  'anyOf', 'if', 'then', 'else', '$ref', 'exclusiveMaximum',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(actual: string, wanted: string): boolean {
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

export class SubsetValidator {
  constructor(private readonly root: Schema) {}

  /** Every violation as "<JSON path>: <what>"; empty when the value is valid. */
  validate(value: unknown, schema: Schema = this.root, path = '$'): string[] {
    const errors: string[] = [];
    for (const key of Object.keys(schema)) {
      if (!ANNOTATIONS.has(key) && !CHECKED.has(key)) throw new Error(`${path}: schema keyword "${key}" is not implemented by the test's validator`);
    }
    if (typeof schema.$ref === 'string') errors.push(...this.validate(value, this.resolve(schema.$ref), path));
    const actual = typeOf(value);
    if (schema.type !== undefined) {
      const wanted = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!wanted.some((w) => typeMatches(actual, w))) return [...errors, `${path}: is ${actual}, expected ${wanted.join(' or ')}`];
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
    if ('const' in schema && schema.const !== value) errors.push(`${path}: must be ${JSON.stringify(schema.const)}`);
    if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && typeof value === 'number' && value >= schema.exclusiveMaximum) errors.push(`${path}: ${value} ≥ ${schema.exclusiveMaximum}`);
    if (actual === 'object') errors.push(...this.object(value as Record<string, unknown>, schema, path));
    if (Array.isArray(value)) errors.push(...this.array(value, schema, path));
    if (Array.isArray(schema.anyOf)) {
      const results = (schema.anyOf as Schema[]).map((s) => this.validate(value, s, path));
      if (!results.some((r) => r.length === 0)) errors.push(`${path}: matches none of anyOf (${results.map((r) => r[0]).join(' | ')})`);
    }
    if (schema.if !== undefined) {
      const branch = this.validate(value, schema.if as Schema, path).length === 0 ? schema.then : schema.else;
      if (branch !== undefined) errors.push(...this.validate(value, branch as Schema, path));
    }
    return errors;
  }

  private object(value: Record<string, unknown>, schema: Schema, path: string): string[] {
    const errors: string[] = [];
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) errors.push(`${path}: missing "${key}"`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, v] of Object.entries(value)) {
      if (props[key]) errors.push(...this.validate(v, props[key], `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected "${key}"`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...this.validate(v, schema.additionalProperties as Schema, `${path}.${key}`));
    }
    return errors;
  }

  private array(value: unknown[], schema: Schema, path: string): string[] {
    const errors: string[] = [];
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items !== undefined) value.forEach((item, i) => errors.push(...this.validate(item, schema.items as Schema, `${path}[${i}]`)));
    return errors;
  }

  private resolve(ref: string): Schema {
    const m = /^#\/definitions\/([A-Za-z0-9_]+)$/.exec(ref);
    const target = m ? (this.root.definitions as Record<string, Schema> | undefined)?.[m[1]] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    return target;
  }
}
