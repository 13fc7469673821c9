/**
 * Syntax errors of a strict-JSON text, one per mistake, worded for a person. jsonc-parser recovers after an error
 * and reports every token that no longer fits, so one typo ("tru") yields two to four raw errors; an editor full of
 * echoes hides the other, real mistakes. An error is shown only when the parser has met content of the text (a
 * value, a property name, an opening bracket) since the previous error: until then it is out of step and merely
 * echoing.
 */
import { printParseErrorCode, visit, type ParseErrorCode, type ParseOptions } from 'jsonc-parser';

export interface JsonSyntaxProblem {
  /** UTF-16 code-unit offset and length of the offending text (length 0 at the end of the text). */
  offset: number;
  length: number;
  message: string;
}

/** Strict JSON: what JSON.parse accepts, and nothing else. */
export const STRICT_JSON: ParseOptions = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };

/** jsonc-parser's ParseErrorCode is a const enum, which isolated modules cannot read; its printed names are stable. */
type ErrorName = ReturnType<typeof printParseErrorCode>;

/** Errors inside a single token: the parser takes the token as it is and stays in step with the text. */
const IN_TOKEN: ReadonlySet<ErrorName> = new Set<ErrorName>([
  'InvalidEscapeCharacter',
  'InvalidUnicode',
  'InvalidCharacter',
  'UnexpectedEndOfNumber',
  'InvalidNumberFormat',
  'InvalidCommentToken',
]);

/** 1-based line and column of an offset, for messages a person reads; line breaks as LSP counts them. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

interface Container {
  kind: 'object' | 'array';
  offset: number;
}

/** Every syntax mistake of the text, in document order; empty for valid JSON. */
export function syntaxProblems(text: string): JsonSyntaxProblem[] {
  const problems: JsonSyntaxProblem[] = [];
  const open: Container[] = [];
  // jsonc-parser ends a container before it reports the missing bracket, so the error needs the one just closed.
  let lastClosed: Container | undefined;
  let inStep = true;
  let errorsEnd = -1;
  // Content that starts inside the last error's text is that error's own token, not a sign of recovery.
  const content = (offset: number): void => {
    if (offset >= errorsEnd) inStep = true;
  };
  visit(text, {
    onObjectBegin: (offset) => {
      content(offset);
      open.push({ kind: 'object', offset });
    },
    onArrayBegin: (offset) => {
      content(offset);
      open.push({ kind: 'array', offset });
    },
    onObjectEnd: () => {
      lastClosed = open.pop();
    },
    onArrayEnd: () => {
      lastClosed = open.pop();
    },
    onObjectProperty: (_name, offset) => content(offset),
    onLiteralValue: (_value, offset) => content(offset),
    onError: (errorCode: ParseErrorCode, offset, length) => {
      const code = printParseErrorCode(errorCode);
      const report = inStep;
      if (!IN_TOKEN.has(code)) inStep = false;
      errorsEnd = Math.max(errorsEnd, offset + length);
      if (!report) return;
      const container = code === 'CloseBraceExpected' || code === 'CloseBracketExpected' ? lastClosed : open.at(-1);
      problems.push(describe(text, code, offset, length, container));
    },
  }, STRICT_JSON);
  return problems;
}

function describe(text: string, code: ErrorName, offset: number, length: number, container: Container | undefined): JsonSyntaxProblem {
  const token = text.slice(offset, offset + length);
  const found = foundText(token);
  const at = (message: string): JsonSyntaxProblem => ({ offset, length, message });
  const comma = trailingComma(text, code, offset, token);
  if (comma !== undefined) return { offset: comma, length: 1, message: `trailing comma before '${token}' (JSON allows none)` };
  switch (code) {
    case 'InvalidSymbol':
      return at(invalidSymbol(text, offset, token, found));
    case 'InvalidNumberFormat':
      return at(`invalid number ${found}`);
    case 'PropertyNameExpected':
      return at(`expected a property name in double quotes, found ${found}`);
    case 'ValueExpected':
      return at(text.trim() === '' ? 'the file is empty; expected a JSON object' : `expected a value, found ${found}`);
    case 'ColonExpected':
      return at(`expected ':' after the property name, found ${found}`);
    case 'CommaExpected':
      return at(container?.kind === 'array'
        ? `expected ',' or ']' after an array element, found ${found}`
        : `expected ',' or '}' after a property value, found ${found}`);
    case 'CloseBraceExpected':
    case 'CloseBracketExpected': {
      const [bracket, what] = code === 'CloseBraceExpected' ? ['}', 'object'] : [']', 'array'];
      const opened = container ? lineColumn(text, container.offset) : undefined;
      const where = opened ? ` opened at line ${opened.line}, column ${opened.column}` : '';
      return at(`missing '${bracket}' to close the ${what}${where}, found ${found}`);
    }
    case 'EndOfFileExpected':
      return at(`unexpected ${found} after the end of the JSON value`);
    case 'InvalidCommentToken':
      return at('comments are not allowed: model.json is strict JSON');
    case 'UnexpectedEndOfComment':
      return at('unterminated comment (and comments are not allowed: model.json is strict JSON)');
    case 'UnexpectedEndOfString':
      return at(/[\r\n]/.test(text.charAt(offset + length)) ? 'unterminated string: a string cannot span lines (write \\n)' : 'unterminated string');
    case 'UnexpectedEndOfNumber':
      return at(`incomplete number ${found}`);
    case 'InvalidUnicode':
      return at('invalid \\u escape in string (it needs 4 hex digits)');
    case 'InvalidEscapeCharacter':
      return at('invalid escape sequence in string');
    case 'InvalidCharacter':
      return at('control character inside a string (escape it, e.g. \\t)');
    default:
      return at(`syntax error at ${found}`);
  }
}

/** The offset of the comma when the error is a closing bracket right after one, else undefined. */
function trailingComma(text: string, code: ErrorName, offset: number, token: string): number | undefined {
  if (code !== 'ValueExpected' && code !== 'PropertyNameExpected') return undefined;
  if (token !== '}' && token !== ']') return undefined;
  let i = offset - 1;
  while (i >= 0 && /\s/.test(text.charAt(i))) i--;
  return text.charAt(i) === ',' ? i : undefined;
}

function invalidSymbol(text: string, offset: number, token: string, found: string): string {
  if (token.startsWith("'")) return `${found}: JSON strings and property names need double quotes`;
  if (/^[+-]?(NaN|Infinity)$/.test(token)) return `${found} is not a JSON number`;
  const literal = ['true', 'false', 'null'].find((w) => token.length > 0 && (w.startsWith(token) || token.startsWith(w)));
  if (literal) return `unexpected ${found}; did you mean ${literal}?`;
  if (/^[A-Za-z_$][\w$]*$/.test(token) && /^\s*:/.test(text.slice(offset + token.length))) {
    return `property name ${found} needs double quotes`;
  }
  return `unexpected ${found}`;
}

/** How a message names the offending token. */
function foundText(token: string): string {
  if (token.length === 0) return 'the end of the file';
  const short = token.length > 24 ? `${token.slice(0, 24)}…` : token;
  // A string token already has its quotes; quoting it again would print a wall of backslashes.
  return token.startsWith('"') ? `string ${short}` : JSON.stringify(short);
}
