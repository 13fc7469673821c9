/** The set-up most server tests share: a tiny model folder and a real server over stdio, for one describe block. */
import { after, before } from 'node:test';
import { makeTinyFixture, type TinyFixture } from './fixture';
import { fileUri, TestServer } from './lsp-client';

export interface TinyServer {
  server: TestServer;
  fixture: TinyFixture;
  /** file URI of the fixture's model.json */
  uri: string;
}

/** Registers before/after hooks in the current block; `set` receives the server once it has started. */
export function useTinyServer(set: (s: TinyServer) => void): void {
  let fixture: TinyFixture | undefined;
  let server: TestServer | undefined;
  before(async () => {
    fixture = await makeTinyFixture();
    ({ server } = await TestServer.start());
    set({ server, fixture, uri: fileUri(fixture.modelPath) });
  });
  after(async () => {
    await server?.stop();
    fixture?.cleanup();
  });
}
