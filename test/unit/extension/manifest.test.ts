/**
 * The manifest is code too: settings generated from the one table (drift fails here), menus that name declared
 * commands, and engine/typings versions that let the .vsix install in code-server's VS Code 1.139.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HOST_SETTINGS } from '../../../protocol/host-settings';
import { DEFAULT_RUN_CONFIG, RUN_SETTINGS, RUN_SETTING_KEYS } from '../../../protocol/settings';
import { allSettings, configurationSections, restrictedSettings, settingsDoc, withConfiguration, type ConfigurationSection } from '../../../scripts/settings-manifest';

interface Manifest {
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    configuration: ConfigurationSection[];
  };
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
}

const packageText = readFileSync('package.json', 'utf8');
const manifest = JSON.parse(packageText) as Manifest;

test('package.json\'s configuration is the one generated from the settings tables (run `npm run gen:settings`)', () => {
  assert.deepEqual(manifest.contributes.configuration, configurationSections());
  assert.equal(withConfiguration(packageText), packageText, 'the generator rewrites nothing else, byte for byte');
});

test('docs/settings.md is the generated table (run `npm run gen:settings`)', () => {
  assert.equal(readFileSync('docs/settings.md', 'utf8'), settingsDoc());
});

test('every run setting is in the manifest once, with the engine default, a description and its type', () => {
  const properties = Object.assign({}, ...manifest.contributes.configuration.map((c) => c.properties)) as ConfigurationSection['properties'];
  const keys = manifest.contributes.configuration.flatMap((c) => Object.keys(c.properties));
  assert.equal(new Set(keys).size, keys.length, 'no key in two sections');
  assert.equal(keys.length, RUN_SETTING_KEYS.length + Object.keys(HOST_SETTINGS).length);
  for (const k of RUN_SETTING_KEYS) {
    const p = properties[`dcp.${RUN_SETTINGS[k].setting}`];
    assert.ok(p, k);
    assert.deepEqual(p.default, DEFAULT_RUN_CONFIG[k], k);
    assert.ok(p.markdownDescription.length > 10, `${k} is documented`);
  }
  assert.deepEqual(properties['dcp.heads'].type, ['integer', 'null']);
  assert.deepEqual([properties['dcp.rate'].minimum, properties['dcp.rate'].exclusiveMaximum, properties['dcp.rate'].maximum], [0, 1, undefined]);
  assert.equal(properties['dcp.method'].enum?.length, properties['dcp.method'].enumDescriptions?.length);
});

test('every default is valid by its own schema', () => {
  for (const s of allSettings()) assert.ok(s.schema.safeParse(s.default).success, s.setting);
});

test('restricted settings: the table\'s, and every resource-scoped (path-naming) setting among them', () => {
  const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  assert.deepEqual([...restricted].sort(), restrictedSettings().sort());
  for (const s of allSettings().filter((x) => x.scope === 'resource')) assert.ok(restricted.includes(`dcp.${s.setting}`), s.setting);
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
