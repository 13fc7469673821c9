/**
 * Errors become messages a person can act on: every failure shown to the user carries "Show log" and, when a
 * model is involved, "Open model". The full error (with stack) goes to the log channel.
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { DcpErrorCodes } from '../protocol/lsp';

const SHOW_LOG = 'Show log';
const OPEN_MODEL = 'Open model';

/** A short prefix for the server's error codes; the server's message already says what is wrong. */
function prefix(code: number): string {
  switch (code) {
    case DcpErrorCodes.ModelNotFound: return 'Model not found';
    case DcpErrorCodes.ModelInvalid: return 'Not a TF.js Layers model';
    case DcpErrorCodes.RunNotFound: return 'Unknown run';
    case DcpErrorCodes.RunState: return 'Run not available';
    case DcpErrorCodes.ConfigInvalid: return 'Invalid setting';
    default: return 'DCP server error';
  }
}

/** One line for a notification; ResponseErrors from the server keep their message, prefixed by their kind. */
export function describeError(e: unknown): string {
  if (e instanceof ResponseError) return `${prefix(e.code)}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

export class ErrorReporter {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  /**
   * Logs the error and shows it with its actions; resolves once the user picked one or closed the toast,
   * but callers normally do not wait for that.
   */
  async show(what: string, error: unknown, modelUri?: vscode.Uri): Promise<void> {
    const detail = describeError(error);
    this.log.error(`${what}: ${detail}`);
    if (error instanceof Error && error.stack) this.log.debug(error.stack);
    const actions = modelUri ? [SHOW_LOG, OPEN_MODEL] : [SHOW_LOG];
    const picked = await vscode.window.showErrorMessage(`DCP: ${what}. ${detail}`, ...actions);
    if (picked === SHOW_LOG) this.log.show(true);
    if (picked === OPEN_MODEL && modelUri) await vscode.window.showTextDocument(modelUri);
  }

  /** Runs `task`, reporting (not rethrowing) its failure: command handlers must never leave an unhandled rejection. */
  async guard<T>(what: string, task: () => Promise<T>, modelUri?: vscode.Uri): Promise<T | undefined> {
    try {
      return await task();
    } catch (e) {
      void this.show(what, e, modelUri);
      return undefined;
    }
  }
}
