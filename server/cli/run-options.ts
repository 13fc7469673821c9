/**
 * The run options of `dcp prune`, `dcp compare` and `dcp demo`, derived from RUN_SETTINGS (protocol/settings.ts):
 * one commander Option per setting with its flag, placeholder, choices, default and group, and the conversion of
 * what was typed back into a validated partial RunConfig. No option name, default or choice list is written here.
 */
import { Option, type Command } from 'commander';
import type { RunConfig } from '../../protocol/model';
import { RUN_SETTINGS, RUN_SETTING_KEYS, type RunSettingKey, type SettingSpec } from '../../protocol/settings';
import { parseSettingText, resolveRunConfig, validateRunConfigPatch } from '../../protocol/settings-validate';

/** The help heading of a settings group: `Fine-tuning` → `Fine-tuning options:`. */
export function groupHeading(s: SettingSpec): string {
  return `${s.group} options:`;
}

/** The first sentence of a setting's Markdown description, as plain text, with VS Code keys named by their flags. */
export function helpSentence(s: SettingSpec): string {
  const flagOf = (setting: string): string | undefined => Object.values<SettingSpec>(RUN_SETTINGS).find((x) => x.setting === setting)?.flag;
  const plain = s.description.replace(/`([^`]*)`/g, '$1').replace(/\bdcp\.(\w+)/g, (whole, key: string) => {
    const flag = flagOf(key);
    return flag ? `--${flag}` : whole;
  });
  const m = /^(.*?[.!?])(?=\s|$)/s.exec(plain);
  return (m ? m[1] : plain).replace(/\.$/, '');
}

/** A default as a user would type it: null (chosen by the engine) is `auto`, booleans are on/off, an empty path none. */
export function defaultText(value: unknown): string {
  if (value === null) return 'auto';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === '') return 'none';
  return String(value);
}

/** The flag of a setting as it appears on the command line (`--no-stage-finetune` for a setting on by default). */
export function optionFlag(key: RunSettingKey): string {
  const s: SettingSpec = RUN_SETTINGS[key];
  if (typeof s.default === 'boolean') return s.default ? `--no-${s.flag}` : `--${s.flag}`;
  return `--${s.flag}`;
}

function optionFor(key: RunSettingKey, shownDefault: unknown): Option {
  const s: SettingSpec = RUN_SETTINGS[key];
  const sentence = helpSentence(s);
  if (typeof s.default === 'boolean') {
    // A switch turns the default around; its help says what it switches.
    const text = s.default ? `turn off: ${sentence} (on by default)` : `${sentence} (off by default)`;
    return new Option(optionFlag(key), text).helpGroup(groupHeading(s));
  }
  // The default is only shown, not set: options left out stay out of the config, so the engine's defaults apply.
  const o = new Option(`--${s.flag} <${s.metavar ?? 'VALUE'}>`, `${sentence} (default ${defaultText(shownDefault)})`).helpGroup(groupHeading(s));
  const values = enumValues(s);
  if (values) o.choices(values);
  return o;
}

/** The choices of an enum setting, read from its schema (the table's one list). */
function enumValues(s: SettingSpec): string[] | undefined {
  const options = (s.schema as { options?: unknown }).options;
  return Array.isArray(options) && options.every((v) => typeof v === 'string') ? options : undefined;
}

export interface RunOptionsSpec {
  /** Settings this command does not take (compare runs several methods: no --method). */
  omit?: readonly RunSettingKey[];
  /** Only these settings (inspect takes only --backend). */
  only?: readonly RunSettingKey[];
  /** Defaults this command uses instead of the table's, shown in its help (the demo's settings). */
  defaults?: Partial<RunConfig>;
}

/** The settings a command takes, in table order. */
export function runOptionKeys(spec: RunOptionsSpec = {}): RunSettingKey[] {
  return RUN_SETTING_KEYS.filter((k) => !spec.omit?.includes(k) && (spec.only === undefined || spec.only.includes(k)));
}

/** Adds one option per run setting to `cmd`, grouped in the help by the settings' groups. */
export function addRunOptions(cmd: Command, spec: RunOptionsSpec = {}): Command {
  const defaults: Partial<Record<RunSettingKey, unknown>> = spec.defaults ?? {};
  for (const key of runOptionKeys(spec)) {
    cmd.addOption(optionFor(key, Object.hasOwn(defaults, key) ? defaults[key] : RUN_SETTINGS[key].default));
  }
  return cmd;
}

/**
 * The run settings typed on the command line (only those: absent options are absent), converted from text with
 * parseSettingText and checked against the table. Throws ConfigError naming the flag (`--head-lr must be …`).
 * `base` is what the command runs with besides these (the demo's settings); the combined config must be valid.
 */
export function runConfigFromOptions(cmd: Command, spec: RunOptionsSpec = {}, base: Partial<RunConfig> = {}): Partial<RunConfig> {
  const opts = cmd.opts<Record<string, unknown>>();
  const typed: Record<string, unknown> = {};
  for (const key of runOptionKeys(spec)) {
    const s: SettingSpec = RUN_SETTINGS[key];
    // The attribute commander stores the value under: `--head-lr` → headLr, `--no-stage-finetune` → stageFinetune.
    const attr = s.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (cmd.getOptionValueSource(attr) !== 'cli') continue;
    const value = opts[attr];
    const parsed = typeof value === 'string' ? parseSettingText(key, value) : value;
    // `--rate abc` is NaN once converted; the error should quote what was typed, not JSON's `null` for NaN.
    typed[key] = typeof parsed === 'number' && !Number.isFinite(parsed) ? value : parsed;
  }
  const patch = validateRunConfigPatch(typed, 'flag');
  resolveRunConfig({ ...base, ...patch }, 'flag');
  return patch;
}
