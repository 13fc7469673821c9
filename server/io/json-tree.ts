/**
 * model.json as a tree with offsets, from jsonc-parser (the parser VS Code uses), so problems can be reported at
 * the exact characters and not just as "invalid file". model.json is strict JSON: comments and trailing commas are
 * syntax errors. Offsets are UTF-16 code-unit indices into the original text, the unit of LSP `positionAt`.
 */
import { parseTree, type Node, type ParseError } from 'jsonc-parser';
import { STRICT_JSON, syntaxProblems, type JsonSyntaxProblem } from './json-syntax';

export { lineColumn, STRICT_JSON, type JsonSyntaxProblem } from './json-syntax';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A jsonc-parser node: `object` and `array` nodes hold `children`, a `property` node holds [key, value]. */
export type JsonNode = Node;

/** Real models nest ~6 levels; the cap keeps a hostile file from overflowing jsonc-parser's recursive descent. */
export const MAX_JSON_DEPTH = 200;

/**
 * Parses the text. `root` is trustworthy only when `errors` is empty: jsonc-parser recovers from errors, so a
 * broken text still gives a partial tree. A leading byte-order mark is skipped, as JSON.parse of a decoded file would.
 */
export function parseJsonText(text: string): { root: JsonNode | undefined; errors: JsonSyntaxProblem[] } {
  // A space keeps every offset of the original text valid, where slicing the mark off would shift them all.
  const body = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const tooDeep = firstTooDeep(body);
  if (tooDeep !== undefined) {
    return { root: undefined, errors: [{ offset: tooDeep, length: 1, message: `nesting deeper than ${MAX_JSON_DEPTH} levels` }] };
  }
  const raw: ParseError[] = [];
  const root = parseTree(body, raw, STRICT_JSON);
  // The raw errors include the cascades that follow each mistake; the second pass keeps one per mistake.
  return { root, errors: raw.length === 0 ? [] : syntaxProblems(body) };
}

/** Offset of the first bracket that opens level MAX_JSON_DEPTH + 1, ignoring brackets inside strings. */
function firstTooDeep(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip the string; an unterminated one runs to the end, where the parser will report it.
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if ((c === 125 || c === 93) && depth > 0) {
      // Clamped: stray closers must not buy room for deeper nesting later on.
      depth--;
    }
  }
  return undefined;
}

/** The value of the last property named `key` (JSON.parse keeps the last of duplicate keys), or undefined. */
export function property(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (node?.type !== 'object' || !node.children) return undefined;
  for (let i = node.children.length - 1; i >= 0; i--) {
    const [k, v] = node.children[i].children ?? [];
    if (k?.value === key && v) return v;
  }
  return undefined;
}

/** Key and value nodes of every property of an object node, in document order. */
export function properties(node: JsonNode): { key: string; keyNode: JsonNode; value: JsonNode }[] {
  const out: { key: string; keyNode: JsonNode; value: JsonNode }[] = [];
  for (const p of node.type === 'object' ? (node.children ?? []) : []) {
    const [k, v] = p.children ?? [];
    if (k && v) out.push({ key: String(k.value), keyNode: k, value: v });
  }
  return out;
}

/** The elements of an array node; none for anything else. */
export function items(node: JsonNode | undefined): JsonNode[] {
  return node?.type === 'array' ? (node.children ?? []) : [];
}

/** Follows a path of object keys and array indices, with the same duplicate-key rule as `property`. */
export function nodeAt(node: JsonNode | undefined, path: readonly (string | number)[]): JsonNode | undefined {
  let cur = node;
  for (const step of path) cur = typeof step === 'number' ? items(cur)[step] : property(cur, step);
  return cur;
}

export function stringValue(node: JsonNode | undefined): string | undefined {
  return node?.type === 'string' ? (node.value as string) : undefined;
}

export function numberValue(node: JsonNode | undefined): number | undefined {
  return node?.type === 'number' ? (node.value as number) : undefined;
}

/** The plain value of a node, equal to what JSON.parse returns for the same text. */
export function toJsonValue(node: JsonNode): JsonValue {
  switch (node.type) {
    case 'object':
      // fromEntries defines own properties on a normal object: a "__proto__" key stays data, and the prototype is
      // Object.prototype as with JSON.parse (jsonc-parser's getNodeValue makes prototype-less objects).
      return Object.fromEntries(properties(node).map((p) => [p.key, toJsonValue(p.value)])) as JsonObject;
    case 'array':
      return items(node).map(toJsonValue);
    case 'string':
    case 'number':
    case 'boolean':
      return node.value as string | number | boolean;
    default:
      return null;
  }
}
