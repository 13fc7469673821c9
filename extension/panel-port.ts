/**
 * Connects the commands to the pruning panel (extension/panel). Until a panel host is available this falls
 * back to the log channel, so "Open Pruning Panel" is never a dead command.
 */
import type * as vscode from 'vscode';
import type { PanelPort, Services } from './services';

export function createPanelPort(s: Omit<Services, 'panel'>, _subs: vscode.Disposable[]): PanelPort {
  return {
    show: async (runId?: string) => {
      s.log.info(runId ? `Panel requested for run ${runId}` : 'Panel requested');
      s.log.show(true);
    },
  };
}
