/**
 * Maps the `dcp.*` settings onto a run's options. Pure (no `vscode` import) so unit tests can feed it plain objects:
 * the caller passes a reader over `workspace.getConfiguration('dcp')` and the folder relative paths resolve against.
 *
 * Which settings exist, their keys and their valid values come from the one table (protocol/settings.ts). Only values
 * a user actually set are forwarded, so the table's defaults apply to the rest; a set value that fails the table's
 * check is reported (naming `dcp.<key>`), never silently dropped or coerced.
 */
import * as path from 'node:path';
import type { RunConfig } from '../protocol/model';
import { RUN_SETTINGS, RUN_SETTING_KEYS } from '../protocol/settings';
import { checkSetting, ConfigError, settingName } from '../protocol/settings-validate';

/** Reads one `dcp.<key>` setting; `undefined` = not set by the user (inspect() gives no value in any scope). */
export type SettingReader = (key: string) => unknown;

/** The run options the user set, and one error per set value the table refuses. */
export interface SettingsRead {
  config: Partial<RunConfig>;
  errors: ConfigError[];
}

/**
 * Resolves a dataset spec so the server (whose working directory is not the workspace) gets absolute paths.
 * `mnist` and `fashion-mnist` stay as they are; `folder:P`, `npz:P`, `idx:P`, `fashion-mnist:P` and bare paths get P
 * resolved against `baseDir`.
 */
export function resolveDataset(spec: string, baseDir: string | undefined): string {
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'mnist' || trimmed === 'fashion-mnist' || !baseDir) return trimmed;
  const m = /^(folder|npz|idx|fashion-mnist):(.*)$/.exec(trimmed);
  const kind = m ? `${m[1]}:` : '';
  const p = m ? m[2] : trimmed;
  return kind + (path.isAbsolute(p) ? p : path.resolve(baseDir, p));
}

/** A file path setting made absolute against `baseDir`; empty stays empty (= none). */
function resolvePath(p: string, baseDir: string | undefined): string {
  const t = p.trim();
  return t === '' || !baseDir || path.isAbsolute(t) ? t : path.resolve(baseDir, t);
}

/** The run options the user set, with dataset paths made absolute against `baseDir` (the model's workspace folder). */
export function runConfigFromSettings(get: SettingReader, baseDir: string | undefined): SettingsRead {
  const config: Record<string, unknown> = {};
  const errors: ConfigError[] = [];
  for (const key of RUN_SETTING_KEYS) {
    const raw = get(RUN_SETTINGS[key].setting);
    if (raw === undefined) continue;
    const checked = checkSetting(key, raw, 'setting');
    if (checked instanceof ConfigError) errors.push(checked);
    else if (key === 'data') config[key] = resolveDataset(checked.value as string, baseDir);
    else if (key === 'recipe') config[key] = resolvePath(checked.value as string, baseDir);
    else config[key] = checked.value;
  }
  return { config: config as Partial<RunConfig>, errors };
}

/** One sentence for a notification: every refused setting with what it expects. */
export function describeSettingErrors(errors: readonly ConfigError[]): string {
  const what = errors.length === 1 ? 'an invalid setting' : `${errors.length} invalid settings`;
  return `no run started: ${what}. ${errors.map((e) => e.message).join('; ')}.`;
}

/** The `dcp.<key>` a ConfigError is about, for "Open Settings" (settings-editor search). */
export function settingKeyOf(e: ConfigError): string {
  return Object.hasOwn(RUN_SETTINGS, e.key) ? settingName(e.key as keyof typeof RUN_SETTINGS, 'setting') : 'dcp';
}

/**
 * Where a run's pruned model goes: `<outputFolder>/<model folder name>-<method>-<stamp>` when `dcp.outputFolder`
 * is set (relative to `baseDir`), else undefined = the server's default inside the run folder.
 */
export function outputDirFromSettings(get: SettingReader, baseDir: string | undefined, modelPath: string, method: string, now: Date): string | undefined {
  const folder = get('outputFolder');
  if (typeof folder !== 'string' || folder.trim() === '') return undefined;
  const root = path.isAbsolute(folder) ? folder : path.resolve(baseDir ?? path.dirname(modelPath), folder);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(root, `${path.basename(path.dirname(modelPath))}-${method}-${stamp}`);
}

/** `--max-old-space-size` for the server process from `dcp.memoryCapMB`; 0 or unset = Node's default. */
export function serverExecArgv(get: SettingReader): string[] {
  const cap = get('memoryCapMB');
  return typeof cap === 'number' && Number.isFinite(cap) && cap > 0 ? [`--max-old-space-size=${Math.round(cap)}`] : [];
}

/** The runs folder for `initializationOptions.runsDir`, absolute; undefined = next to each model. */
export function runsDirFromSettings(get: SettingReader, baseDir: string | undefined): string | undefined {
  const folder = get('runsFolder');
  if (typeof folder !== 'string' || folder.trim() === '') return undefined;
  return path.isAbsolute(folder) ? folder : baseDir ? path.resolve(baseDir, folder) : undefined;
}
