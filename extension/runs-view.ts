/**
 * The Runs view (`dcp.runs`, in the DCP activity-bar container): every run of the workspace, newest first, with the
 * actions package.json attaches to each status. The list comes from the server (`dcp/listRuns`); a running run's
 * progress comes from the RunTracker between refreshes, so the view follows a run without asking the server per event.
 */
import * as vscode from 'vscode';
import type { RunHistoryEntry } from '../protocol/lsp';
import { listRuns } from './commands/runs';
import { runItem, type RunNode } from './runs-tree-items';
import type { Services } from './services';

export const RUNS_VIEW = 'dcp.runs';

/** At most this often a running item is redrawn: runs emit hundreds of events a second during selection. */
const LIVE_REDRAW_MS = 500;
/** Run folders change in bursts (a run.json rename per layer, another window's run starting): one re-list per burst. */
const FOLDER_DEBOUNCE_MS = 1000;

export class RunsView implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private nodes: RunNode[] = [];
  private readonly changed = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly view: vscode.TreeView<RunNode>;
  private liveTimer: NodeJS.Timeout | undefined;
  private folderTimer: NodeJS.Timeout | undefined;
  /** Bumped per refresh, so a slow listing never overwrites a newer one. */
  private generation = 0;

  constructor(private readonly s: Services) {
    this.view = vscode.window.createTreeView(RUNS_VIEW, { treeDataProvider: this, showCollapseAll: false });
    const watcher = vscode.workspace.createFileSystemWatcher('**/.dcp-runs/*/run.json');
    const later = (): void => {
      clearTimeout(this.folderTimer);
      this.folderTimer = setTimeout(() => this.refresh(), FOLDER_DEBOUNCE_MS);
    };
    this.disposables.push(
      this.view, this.changed, watcher,
      watcher.onDidCreate(later), watcher.onDidDelete(later),
      s.runs.onDidStart(() => this.refresh()),
      s.runs.onDidEnd(() => this.refresh()),
      s.runs.onDidChange(() => this.redrawLiveSoon()),
      vscode.commands.registerCommand('dcp.refreshRuns', () => this.refresh()),
    );
  }

  /** Re-lists the runs from the server; the view redraws when the answer arrives. */
  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    const tracked = this.s.runs.get(node.entry.runId);
    const live = tracked?.status === 'running' ? tracked.progress : undefined;
    // The tracker has seen layers finish since the server listed the run.
    const e = live ? { ...node.entry, layersDone: Math.max(node.entry.layersDone, live.layersDone) } : node.entry;
    const spec = runItem(e, { now: Date.now(), live, inSession: tracked !== undefined });
    const item = new vscode.TreeItem(spec.label, vscode.TreeItemCollapsibleState.None);
    item.id = spec.id;
    item.description = spec.description;
    item.tooltip = new vscode.MarkdownString(spec.tooltip);
    item.contextValue = spec.contextValue;
    item.iconPath = new vscode.ThemeIcon(spec.icon.id, spec.icon.color ? new vscode.ThemeColor(spec.icon.color) : undefined);
    if (spec.command) item.command = { title: spec.command === 'dcp.showRunReport' ? 'Show Run Report' : 'Open Pruning Panel', command: spec.command, arguments: [e.runId] };
    return item;
  }

  async getChildren(node?: RunNode): Promise<RunNode[]> {
    if (node) return [];
    const generation = ++this.generation;
    let entries: RunHistoryEntry[];
    try {
      entries = await listRuns(this.s);
    } catch (e) {
      // The server is restarting or gone: keep what was shown; the crash handler tells the user.
      this.s.log.warn(`Could not list runs: ${(e as Error).message}`);
      return this.nodes;
    }
    if (generation === this.generation) {
      this.nodes = entries.map((entry) => ({ kind: 'dcpRun', entry }));
      void vscode.commands.executeCommand('setContext', 'dcp.hasRuns', this.nodes.length > 0);
    }
    return this.nodes;
  }

  /** Redraws the running items (their progress), at most every LIVE_REDRAW_MS. */
  private redrawLiveSoon(): void {
    if (this.liveTimer) return;
    this.liveTimer = setTimeout(() => {
      this.liveTimer = undefined;
      for (const node of this.nodes) if (node.entry.status === 'running') this.changed.fire(node);
    }, LIVE_REDRAW_MS);
  }

  dispose(): void {
    clearTimeout(this.liveTimer);
    clearTimeout(this.folderTimer);
    for (const d of this.disposables) d.dispose();
  }
}
