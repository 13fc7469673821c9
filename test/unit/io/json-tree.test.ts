/** model.json text → jsonc-parser tree with offsets, and strict-JSON syntax errors one per mistake. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { items, lineColumn, MAX_JSON_DEPTH, nodeAt, parseJsonText, properties, property, toJsonValue } from '../../../server/io/json-tree';

/** The errors of a text as [offending text, message] pairs. */
function errorsOf(text: string): [string, string][] {
  return parseJsonText(text).errors.map((e) => [text.slice(e.offset, e.offset + e.length), e.message]);
}

describe('parseJsonText', () => {
  it('gives the same values as JSON.parse, with offsets of every value', () => {
    const samples = [
      '{"a": [1, -2.5e3, 0.125, 1e400, true, false, null], "b": {"c": "x\\n\\u00e9\\"\\\\\\ud83d\\ude00"}, "": {}}',
      '[]',
      '"\u{1F600} plain"',
      ' 12 ',
      '{"__proto__": {"polluted": true}, "k": [[[]]], "dup": 1, "dup": 2}',
    ];
    for (const text of samples) {
      const { root, errors } = parseJsonText(text);
      assert.deepEqual(errors, [], text);
      assert.ok(root);
      assert.deepEqual(toJsonValue(root), JSON.parse(text), text);
    }
    const polluted = toJsonValue(parseJsonText(samples[4]).root!) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(polluted), Object.prototype);
    assert.equal(Object.getPrototypeOf(polluted['__proto__']), Object.prototype);
    const { root } = parseJsonText('{"key": [10, "s"]}');
    const [prop] = properties(root!);
    assert.deepEqual([prop.keyNode.offset, prop.keyNode.length, prop.value.offset, prop.value.length], [1, 5, 8, 9]);
    assert.deepEqual(items(prop.value).map((n) => [n.offset, n.length]), [[9, 2], [13, 3]]);
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    const text = '{"a": {"b": 1}, "a": {"b": [7, 8]}}';
    const { root } = parseJsonText(text);
    assert.equal(property(root, 'a')?.offset, text.lastIndexOf('{"b"'));
    assert.equal(nodeAt(root, ['a', 'b', 1])?.value, 8);
    assert.equal(nodeAt(root, ['a', 'b', 5]), undefined);
  });

  it('skips a byte-order mark and keeps offsets into the original text', () => {
    const text = '\ufeff{"a": 1}';
    const { root, errors } = parseJsonText(text);
    assert.deepEqual(errors, []);
    assert.deepEqual(toJsonValue(root!), { a: 1 });
    assert.equal(property(root, 'a')?.offset, text.indexOf('1'));
  });

  it('flags comments and trailing commas: model.json is strict JSON', () => {
    assert.deepEqual(errorsOf('{"a": 1, // why\n"b": 2}'), [['// why', 'comments are not allowed: model.json is strict JSON']]);
    assert.deepEqual(errorsOf('{"a": /* x */ 1}'), [['/* x */', 'comments are not allowed: model.json is strict JSON']]);
    // The range is the comma itself: that is what to delete.
    assert.deepEqual(errorsOf('{"a": [1, 2,], "b": 3,\n}'), [
      [',', "trailing comma before ']' (JSON allows none)"],
      [',', "trailing comma before '}' (JSON allows none)"],
    ]);
    assert.deepEqual(parseJsonText('[1, 2,]').errors.map((e) => e.offset), [5]);
  });

  it('reports each of three separate mistakes once, at its exact text', () => {
    const text = '{"a": 1,, "b": tru, "c": [1 2]}';
    const { errors } = parseJsonText(text);
    assert.deepEqual(errors.map((e) => [e.offset, e.length]), [[8, 1], [15, 3], [28, 1]]);
    assert.deepEqual(errors.map((e) => e.message), [
      'expected a property name in double quotes, found ","',
      'unexpected "tru"; did you mean true?',
      "expected ',' or ']' after an array element, found \"2\"",
    ]);
  });

  it('words every kind of mistake for a person, one error per mistake', () => {
    const cases: [string, string, RegExp][] = [
      ['{"a": "open', '"open', /^unterminated string$/],
      ['{"a": "x\ny"}', '"x', /cannot span lines/],
      ['{"a": 1} x', 'x', /unexpected "x"/],
      ['{"a": 1}}', '}', /after the end of the JSON value/],
      ['{"a": "\u0001"}', '"\u0001"', /control character/],
      ['{"a": "\\q"}', '"\\q"', /invalid escape/],
      ['{"a": "\\u12"}', '"\\u12"', /\\u escape/],
      ['{"a" 1}', '1', /expected ':'/],
      ['[01]', '1', /expected ',' or ']'/],
      ['{"a": 1 "b": 2}', '"b"', /expected ',' or '}' after a property value, found string "b"$/],
      ["{'a': 1}", "'a'", /need double quotes/],
      ['{a: 1}', 'a', /property name "a" needs double quotes/],
      ['{"a": NaN}', 'NaN', /not a JSON number/],
      ['{"a": 1.}', '1.', /incomplete number/],
      ['{"a": }', '}', /expected a value, found "}"/],
      ['{"a": [1, 2}', '}', /expected ',' or ']'/],
      ['{"a": {"b": 1}', '', /missing '}' to close the object opened at line 1, column 1, found the end of the file/],
      ['', '', /the file is empty/],
    ];
    for (const [text, at, message] of cases) {
      const errors = errorsOf(text);
      assert.equal(errors.length, 1, `${JSON.stringify(text)}: ${JSON.stringify(errors)}`);
      assert.equal(errors[0][0], at, text);
      assert.match(errors[0][1], message, text);
    }
  });

  it('still reports a mistake inside a token after an earlier one', () => {
    assert.deepEqual(errorsOf('["\\q", 1, "\\q"]').map((e) => e[0]), ['"\\q"', '"\\q"']);
    assert.deepEqual(errorsOf('[[,], [,]]').length, 2);
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    const { root, errors } = parseJsonText('['.repeat(100000));
    assert.equal(root, undefined);
    assert.deepEqual(errors.map((e) => e.offset), [MAX_JSON_DEPTH]);
    assert.match(errors[0].message, /nesting deeper than 200 levels/);
    // Brackets inside strings and stray closers do not count.
    assert.deepEqual(parseJsonText(`["${'['.repeat(500)}"]`).errors, []);
    assert.equal(parseJsonText(`${']'.repeat(300)}${'['.repeat(300)}`).root, undefined);
  });

  it('converts offsets to 1-based lines and columns', () => {
    assert.deepEqual(lineColumn('ab\ncd\nef', 7), { line: 3, column: 2 });
    assert.deepEqual(lineColumn('ab\r\ncd\ref', 8), { line: 3, column: 2 });
  });
});
