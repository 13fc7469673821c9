/**
 * What the Runs view shows for one run: label, one-line description, Markdown tooltip, icon and the contextValue the
 * menus in package.json match on. Pure (no `vscode`), so every status's item is unit-tested; extension/runs-view.ts
 * turns the spec into a TreeItem.
 */
import type { RunHistoryEntry, RunStatus } from '../protocol/lsp';
import { compact, percent } from './render';

/** A tree element: the run as the server listed it. Menu commands receive this object as their argument. */
export interface RunNode {
  readonly kind: 'dcpRun';
  readonly entry: RunHistoryEntry;
}

export function isRunNode(arg: unknown): arg is RunNode {
  return typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'dcpRun'
    && typeof (arg as { entry?: { runId?: unknown } }).entry?.runId === 'string';
}

/** The run id a command argument names: a plain id (status bar, notifications, panel) or a Runs view node. */
export function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg !== '') return arg;
  return isRunNode(arg) ? arg.entry.runId : undefined;
}

/** A live run's progress as the RunTracker folds it. */
export interface LiveProgress {
  /** In [0, 1]. */
  fraction: number;
  message: string;
}

export interface RunItemSpec {
  /** Stable across refreshes, so selection and focus survive them. */
  id: string;
  label: string;
  description: string;
  /** Markdown; every user-supplied string in it is escaped. */
  tooltip: string;
  /** `dcpRun.<status>`, plus `.resumable` when dcp/resumeRun accepts it. */
  contextValue: string;
  icon: { id: string; color: string | undefined };
  /** What a click does; undefined = only select. */
  command: 'dcp.showRunReport' | 'dcp.openPanel' | undefined;
}

export interface ItemContext {
  /** Epoch ms, for "5 min ago". */
  now: number;
  /** Present for a run this window is following. */
  live: LiveProgress | undefined;
  /** Whether this window has the run's events (the panel can show it without asking the server). */
  inSession: boolean;
}

const ICON: Record<RunStatus, RunItemSpec['icon']> = {
  running: { id: 'sync~spin', color: undefined },
  finished: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
  interrupted: { id: 'debug-pause', color: 'list.warningForeground' },
};

/** The model's folder name, e.g. `resnet` for …/examples/resnet/model.json. */
export function modelName(modelUri: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(modelUri).pathname);
  } catch {
    path = modelUri;
  }
  const parts = path.split('/').filter((p) => p !== '');
  const file = parts[parts.length - 1] ?? '';
  if (/\.onnx$/i.test(file)) return file.replace(/\.onnx$/i, '');
  return parts.length >= 2 ? parts[parts.length - 2] : 'model';
}

/** "just now", "12 min ago", "3 h ago", "4 d ago", then the date. */
export function ago(then: number, now: number): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 45) return 'just now';
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 14) return `${d} d ago`;
  return new Date(then).toISOString().slice(0, 10);
}

/** 118 → "1 min 58 s". */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Backslash-escapes Markdown's punctuation so paths and error messages show as typed. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

function drop(before: number, after: number): string {
  return before > 0 ? `−${Math.round((1 - after / before) * 100)}%` : '–';
}

/** A run whose config.json is unreadable still lists (with the reason in its tooltip), without method or rate. */
function methodOf(e: RunHistoryEntry): string {
  return e.config ? `${e.config.method} η ${e.config.rate}` : 'settings unreadable';
}

function summaryOf(e: RunHistoryEntry, ctx: ItemContext): string {
  switch (e.status) {
    case 'running': {
      const p = ctx.live;
      return p ? `${Math.round(p.fraction * 100)}% · ${e.layersDone > 0 ? `${e.layersDone} layers done · ` : ''}started ${ago(e.startedAt, ctx.now)}` : `running · started ${ago(e.startedAt, ctx.now)}`;
    }
    case 'finished': {
      const o = e.outcome;
      const acc = o && o.accuracyAfter !== null ? ` · ${percent(o.accuracyAfter)}` : '';
      return `${o ? `FLOPs ${drop(o.flopsBefore, o.flopsAfter)}${acc} · ` : ''}${ago(e.endedAt ?? e.startedAt, ctx.now)}`;
    }
    case 'failed':
      return `failed · ${ago(e.endedAt ?? e.startedAt, ctx.now)}`;
    case 'cancelled':
      return `cancelled after ${e.layersDone} layers · ${ago(e.endedAt ?? e.startedAt, ctx.now)}`;
    case 'interrupted':
      return `interrupted after ${e.layersDone} layers · ${ago(e.startedAt, ctx.now)}`;
  }
}

function tooltipOf(e: RunHistoryEntry, ctx: ItemContext): string {
  const settings = e.config ? `${escapeMarkdown(e.config.method)}, η = ${e.config.rate}` : escapeMarkdown(e.message ?? 'config.json unreadable');
  const lines = [`**${escapeMarkdown(modelName(e.modelUri))}** · ${settings} · **${e.status}**`];
  const o = e.outcome;
  if (e.status === 'running' && ctx.live) lines.push(`${Math.round(ctx.live.fraction * 100)}% · ${escapeMarkdown(ctx.live.message)}`);
  if (o) {
    lines.push(`Params ${compact(o.paramsBefore)} → ${compact(o.paramsAfter)} (${drop(o.paramsBefore, o.paramsAfter)}) · FLOPs ${compact(o.flopsBefore)} → ${compact(o.flopsAfter)} (${drop(o.flopsBefore, o.flopsAfter)})`);
    lines.push(`Accuracy ${percent(o.accuracyBefore)} → ${percent(o.accuracyAfter)} · took ${duration(o.seconds)}`);
  }
  if (e.status === 'failed' && e.message) lines.push(`Failed: ${escapeMarkdown(e.message)}`);
  if (e.resumable) lines.push(`${e.layersDone} layers done; **Resume** continues after the last finished one.`);
  lines.push(`Started ${escapeMarkdown(new Date(e.startedAt).toLocaleString())} · run \`${e.runId}\``);
  lines.push(`History: ${escapeMarkdown(e.runDir)}`);
  if (e.status === 'finished') lines.push(`Pruned model: ${escapeMarkdown(e.outDir)}`);
  return lines.join('\n\n');
}

/** The tree item of one run. */
export function runItem(e: RunHistoryEntry, ctx: ItemContext): RunItemSpec {
  const command = e.status === 'finished' ? 'dcp.showRunReport' : e.status === 'running' || ctx.inSession ? 'dcp.openPanel' : undefined;
  return {
    id: e.runId,
    label: modelName(e.modelUri),
    description: `${methodOf(e)} · ${summaryOf(e, ctx)}`,
    tooltip: tooltipOf(e, ctx),
    contextValue: `dcpRun.${e.status}${e.resumable ? '.resumable' : ''}`,
    icon: ICON[e.status],
    command,
  };
}
