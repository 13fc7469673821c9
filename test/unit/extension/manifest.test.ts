/**
 * The manifest is code too: settings generated from the one table (drift fails here), menus that name declared
 * commands, and engine/typings versions that let the .vsix install in code-server's VS Code 1.139; views, walkthrough,
 * keybindings and the schema name commands that exist and files that ship.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HOST_SETTINGS } from '../../../protocol/host-settings';
import { DEFAULT_RUN_CONFIG, RUN_SETTINGS, RUN_SETTING_KEYS } from '../../../protocol/settings';
import { allSettings, configurationSections, restrictedSettings, settingsDoc, withConfiguration, type ConfigurationSection } from '../../../scripts/settings-manifest';

interface WalkthroughStep {
  id: string;
  description: string;
  media: { markdown?: string; image?: string; altText?: string };
  completionEvents: string[];
}

interface Manifest {
  icon: string;
  extensionKind: string[];
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  contributes: {
    commands: Array<{ command: string; title: string; category: string; icon?: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    configuration: ConfigurationSection[];
    viewsContainers: { activitybar: Array<{ id: string; title: string; icon: string }> };
    views: Record<string, Array<{ id: string; name: string; icon?: string }>>;
    viewsWelcome: Array<{ view: string; contents: string; when?: string }>;
    walkthroughs: Array<{ id: string; title: string; steps: WalkthroughStep[] }>;
    keybindings: Array<{ command: string; key: string; mac?: string; when?: string }>;
    jsonValidation: Array<{ fileMatch: string; url: string }>;
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

const declared = new Set(manifest.contributes.commands.map((c) => c.command));
const viewIds = new Set(Object.values(manifest.contributes.views).flat().map((v) => v.id));
/** Commands VS Code itself provides that our links use. */
const BUILTIN = /^(workbench\.|revealInExplorer$)/;

/** `command:ID` links of Markdown text (welcome content, walkthrough descriptions). */
function linkedCommands(markdown: string): string[] {
  return [...markdown.matchAll(/\(command:([A-Za-z0-9_.-]+)/g)].map((m) => m[1]);
}

/** A command id is ours and declared, a view's built-in `<view>.focus`, or one of VS Code's. */
function known(id: string): boolean {
  return declared.has(id) || (id.endsWith('.focus') && viewIds.has(id.slice(0, -'.focus'.length))) || BUILTIN.test(id);
}

/** Shipped = present in the tree and not excluded by .vscodeignore's allow-list (checked by `npm run package` too). */
function assertFile(file: string, what: string): void {
  assert.ok(existsSync(file), `${what}: ${file} exists`);
}

test('the icon is a 128×128 PNG; the extension runs where the models are', () => {
  assertFile(manifest.icon, 'icon');
  const png = readFileSync(manifest.icon);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  assert.deepEqual(manifest.extensionKind, ['workspace']);
});

test('the Runs view lives in its own container, with icons and welcome content', () => {
  const container = manifest.contributes.viewsContainers.activitybar.find((c) => c.id === 'dcp');
  assert.ok(container, 'a DCP activity-bar container');
  assertFile(container.icon, 'container icon');
  const runs = manifest.contributes.views.dcp?.find((v) => v.id === 'dcp.runs');
  assert.ok(runs, 'dcp.runs in the container');
  if (runs.icon) assertFile(runs.icon, 'view icon');
  const welcome = manifest.contributes.viewsWelcome.filter((w) => w.view === 'dcp.runs');
  assert.ok(welcome.length >= 1);
  for (const w of welcome) for (const id of linkedCommands(w.contents)) assert.ok(known(id), `welcome links ${id}`);
  assert.ok(welcome.some((w) => linkedCommands(w.contents).includes('dcp.pruneModel')));
  // Every command the view's menus name needs a handler: registered by an extension source under its id.
  const sources = readdirSync('extension', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(`extension/${f}`, 'utf8')).join('\n');
  for (const id of declared) assert.ok(sources.includes(`'${id}'`), `${id} is registered in extension/`);
});

test('every command the view menus, keybindings and walkthrough use is declared, with an icon where inline', () => {
  for (const item of manifest.contributes.menus['view/item/context'] ?? []) {
    assert.match(item.when ?? '', /view == dcp\.runs/, `${item.command} only in the Runs view`);
  }
  const inline = (manifest.contributes.menus['view/item/context'] ?? []).filter((m) => (m as { group?: string }).group?.startsWith('inline'));
  for (const item of [...inline, ...(manifest.contributes.menus['view/title'] ?? [])]) {
    assert.ok(manifest.contributes.commands.find((c) => c.command === item.command)?.icon, `${item.command} has an icon`);
  }
  const cancel = manifest.contributes.keybindings.find((k) => k.command === 'dcp.cancelRun');
  assert.ok(cancel && cancel.key && cancel.mac, 'Cancel Run has a key on every platform');
  assert.equal(cancel.when, 'dcp.runActive');
  for (const k of manifest.contributes.keybindings) assert.ok(declared.has(k.command), k.command);
});

test('the walkthrough follows the README, its media ship, its links and completion events name real things', () => {
  const [walk] = manifest.contributes.walkthroughs;
  assert.ok(walk, 'a walkthrough');
  assert.deepEqual(walk.steps.map((s) => s.id), ['openModel', 'inspect', 'prune', 'panel', 'report']);
  for (const step of walk.steps) {
    const media = step.media.markdown ?? step.media.image;
    assert.ok(media, `${step.id} has media`);
    assertFile(media, `${step.id} media`);
    if (step.media.image) assert.ok(step.media.altText, `${step.id} image has alt text`);
    for (const id of linkedCommands(step.description)) assert.ok(known(id), `${step.id} links ${id}`);
    assert.ok(step.completionEvents.length > 0, `${step.id} can complete`);
    for (const event of step.completionEvents) {
      const [kind, arg] = [event.slice(0, event.indexOf(':')), event.slice(event.indexOf(':') + 1)];
      if (kind === 'onCommand') assert.ok(known(arg), `${step.id}: ${event}`);
      else if (kind === 'onView') assert.ok(viewIds.has(arg), `${step.id}: ${event}`);
      else assert.ok(['onContext', 'onLink', 'onSettingChanged'].includes(kind), `${step.id}: ${event}`);
    }
  }
});

test('.vscodeignore ships the icon, the view icon, the walkthrough media and the schema', () => {
  const allowed = readFileSync('.vscodeignore', 'utf8').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1));
  const glob = (pattern: string): RegExp =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`);
  const shipped = (file: string): boolean => allowed.some((p) => glob(p).test(file));
  const files = [
    manifest.icon, ...manifest.contributes.viewsContainers.activitybar.map((c) => c.icon),
    ...manifest.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.media.markdown ?? s.media.image ?? '')),
    ...manifest.contributes.jsonValidation.map((v) => v.url.replace(/^\.\//, '')),
  ];
  for (const f of files) assert.ok(shipped(f), `${f} is in the .vsix`);
});
