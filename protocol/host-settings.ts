/**
 * The settings only the VS Code extension reads (where outputs go, how the server process starts). Declared in the
 * same shape as the run settings in settings.ts, without a CLI flag, so package.json's `contributes.configuration`
 * and docs/settings.md are generated from the two tables together (scripts/settings-manifest.ts).
 */
import * as z from 'zod';
import type { SettingSpec } from './settings';

/** Sections of the settings editor after the run settings' groups. */
export const HOST_SETTING_GROUPS = ['Output', 'Server'] as const;
export type HostSettingGroup = (typeof HOST_SETTING_GROUPS)[number];

export type HostSettingSpec<S extends z.ZodType = z.ZodType> = Omit<SettingSpec<S>, 'flag' | 'group' | 'metavar'> & { group: HostSettingGroup };

function spec<S extends z.ZodType>(s: HostSettingSpec<S>): HostSettingSpec<S> {
  return s;
}

export const TRACE_LEVELS = ['off', 'messages', 'verbose'] as const;

export const HOST_SETTINGS = {
  outputFolder: spec({ schema: z.string(), default: '', setting: 'outputFolder', group: 'Output', scope: 'resource', restricted: true,
    description: 'Folder for pruned models, relative to the workspace folder; each run writes `<folder>/<model>-<method>-<time>/model.json` and `report.json`. Empty = inside the run\'s history folder.' }),
  runsFolder: spec({ schema: z.string(), default: '', setting: 'runsFolder', group: 'Output', scope: 'window', restricted: true,
    description: 'Folder for the history of every run (config, event log, checkpoints for resuming). Empty = `.dcp-runs/` next to each model. Applies after a window reload.' }),
  memoryCapMB: spec({ schema: z.int().min(0).max(1_048_576), default: 0, setting: 'memoryCapMB', group: 'Server', scope: 'machine', restricted: true,
    description: 'Heap cap of the pruning server in MB (Node `--max-old-space-size`); 0 = Node\'s default. Runs plan their memory (micro-batches, spilled caches) to fit it as well as the WASM heap\'s 4 GiB. Applies after a window reload.' }),
  traceServer: spec({ schema: z.enum(TRACE_LEVELS), default: 'off', setting: 'trace.server', group: 'Server', scope: 'window',
    enumDescriptions: ['No tracing.', 'Log each message\'s name.', 'Log each message with its parameters.'],
    description: 'Traces the messages between VS Code and the pruning server in the **DCP Pruning** output channel.' }),
} satisfies Record<string, HostSettingSpec>;
