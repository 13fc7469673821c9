/**
 * The manifest is code too: settings documented with the engine's real defaults, menus that name declared
 * commands, and engine/typings versions that let the .vsix install in code-server's VS Code 1.139.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../../server/dcp/run/config';

interface Manifest {
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    configuration: { properties: Record<string, { default: unknown; markdownDescription?: string }> };
  };
  capabilities: { untrustedWorkspaces: { supported: string } };
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;

/** setting key → RunConfig field, where they differ. */
const FIELD: Record<string, keyof typeof DEFAULT_CONFIG> = { dataset: 'data' };

test('setting defaults are the engine defaults', () => {
  for (const [key, spec] of Object.entries(manifest.contributes.configuration.properties)) {
    const name = key.replace(/^dcp\./, '');
    const field = FIELD[name] ?? (name as keyof typeof DEFAULT_CONFIG);
    if (field in DEFAULT_CONFIG) assert.deepEqual(spec.default, DEFAULT_CONFIG[field], key);
    assert.ok(spec.markdownDescription, `${key} is documented`);
  }
});

test('every command is in the DCP category and every menu item names a declared command', () => {
  const ids = new Set(manifest.contributes.commands.map((c) => c.command));
  for (const c of manifest.contributes.commands) assert.equal(c.category, 'DCP', c.command);
  for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
    for (const item of items) assert.ok(ids.has(item.command), `${menu}: ${item.command}`);
  }
  for (const id of ['dcp.pruneModel', 'dcp.openPanel', 'dcp.inspectModel', 'dcp.cancelRun', 'dcp.resumeRun',
    'dcp.compareMethods', 'dcp.openPrunedModel', 'dcp.showRunReport', 'dcp.selectDataset']) assert.ok(ids.has(id), id);
});

test('untrusted workspaces get limited support', () => {
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
});

test('@types/vscode ≤ engines.vscode ≤ 1.139 (vsce and code-server refuse otherwise)', () => {
  const version = (v: string): number[] => v.replace(/^[^\d]*/, '').split('.').map(Number);
  const cmp = (a: number[], b: number[]): number => a[0] - b[0] || a[1] - b[1] || (a[2] ?? 0) - (b[2] ?? 0);
  const engine = version(manifest.engines.vscode);
  assert.ok(cmp(version(manifest.devDependencies['@types/vscode']), engine) <= 0);
  assert.ok(cmp(engine, [1, 139, 0]) <= 0);
});
