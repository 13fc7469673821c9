/**
 * The protocol and its documentation change together (as rust-analyzer checks lsp_ext.ts against its doc): every
 * message handle of protocol/lsp.ts is documented in docs/protocol.md and says who sends it to whom.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import * as lsp from '../../../protocol/lsp';

const ROOT = join(__dirname, '..', '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8');
const source = readFileSync(join(ROOT, 'protocol', 'lsp.ts'), 'utf8');
/** Every exported message handle, by export name; the type is just what the checks need. */
const handles: [string, { method: string }][] = Object.entries(lsp).flatMap(([name, value]): [string, { method: string }][] =>
  value instanceof RequestType || value instanceof NotificationType ? [[name, value]] : [],
);

describe('protocol/lsp.ts and docs/protocol.md', () => {
  it('declares the messages under dcp/', () => {
    assert.ok(handles.length >= 8);
    for (const [, h] of handles) assert.match(h.method, /^dcp\/[a-z][A-Za-z]+$/);
    assert.equal(new Set(handles.map(([, h]) => h.method)).size, handles.length, 'each method once');
  });

  for (const [name, handle] of handles) {
    it(`documents ${name} (${handle.method})`, () => {
      assert.ok(doc.includes(`\`${name}\``), `${name} in the table`);
      assert.ok(doc.includes(`### \`${handle.method}\``), `a section for ${handle.method}`);
      assert.ok(doc.includes(`"method": "${handle.method}"`), `an example of ${handle.method}`);
      assert.match(source, new RegExp(`/\\*\\* Sent from the (client|server) to the (client|server) [^\\n]*\\*/\\nexport const ${name} =`));
    });
  }
});
