/**
 * Strict JSON parser that keeps the offset of every value, so model.json problems can be reported at the exact
 * characters (language-server diagnostics) and not just as "invalid file". JSON.parse gives values but no positions.
 * Offsets are UTF-16 code-unit indices into the original text, the unit VS Code's `positionAt` expects.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type JsonNode =
  | { kind: 'object'; offset: number; length: number; properties: JsonProperty[] }
  | { kind: 'array'; offset: number; length: number; items: JsonNode[] }
  | { kind: 'string'; offset: number; length: number; value: string }
  | { kind: 'number'; offset: number; length: number; value: number }
  | { kind: 'boolean'; offset: number; length: number; value: boolean }
  | { kind: 'null'; offset: number; length: number };

export type JsonObjectNode = Extract<JsonNode, { kind: 'object' }>;

export interface JsonProperty {
  key: string;
  /** Offset and length of the quoted key. */
  keyOffset: number;
  keyLength: number;
  value: JsonNode;
}

/** The first syntax error of a text, at a code-unit offset. */
export class JsonSyntaxError extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Real models nest ~6 levels; a cap keeps a hostile file from overflowing the stack of this recursive parser. */
export const MAX_JSON_DEPTH = 200;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses strict JSON (a leading BOM is skipped); throws JsonSyntaxError at the first problem. */
export function parseJsonTree(text: string): JsonNode {
  const p = new Parser(text);
  if (text.charCodeAt(0) === 0xfeff) p.pos = 1;
  p.skipSpace();
  const root = p.value(0);
  p.skipSpace();
  if (p.pos < text.length) throw new JsonSyntaxError(p.pos, 'unexpected text after the end of the JSON value');
  return root;
}

/** The last property named `key` (JSON.parse semantics for duplicate keys), or undefined. */
export function findProperty(node: JsonObjectNode, key: string): JsonProperty | undefined {
  for (let i = node.properties.length - 1; i >= 0; i--) if (node.properties[i].key === key) return node.properties[i];
  return undefined;
}

/** The plain value of a node, equal to what JSON.parse returns for the same text. */
export function toJsonValue(node: JsonNode): JsonValue {
  switch (node.kind) {
    case 'object':
      // fromEntries defines own properties, so a "__proto__" key stays data instead of replacing the prototype.
      return Object.fromEntries(node.properties.map((p) => [p.key, toJsonValue(p.value)])) as JsonObject;
    case 'array':
      return node.items.map(toJsonValue);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

/** 1-based line and column of an offset, for messages a person reads. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.pos++;
    }
  }

  value(depth: number): JsonNode {
    if (depth > MAX_JSON_DEPTH) throw new JsonSyntaxError(this.pos, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
    const t = this.text;
    const start = this.pos;
    if (start >= t.length) throw new JsonSyntaxError(start, 'unexpected end of input');
    const c = t[start];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return { kind: 'string', offset: start, value: this.string(), length: this.pos - start };
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = start;
      const m = NUMBER.exec(t);
      if (!m) throw new JsonSyntaxError(start, 'invalid number');
      this.pos = start + m[0].length;
      return { kind: 'number', offset: start, length: m[0].length, value: Number(m[0]) };
    }
    for (const [word, node] of LITERALS) {
      if (t.startsWith(word, start)) {
        this.pos = start + word.length;
        return { ...node, offset: start, length: word.length };
      }
    }
    throw new JsonSyntaxError(start, `unexpected character ${JSON.stringify(c)}`);
  }

  private object(depth: number): JsonNode {
    const start = this.pos++;
    const properties: JsonProperty[] = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', offset: start, length: this.pos - start, properties };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') {
        const what = this.text[this.pos] === '}' && properties.length > 0 ? 'trailing comma before }' : 'expected a property name in double quotes';
        throw new JsonSyntaxError(this.pos, what);
      }
      const keyOffset = this.pos;
      const key = this.string();
      const keyLength = this.pos - keyOffset;
      this.skipSpace();
      if (this.text[this.pos] !== ':') throw new JsonSyntaxError(this.pos, `expected ':' after property name "${key}"`);
      this.pos++;
      this.skipSpace();
      properties.push({ key, keyOffset, keyLength, value: this.value(depth + 1) });
      this.skipSpace();
      const sep = this.text[this.pos];
      this.pos++;
      if (sep === '}') return { kind: 'object', offset: start, length: this.pos - start, properties };
      if (sep !== ',') throw new JsonSyntaxError(this.pos - 1, "expected ',' or '}' after a property value");
    }
  }

  private array(depth: number): JsonNode {
    const start = this.pos++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', offset: start, length: this.pos - start, items };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === ']' && items.length > 0) throw new JsonSyntaxError(this.pos, 'trailing comma before ]');
      items.push(this.value(depth + 1));
      this.skipSpace();
      const sep = this.text[this.pos];
      this.pos++;
      if (sep === ']') return { kind: 'array', offset: start, length: this.pos - start, items };
      if (sep !== ',') throw new JsonSyntaxError(this.pos - 1, "expected ',' or ']' after an array element");
    }
  }

  /** Scans a string token starting at the opening quote; escapes are decoded by JSON.parse, which knows them all. */
  private string(): string {
    const t = this.text;
    const start = this.pos;
    let escaped = false;
    let i = start + 1;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 34) break;
      if (c < 0x20) throw new JsonSyntaxError(i, 'control character inside a string (escape it)');
      if (c === 92) {
        escaped = true;
        i++;
      }
    }
    if (i >= t.length) throw new JsonSyntaxError(start, 'unterminated string');
    this.pos = i + 1;
    if (!escaped) return t.slice(start + 1, i);
    try {
      return JSON.parse(t.slice(start, i + 1)) as string;
    } catch {
      throw new JsonSyntaxError(start, 'invalid escape sequence in string');
    }
  }
}

const LITERALS: ReadonlyArray<readonly [string, { kind: 'boolean'; value: boolean } | { kind: 'null' }]> = [
  ['true', { kind: 'boolean', value: true }],
  ['false', { kind: 'boolean', value: false }],
  ['null', { kind: 'null' }],
];
