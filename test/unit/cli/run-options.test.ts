/**
 * The run options of the CLI come from RUN_SETTINGS: every setting is in the help with its default and group,
 * typed values are converted and validated with the table's words, and usage errors exit 2. In-process through
 * runCli with captured output; nothing here starts a run (validation fails first, or only help is printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { DEFAULT_RUN_CONFIG, RUN_SETTINGS, RUN_SETTING_KEYS, type SettingSpec } from '../../../protocol/settings';
import { EXIT } from '../../../server/cli/command';
import { runCli } from '../../../server/cli/main';
import { memoryIO } from '../../../server/cli/output';
import { DEMO_CONFIG } from '../../../server/cli/demo';
import { addRunOptions, defaultText, groupHeading, optionFlag, runConfigFromOptions } from '../../../server/cli/run-options';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const io = memoryIO();
  const code = await runCli(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n').split('\n') };
}

/** Help text → flag → { heading above it, its description with wrapped lines joined }. */
function helpEntries(help: string): Map<string, { heading: string; text: string }> {
  const entries = new Map<string, { heading: string; text: string }>();
  let heading = '';
  let current: { heading: string; text: string } | null = null;
  for (const line of help.split('\n')) {
    if (/^\S.*:$/.test(line)) heading = line;
    const m = /^ {2}(--[a-z-]+)(?: <[^>]+>)?\s+(.*)$/.exec(line);
    if (m) entries.set(m[1], (current = { heading, text: m[2] }));
    else if (current && /^ {10,}\S/.test(line)) current.text += ` ${line.trim()}`;
    else current = null;
  }
  return entries;
}

test('every run setting is in `dcp prune --help` under its group, with its default and its choices', async () => {
  const r = await run('prune', '--help');
  assert.equal(r.code, EXIT.ok);
  const entries = helpEntries(r.out);
  for (const key of RUN_SETTING_KEYS) {
    const s: SettingSpec = RUN_SETTINGS[key];
    const e = entries.get(optionFlag(key));
    assert.ok(e, `${optionFlag(key)} missing from the help`);
    assert.equal(e.heading, groupHeading(s), `${key} group`);
    if (typeof s.default === 'boolean') assert.match(e.text, s.default ? /\(on by default\)/ : /\(off by default\)/, key);
    else assert.ok(e.text.includes(`(default ${defaultText(s.default)})`), `${key}: ${e.text}`);
    if (s.metavar) assert.match(r.out, new RegExp(`--${s.flag} <${s.metavar}>`), `${key} placeholder`);
    const choices = (s.schema as { options?: string[] }).options;
    if (choices) assert.ok(e.text.includes(`choices: ${choices.map((c) => `"${c}"`).join(', ')}`), `${key} choices: ${e.text}`);
  }
  assert.equal(entries.get('--no-stage-finetune')?.heading, 'Fine-tuning options:');
  assert.ok(entries.has('--out') && entries.has('--report'), 'the command\'s own options');
  assert.match(entries.get('--head-epochs')!.text, /see --head-training/, 'VS Code keys in descriptions are named by their flags');
});

test('the demo shows its own defaults; compare has --methods instead of --method', async () => {
  const demo = helpEntries((await run('demo', '--help')).out);
  assert.ok(demo.get('--finetune-epochs')!.text.includes(`(default ${DEMO_CONFIG.finetuneEpochs})`));
  assert.notEqual(DEMO_CONFIG.finetuneEpochs, DEFAULT_RUN_CONFIG.finetuneEpochs, 'the check above tells the two apart');
  const compare = helpEntries((await run('compare', '--help')).out);
  assert.ok(compare.has('--methods') && compare.has('--rate'));
  assert.ok(!compare.has('--method'));
});

test('a bad value names the flag, before any work, with exit 2', async () => {
  for (const [args, message] of [
    [['--head-lr', '11'], 'dcp prune: --head-lr must be a number in [0, 10] (got 11)'],
    [['--heads', 'many'], 'dcp prune: --heads must be an integer in [0, 64] or null (got "many")'],
    [['--batch-size', '0'], 'dcp prune: --batch-size must be an integer in [1, 4096] (got 0)'],
    [['--method', 'disc', '--lambda', '0'], 'dcp prune: --method disc uses only the discrimination loss: --lambda must be > 0'],
  ] as const) {
    const r = await run('prune', 'no-such-model.json', ...args);
    assert.equal(r.code, EXIT.usage, args.join(' '));
    assert.deepEqual(r.err, [message, "Run 'dcp prune --help' for usage."]);
    assert.equal(r.out, '', 'nothing ran');
  }
  const choice = await run('prune', 'no-such-model.json', '--stop', 'never');
  assert.equal(choice.code, EXIT.usage);
  assert.match(choice.err[0], /^dcp prune: option '--stop <RULE>' argument 'never' is invalid\. Allowed choices are rate, epsilon, adaptive\.$/);
});

test('an unknown option is a usage error with a hint, exit 2', async () => {
  const r = await run('prune', 'no-such-model.json', '--rat', '0.5');
  assert.equal(r.code, EXIT.usage);
  assert.deepEqual(r.err, ["dcp prune: unknown option '--rat'", '(Did you mean --rate?)', "Run 'dcp prune --help' for usage."]);
  const missing = await run('prune');
  assert.equal(missing.code, EXIT.usage);
  assert.match(missing.err[0], /^dcp prune: missing required argument 'model\.json'$/);
});

test('only the options typed are in the config, converted to their types; --no-stage-finetune gives false', () => {
  const parse = (...argv: string[]): Record<string, unknown> => {
    const cmd = addRunOptions(new Command('t').exitOverride());
    cmd.parse(argv, { from: 'user' });
    return runConfigFromOptions(cmd);
  };
  assert.deepEqual(parse(), {});
  assert.deepEqual(parse('--no-stage-finetune'), { stageFinetune: false });
  assert.deepEqual(parse('--rate', '0.3', '--heads', 'auto', '--data', 'npz:x.npz', '--method', 'l1'), { rate: 0.3, heads: null, data: 'npz:x.npz', method: 'l1' });
  assert.deepEqual(parse('--heads', '0', '--selection-lr', '0.5'), { heads: 0, selectionLearningRate: 0.5 });
  // The demo's settings take part in the cross-setting rules; a flag still wins over them.
  const cmd = addRunOptions(new Command('t').exitOverride());
  cmd.parse(['--lambda', '0'], { from: 'user' });
  assert.throws(() => runConfigFromOptions(cmd, {}, { method: 'disc' }), /--lambda must be > 0/);
});

test('dcp --help loads neither TF.js nor the engine', async () => {
  const r = await run('--help');
  assert.equal(r.code, EXIT.ok);
  const loaded = Object.keys(require.cache).filter((k) => /[/\\]@tensorflow[/\\]|[/\\]server[/\\]dcp[/\\]/.test(k));
  assert.deepEqual(loaded, []);
});
