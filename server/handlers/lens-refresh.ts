/**
 * Budget CodeLenses follow the recipe file. The lenses read `<model>.dcp-recipe.json` at request time, but VS Code
 * only asks again when the model.json changes; a recipe edited from the panel, by the Set Layer Budget command or by
 * hand would leave stale titles. The client watches every `*.dcp-recipe.json` in the workspace (extension/client.ts, synchronize.fileEvents)
 * and forwards the changes; on one that touches a recipe the server asks the client to re-request every CodeLens
 * (`workspace/codeLens/refresh`), when the client said it supports that.
 */
import type { Connection, FileEvent } from 'vscode-languageserver';
import { CodeLensRefreshRequest, type ClientCapabilities } from 'vscode-languageserver';

/** True when one of the changed files is a recipe (the suffix protocol/recipe.ts' recipePathFor gives). */
export function touchesRecipe(changes: readonly FileEvent[]): boolean {
  return changes.some((c) => c.uri.toLowerCase().endsWith('.dcp-recipe.json'));
}

export function canRefreshLenses(capabilities: ClientCapabilities): boolean {
  return capabilities.workspace?.codeLens?.refreshSupport === true;
}

/**
 * Registers the watched-files handler. `supported` is read per event: the capabilities arrive with `initialize`,
 * after registration. A refresh the client fails (e.g. while it shuts down) is logged, never thrown.
 */
export function registerLensRefresh(connection: Connection, supported: () => boolean): void {
  connection.onDidChangeWatchedFiles(({ changes }) => {
    if (!supported() || !touchesRecipe(changes)) return;
    connection.sendRequest(CodeLensRefreshRequest.type).then(undefined, (e: unknown) => {
      connection.console.warn(`workspace/codeLens/refresh failed: ${e instanceof Error ? e.message : String(e)}`);
    });
  });
}
