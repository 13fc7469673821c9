/**
 * Validation of run settings against the one table in settings.ts. Every boundary uses it: the engine (defaults +
 * ranges), the server (LSP params), the worker messages, the webview messages and files read back (run history).
 *
 * Errors name the key the way the caller wrote it: `--head-lr` for the CLI, `dcp.headLearningRate` for VS Code
 * settings, `headLearningRate` for JSON fields. Values are never coerced (the string "false" is not a boolean);
 * the CLI converts its text to typed values first with `parseSettingText`.
 */
import * as z from 'zod';
import { DEFAULT_RUN_CONFIG, RUN_SETTINGS, RUN_SETTING_KEYS, type RunConfig, type RunSettingKey, type SettingSpec } from './settings';

/** How the caller names settings, so an error message uses the caller's words. */
export type SettingNaming = 'field' | 'flag' | 'setting';

/** Raised before any work starts when a setting is unknown, of the wrong type or out of range. */
export class ConfigError extends Error {
  /** `key` is the RunConfig field (or the unknown key as given); the message names it in the caller's words. */
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The name of a setting in the caller's words. */
export function settingName(key: RunSettingKey, naming: SettingNaming): string {
  const s = RUN_SETTINGS[key];
  return naming === 'flag' ? `--${s.flag}` : naming === 'setting' ? `dcp.${s.setting}` : key;
}

/** What a valid value looks like, in words ("a number in [0, 1)", "one of dcp, dkp, …"). */
export function expectation(s: Pick<SettingSpec, 'schema'>): string {
  const { nullable, base } = settingJsonSchema(s);
  return describe(base) + (nullable ? ' or null' : '');
}

/**
 * A setting's schema as JSON Schema (the form VS Code's settings editor and HTML inputs understand): the non-null
 * part, and whether null is allowed too. Bounds at the safe-integer limits (zod's `int` defaults) are dropped.
 */
export function settingJsonSchema(s: Pick<SettingSpec, 'schema'>): { nullable: boolean; base: JsonSchemaLike } {
  const j = z.toJSONSchema(s.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaLike;
  const nullable = Array.isArray(j.anyOf) && j.anyOf.some((a) => a.type === 'null');
  const base = { ...(nullable ? (j.anyOf ?? []).find((a) => a.type !== 'null') ?? {} : j) };
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
    const v = base[k];
    if (v !== undefined && Math.abs(v) >= Number.MAX_SAFE_INTEGER) delete base[k];
  }
  delete base.anyOf;
  delete base.$schema;
  return { nullable, base };
}

export interface JsonSchemaLike {
  $schema?: string;
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  anyOf?: JsonSchemaLike[];
}

function describe(j: JsonSchemaLike): string {
  if (j.enum) return `one of ${j.enum.join(', ')}`;
  if (j.type === 'boolean') return 'true or false';
  if (j.type === 'string') return (j.minLength ? 'a non-empty string' : 'a string') + (j.maxLength !== undefined ? ` of at most ${j.maxLength} characters` : '');
  const what = j.type === 'integer' ? 'an integer' : 'a number';
  const lo = j.minimum ?? j.exclusiveMinimum;
  const hi = j.maximum ?? j.exclusiveMaximum;
  const safe = (v: number | undefined): boolean => v !== undefined;
  if (safe(lo) && safe(hi)) return `${what} in ${j.exclusiveMinimum !== undefined ? '(' : '['}${lo}, ${hi}${j.exclusiveMaximum !== undefined ? ')' : ']'}`;
  if (safe(lo)) return `${what} ${j.exclusiveMinimum !== undefined ? '>' : '≥'} ${lo}`;
  if (safe(hi)) return `${what} ${j.exclusiveMaximum !== undefined ? '<' : '≤'} ${hi}`;
  return what;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as an error message shows it; JSON.stringify would print NaN and Infinity as `null`. */
function shown(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Checks one setting's value; the error names the key in the caller's words. */
export function checkSetting(key: RunSettingKey, value: unknown, naming: SettingNaming = 'field'): ConfigError | { value: unknown } {
  const s: SettingSpec = RUN_SETTINGS[key];
  const r = s.schema.safeParse(value);
  return r.success ? { value: r.data } : new ConfigError(key, `${settingName(key, naming)} must be ${expectation(s)} (got ${shown(value)})`);
}

/**
 * Checks every key of a partial config and keeps going: the valid settings typed, and one ConfigError per bad key
 * (unknown keys included), so a caller can report all of them at once.
 */
export function collectRunConfigPatch(input: unknown, naming: SettingNaming = 'field'): { patch: Partial<RunConfig>; errors: ConfigError[] } {
  if (input === undefined || input === null) return { patch: {}, errors: [] };
  if (!isRecord(input)) return { patch: {}, errors: [new ConfigError('', `run settings must be an object (got ${shown(input)})`)] };
  const out: Record<string, unknown> = {};
  const errors: ConfigError[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(RUN_SETTINGS, key)) {
      errors.push(new ConfigError(key, `unknown run setting ${shown(key)} (known: ${RUN_SETTING_KEYS.join(', ')})`));
      continue;
    }
    const checked = checkSetting(key as RunSettingKey, value, naming);
    if (checked instanceof ConfigError) errors.push(checked);
    else out[key] = checked.value;
  }
  return { patch: out as Partial<RunConfig>, errors };
}

/** True when a ConfigError is about a key the table does not declare (a typo on the wire, not a bad value). */
export function isUnknownSetting(e: ConfigError): boolean {
  return !Object.hasOwn(RUN_SETTINGS, e.key);
}

/**
 * Checks a partial config (unknown keys refused, `undefined` values ignored) and returns it typed, without defaults.
 * Throws ConfigError naming the first bad key in the caller's words.
 */
export function validateRunConfigPatch(input: unknown, naming: SettingNaming = 'field'): Partial<RunConfig> {
  const { patch, errors } = collectRunConfigPatch(input, naming);
  if (errors.length > 0) throw errors[0];
  return patch;
}

/** Fills defaults into a partial config and validates every setting and the rules between them. */
export function resolveRunConfig(input: unknown, naming: SettingNaming = 'field'): RunConfig {
  const c: RunConfig = { ...DEFAULT_RUN_CONFIG, ...validateRunConfigPatch(input, naming) };
  if (c.method === 'disc' && c.lambda === 0) {
    throw new ConfigError('lambda', `${settingName('method', naming)} disc uses only the discrimination loss: ${settingName('lambda', naming)} must be > 0`);
  }
  return c;
}

/** True when `v` is a valid partial config (for type guards on messages; no throw). */
export function isRunConfigPatch(v: unknown): v is Partial<RunConfig> {
  return isRecord(v) && collectRunConfigPatch(v).errors.length === 0;
}

/**
 * Converts a setting's text (a CLI argument) to the typed value its schema expects: numbers for numeric settings,
 * `true`/`false` for booleans, `null` from `auto`/`null` where the setting is nullable. Range checks come later.
 */
export function parseSettingText(key: RunSettingKey, text: string): unknown {
  const s: SettingSpec = RUN_SETTINGS[key];
  const j = z.toJSONSchema(s.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaLike;
  const types = j.anyOf ? j.anyOf.map((a) => a.type) : [j.type];
  const t = text.trim();
  if (types.includes('null') && (t === 'auto' || t === 'null')) return null;
  if (types.includes('number') || types.includes('integer')) return t === '' ? text : Number(t);
  if (types.includes('boolean')) return t === 'true' ? true : t === 'false' ? false : text;
  return text;
}
