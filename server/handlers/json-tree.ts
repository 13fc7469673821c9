/**
 * A small JSON parser that keeps every value's offsets, so diagnostics, hovers and symbols can point at the exact
 * characters of a model.json. JSON.parse gives values but no positions; a full JSONC library is more than we need.
 */

export type JsonNode =
  | { kind: 'object'; offset: number; length: number; properties: JsonProperty[] }
  | { kind: 'array'; offset: number; length: number; items: JsonNode[] }
  | { kind: 'string'; offset: number; length: number; value: string }
  | { kind: 'number'; offset: number; length: number; value: number }
  | { kind: 'boolean'; offset: number; length: number; value: boolean }
  | { kind: 'null'; offset: number; length: number };

export interface JsonProperty {
  key: string;
  /** Offset and length of the quoted key. */
  keyOffset: number;
  keyLength: number;
  value: JsonNode;
}

/** A syntax error at a character offset of the text. */
export class JsonSyntaxError extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Parses strict JSON; throws JsonSyntaxError at the first problem. */
export function parseJsonTree(text: string): JsonNode {
  const p = new Parser(text);
  p.skipSpace();
  const root = p.value();
  p.skipSpace();
  if (p.pos < text.length) throw new JsonSyntaxError(p.pos, 'Unexpected text after the end of the JSON value');
  return root;
}

/** The value of `key` in an object node, or undefined. */
export function property(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (node?.kind !== 'object') return undefined;
  for (let i = node.properties.length - 1; i >= 0; i--) if (node.properties[i].key === key) return node.properties[i].value;
  return undefined;
}

/** Follows a path of object keys and array indices. */
export function nodeAt(node: JsonNode | undefined, path: readonly (string | number)[]): JsonNode | undefined {
  let cur = node;
  for (const step of path) {
    if (typeof step === 'number') cur = cur?.kind === 'array' ? cur.items[step] : undefined;
    else cur = property(cur, step);
  }
  return cur;
}

/** The string value of a node, or undefined when it is not a string. */
export function stringValue(node: JsonNode | undefined): string | undefined {
  return node?.kind === 'string' ? node.value : undefined;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos])) this.pos++;
  }

  value(): JsonNode {
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') {
      const start = this.pos;
      const value = this.string();
      return { kind: 'string', offset: start, length: this.pos - start, value };
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, node] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        const offset = this.pos;
        this.pos += word.length;
        return node === null ? { kind: 'null', offset, length: word.length } : { kind: 'boolean', offset, length: word.length, value: node };
      }
    }
    throw new JsonSyntaxError(this.pos, c === undefined ? 'Unexpected end of file: a value is missing' : `Unexpected character ${JSON.stringify(c)}: expected a value`);
  }

  private object(): JsonNode {
    const offset = this.pos++;
    const properties: JsonProperty[] = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') return { kind: 'object', offset, length: ++this.pos - offset, properties };
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') throw new JsonSyntaxError(this.pos, 'Expected a property name in double quotes');
      const keyOffset = this.pos;
      const key = this.string();
      const keyLength = this.pos - keyOffset;
      this.skipSpace();
      this.expect(':', 'Expected ":" after the property name');
      this.skipSpace();
      properties.push({ key, keyOffset, keyLength, value: this.value() });
      this.skipSpace();
      if (this.text[this.pos] === ',') { this.pos++; continue; }
      this.expect('}', 'Expected "," or "}" in the object');
      return { kind: 'object', offset, length: this.pos - offset, properties };
    }
  }

  private array(): JsonNode {
    const offset = this.pos++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') return { kind: 'array', offset, length: ++this.pos - offset, items };
    for (;;) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') { this.pos++; continue; }
      this.expect(']', 'Expected "," or "]" in the array');
      return { kind: 'array', offset, length: this.pos - offset, items };
    }
  }

  private string(): string {
    const start = this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') throw new JsonSyntaxError(start, 'Unterminated string');
      this.pos++;
      if (c === '"') return out;
      if (c !== '\\') { out += c; continue; }
      const e = this.text[this.pos++];
      if (e === 'u') {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError(this.pos - 2, 'Invalid \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e];
      } else {
        throw new JsonSyntaxError(this.pos - 2, 'Invalid escape sequence');
      }
    }
  }

  private number(): JsonNode {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) throw new JsonSyntaxError(this.pos, 'Invalid number');
    const offset = this.pos;
    this.pos += m[0].length;
    return { kind: 'number', offset, length: m[0].length, value: Number(m[0]) };
  }

  private expect(c: string, message: string): void {
    if (this.text[this.pos] !== c) throw new JsonSyntaxError(this.pos, message);
    this.pos++;
  }
}
