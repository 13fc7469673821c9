/**
 * The slice of the `vscode` API that PruningPanel uses, faked so its wiring is tested without VS Code. Importing this
 * module makes `require('vscode')` return the fake: import it before the module under test.
 */
import { promises as fsp } from 'node:fs';
import Module from 'node:module';

type Listener<T> = (value: T) => unknown;

class EventEmitter<T> {
  private listeners: Array<Listener<T>> = [];
  readonly event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

class Uri {
  private constructor(readonly path: string, readonly scheme = 'file') {}
  static file(path: string): Uri {
    return new Uri(path);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri([base.path, ...parts].join('/'), base.scheme);
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { path?: string }): Uri {
    return new Uri(change.path ?? this.path, this.scheme);
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

/** vscode.FileSystemError as the recipe writer tells a missing file from other failures. */
class FileSystemError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** workspace.fs over the real disk (paths of file URIs), with VS Code's error for a missing file. */
const fs = {
  readFile: async (u: Uri): Promise<Uint8Array> => {
    try {
      return await fsp.readFile(u.path);
    } catch (e) {
      throw (e as NodeJS.ErrnoException).code === 'ENOENT' ? new FileSystemError(u.path, 'FileNotFound') : e;
    }
  },
  writeFile: (u: Uri, data: Uint8Array): Promise<void> => fsp.writeFile(u.path, data),
  rename: (a: Uri, b: Uri): Promise<void> => fsp.rename(a.path, b.path),
  delete: (u: Uri): Promise<void> => fsp.rm(u.path),
};

/** A webview panel as the tests see it: what the panel set, what it posted, and switches to drive it. */
export class FakeWebviewPanel {
  readonly posted: unknown[] = [];
  visible = true;
  disposed = false;
  readonly messages = new EventEmitter<unknown>();
  readonly viewState = new EventEmitter<void>();
  readonly disposal = new EventEmitter<void>();
  readonly webview = {
    options: {} as Record<string, unknown>,
    html: '',
    cspSource: 'https://fake.vscode-cdn.net',
    asWebviewUri: (u: Uri) => ({ toString: () => `https://fake.vscode-cdn.net${u.path}` }),
    postMessage: async (m: unknown) => { this.posted.push(m); return true; },
    onDidReceiveMessage: this.messages.event,
  };
  readonly onDidChangeViewState = this.viewState.event;
  readonly onDidDispose = this.disposal.event;

  constructor(readonly viewType: string, readonly options: Record<string, unknown>) {}
  reveal(): void {}
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposal.fire();
  }
  /** VS Code hides a panel: with retainContextWhenHidden off its document is destroyed. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.viewState.fire();
  }
}

export const created: FakeWebviewPanel[] = [];
export const serializers = new Map<string, { deserializeWebviewPanel(p: FakeWebviewPanel, state: unknown): Promise<void> }>();

export const fakeVscode = {
  Uri,
  EventEmitter,
  FileSystemError,
  workspace: { fs },
  ViewColumn: { One: 1, Two: 2, Beside: -2 },
  window: {
    createWebviewPanel: (viewType: string, _title: string, _column: number, options: Record<string, unknown>) => {
      const panel = new FakeWebviewPanel(viewType, options);
      created.push(panel);
      return panel;
    },
    registerWebviewPanelSerializer: (viewType: string, s: { deserializeWebviewPanel(p: FakeWebviewPanel, state: unknown): Promise<void> }) => {
      serializers.set(viewType, s);
      return { dispose: () => serializers.delete(viewType) };
    },
  },
};

// tsx runs tests as CommonJS: route `require('vscode')` to the fake.
const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = loader._load.bind(loader);
loader._load = (request, parent, isMain) => (request === 'vscode' ? fakeVscode : load(request, parent, isMain));
