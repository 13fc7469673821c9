/**
 * A JSON-RPC client for the integration tests: spawns the real server (`node --import tsx server/server.ts --stdio`)
 * and talks to it through vscode-jsonrpc with the protocol's typed handles. Tests wait on messages, never on sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection,
} from 'vscode-jsonrpc/node';
import {
  DidOpenTextDocumentNotification, ExitNotification, InitializedNotification, InitializeRequest, PublishDiagnosticsNotification,
  ShutdownRequest, type ClientCapabilities, type InitializeResult, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol';
import { RunEndedNotification, RunEventNotification, type DcpInitializationOptions, type RunEndedParams, type RunEventParams } from '../../../protocol/lsp';

const ROOT = join(__dirname, '..', '..', '..');
const TERMINAL: readonly string[] = ['runFinished', 'runFailed', 'runCancelled'];

export const fileUri = (path: string): string => pathToFileURL(path).href;

/** Resolves with the first value for which `pick` returns something, or rejects after `ms`. */
class Waiters<T> {
  private readonly seen: T[] = [];
  private readonly waiting = new Set<(v: T) => boolean>();
  push(v: T): void {
    this.seen.push(v);
    for (const w of [...this.waiting]) if (w(v)) this.waiting.delete(w);
  }
  all(): readonly T[] {
    return this.seen;
  }
  wait<R>(pick: (v: T) => R | undefined, ms: number, what: string): Promise<R> {
    for (const v of this.seen) {
      const r = pick(v);
      if (r !== undefined) return Promise.resolve(r);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const check = (v: T): boolean => {
        const r = pick(v);
        if (r === undefined) return false;
        clearTimeout(timer);
        resolve(r);
        return true;
      };
      this.waiting.add(check);
    });
  }
}

export class TestServer {
  readonly events = new Waiters<RunEventParams>();
  readonly ended = new Waiters<RunEndedParams>();
  readonly diagnostics = new Waiters<PublishDiagnosticsParams>();
  /** Everything the server wrote to stderr, for failure messages. */
  stderr = '';
  exitCode: number | null | undefined;

  private constructor(readonly connection: MessageConnection, private readonly child: ChildProcess) {
    connection.onNotification(RunEventNotification, (p) => this.events.push(p));
    connection.onNotification(RunEndedNotification, (p) => this.ended.push(p));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => this.diagnostics.push(p));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.on('exit', (code) => (this.exitCode = code));
  }

  /**
   * Spawns the server on stdio and completes the initialize handshake. `entry` defaults to the sources;
   * `dist/server.js` checks the bundle (which must find dist/worker.js next to it). `nodeArgs` go to node itself
   * (`--expose-gc` for the leak soak). `capabilities` = what this client claims to support (none by default).
   */
  static async start(
    options: DcpInitializationOptions = {}, entry = join(ROOT, 'server', 'server.ts'), ms = 60_000, nodeArgs: readonly string[] = [],
    capabilities: ClientCapabilities = {},
  ): Promise<{ server: TestServer; init: InitializeResult }> {
    const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...nodeArgs, ...loader, entry, '--stdio'], {
      cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A server that outlives its test (a failed assertion before stop(), a test timeout) must not outlive the run.
    const reap = (): void => { child.kill('SIGKILL'); };
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const server = new TestServer(connection, child);
    connection.listen();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server did not answer initialize within ${ms} ms; stderr:\n${server.stderr}`)), ms);
    });
    const died = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal}) before initialize; stderr:\n${server.stderr}`)));
    });
    try {
      const init = await Promise.race([timedOut, died, connection.sendRequest(InitializeRequest.type, {
        processId: process.pid, rootUri: null, capabilities, initializationOptions: options,
      })]);
      await connection.sendNotification(InitializedNotification.type, {});
      return { server, init };
    } catch (e) {
      await server.kill();
      throw e;
    } finally {
      clearTimeout(timer);
      died.catch(() => undefined);
    }
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  async open(uri: string, text: string, version = 1): Promise<void> {
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'json', version, text } });
  }

  /** The events of one run so far. */
  runEvents(runId: string): RunEventParams[] {
    return this.events.all().filter((e) => e.runId === runId);
  }

  /** The run's `nth` runEnded (0 = the first; a resumed run ends again). */
  waitEnded(runId: string, nth = 0, ms = 60_000): Promise<RunEndedParams> {
    let seen = 0;
    return this.ended.wait((p) => (p.runId === runId && seen++ === nth ? p : undefined), ms, `runEnded #${nth} of ${runId}`);
  }

  /** The first event of that type; rejects at once if the run ends without one. */
  async waitEvent(runId: string, type: RunEventParams['event']['type'], ms = 60_000): Promise<RunEventParams> {
    const hit = await this.events.wait(
      (p) => (p.runId === runId && (p.event.type === type || TERMINAL.includes(p.event.type)) ? p : undefined), ms, `${type} of ${runId}`,
    );
    if (hit.event.type !== type) throw new Error(`run ${runId} ended with ${JSON.stringify(hit.event)} before ${type}`);
    return hit;
  }

  /** Kills the process without a shutdown, as a crash would. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
    this.connection.dispose();
  }

  /** Polite shutdown, bounded: SIGTERM after 5 s without an exit, SIGKILL 5 s later. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const term = setTimeout(() => this.child.kill('SIGTERM'), 5000);
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    // Not awaited: a wedged server never answers, and the timers deal with it.
    void (async () => {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    })().catch(() => undefined);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
    this.connection.dispose();
  }
}
