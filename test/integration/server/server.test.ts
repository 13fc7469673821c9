/**
 * The real server process over JSON-RPC: initialize, inspect, error responses for bad models and bad params (the
 * server survives them), and the language features on a model.json document.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import {
  CodeLensRequest, DocumentSymbolRequest, ErrorCodes, HoverRequest, type DocumentSymbol, type MarkupContent,
} from 'vscode-languageserver-protocol';
import { DcpCommands, DcpErrorCodes, InspectModelRequest, ListRunsRequest, ResumeRunRequest, StartRunRequest } from '../../../protocol/lsp';
import { recipePathFor } from '../../../protocol/recipe';
import { makeTinyFixture, type TinyFixture } from './fixture';
import { fileUri, TestServer } from './lsp-client';

async function rejectsWith(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ResponseError, `expected a ResponseError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('DCP language server', () => {
  let server: TestServer;
  let fixture: TinyFixture;
  let capabilities: Awaited<ReturnType<typeof TestServer.start>>['init']['capabilities'];

  before(async () => {
    fixture = await makeTinyFixture();
    const started = await TestServer.start();
    server = started.server;
    capabilities = started.init.capabilities;
  });
  after(async () => {
    await server?.stop();
    fixture?.cleanup();
  });

  it('initializes with hover, CodeLens and document symbols', () => {
    assert.equal(capabilities.hoverProvider, true);
    assert.equal(capabilities.documentSymbolProvider, true);
    assert.ok(capabilities.codeLensProvider);
  });

  it('inspects a model', async () => {
    const summary = await server.connection.sendRequest(InspectModelRequest, { uri: fileUri(fixture.modelPath) });
    assert.deepEqual(summary.inputShape, [8, 8, 1]);
    assert.equal(summary.numClasses, 3);
    assert.deepEqual(summary.layers.filter((l) => l.className === 'Conv2D').map((l) => l.name), ['conv1', 'conv2', 'conv3']);
    assert.ok(summary.prunable.length > 0, 'some conv is prunable');
    assert.ok(summary.totalParams > 0 && summary.totalFlops > 0);
  });

  it('answers a missing model with ModelNotFound and keeps serving', async () => {
    await rejectsWith(server.connection.sendRequest(InspectModelRequest, { uri: fileUri(join(fixture.dir, 'nope', 'model.json')) }), DcpErrorCodes.ModelNotFound);
    await rejectsWith(
      server.connection.sendRequest(StartRunRequest, { uri: fileUri(join(fixture.dir, 'nope', 'model.json')) }), DcpErrorCodes.ModelNotFound,
    );
    assert.ok(server.alive);
  });

  it('answers a malformed model with ModelInvalid naming the place', async () => {
    const dir = join(fixture.dir, 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), '{"format": "layers-model", "modelTopology": {');
    await rejectsWith(server.connection.sendRequest(InspectModelRequest, { uri: fileUri(join(dir, 'model.json')) }), DcpErrorCodes.ModelInvalid, /line 1/);
    await rejectsWith(server.connection.sendRequest(StartRunRequest, { uri: fileUri(join(dir, 'model.json')) }), DcpErrorCodes.ModelInvalid);
    assert.ok(server.alive);
  });

  it('refuses bad params and bad configs with an error response', async () => {
    const uri = fileUri(fixture.modelPath);
    await rejectsWith(server.connection.sendRequest(InspectModelRequest, { uri: 'https://example.com/model.json' }), ErrorCodes.InvalidParams, /file: URI/);
    await rejectsWith(server.connection.sendRequest(StartRunRequest, { uri, config: { rate: 2 } }), DcpErrorCodes.ConfigInvalid, /rate/);
    await rejectsWith(server.connection.sendRequest(StartRunRequest, { uri, outDir: 'relative/dir' }), ErrorCodes.InvalidParams, /outDir/);
    assert.deepEqual(await server.connection.sendRequest(ListRunsRequest, { uri }), []);
    assert.ok(server.alive);
  });

  it('refuses a config value of the wrong type (the string "false" for a boolean) with ConfigInvalid naming it', async () => {
    const uri = fileUri(fixture.modelPath);
    await rejectsWith(
      server.connection.sendRequest(StartRunRequest, { uri, config: { stageFinetune: 'false' } as never }), DcpErrorCodes.ConfigInvalid,
      /stageFinetune must be true or false \(got "false"\)/,
    );
    assert.deepEqual(await server.connection.sendRequest(ListRunsRequest, { uri }), [], 'no run was created');
  });

  it('lists a run whose config.json is corrupt with the reason, not resumable, and keeps serving', async () => {
    const dir = join(fixture.dir, 'corrupt-history');
    const runDir = join(dir, '.dcp-runs', '20250101-120000-ab12');
    mkdirSync(runDir, { recursive: true });
    copyFileSync(fixture.modelPath, join(dir, 'model.json'));
    const uri = fileUri(join(dir, 'model.json'));
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({
      schema: 'dcp-run/1', runId: '20250101-120000-ab12', modelUri: uri, modelPath: join(dir, 'model.json'), outDir: join(runDir, 'output'),
      status: 'cancelled', startedAt: 1, endedAt: 2, layersDone: 0, outcome: null, message: null,
    }));
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({ rate: 7 }));
    const [entry] = await server.connection.sendRequest(ListRunsRequest, { uri });
    assert.equal(entry?.runId, '20250101-120000-ab12');
    assert.equal(entry.config, null);
    assert.equal(entry.resumable, false);
    assert.match(entry.message ?? '', /config\.json is broken: rate must be a number in \[0, 1\) \(got 7\)/);
    await rejectsWith(server.connection.sendRequest(ResumeRunRequest, { runId: entry.runId, uri }), DcpErrorCodes.RunState, /config\.json is broken/);
    assert.ok(server.alive);
  });

  describe('on a model.json document', () => {
    const text = (fx: TinyFixture) => JSON.stringify(JSON.parse(readFileSync(fx.modelPath, 'utf8')), null, 2);

    it('offers the layers as outline, the model and budget lenses and layer hovers', async () => {
      const uri = fileUri(fixture.modelPath);
      const body = text(fixture);
      await server.open(uri, body);
      const symbols = (await server.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
      assert.deepEqual(symbols.map((s) => s.name), ['input', 'conv1', 'conv2', 'conv3', 'pool', 'logits']);
      assert.deepEqual(symbols.map((s) => s.detail), ['InputLayer', 'Conv2D', 'Conv2D', 'Conv2D', 'GlobalAveragePooling2D', 'Dense']);
      const conv2 = symbols[2];

      const lenses = await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
      // The three model lenses (prune, inspect, sensitivity), then one budget lens per prunable conv on its name (conv2 and conv3; conv1 is the stem).
      assert.deepEqual(lenses?.map((l) => [l.command?.command, l.command?.arguments]), [
        [DcpCommands.pruneModel, [uri]], [DcpCommands.inspectModel, [uri]], [DcpCommands.layerSensitivity, [uri]],
        [DcpCommands.setLayerBudget, [{ uri, layer: 'conv2' }]], [DcpCommands.setLayerBudget, [{ uri, layer: 'conv3' }]],
      ]);
      assert.deepEqual(lenses?.[3].range.start, conv2.selectionRange.start);
      assert.equal(lenses?.[3].command?.title, 'DCP budget: run rate');
      // The recipe next to the model is read at request time.
      const recipeFile = recipePathFor(fixture.modelPath);
      writeFileSync(recipeFile, JSON.stringify({ version: 1, layers: { conv2: { rate: 0.25 }, conv3: { prune: false } } }));
      const withRecipe = await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
      assert.deepEqual(withRecipe?.slice(3).map((l) => l.command?.title), ['DCP budget: rate 0.25', 'DCP budget: never prune']);
      writeFileSync(recipeFile, JSON.stringify({ version: 1, layers: { conv2: { rate: 4 } } }));
      const broken = await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
      assert.match(broken?.[3].command?.title ?? '', /^DCP recipe invalid: .*"rate" must be a number in \[0, 1\)/);
      rmSync(recipeFile);

      const hover = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: conv2.selectionRange.start });
      const value = (hover?.contents as MarkupContent).value;
      assert.match(value, /\*\*conv2\*\*/);
      assert.match(value, /params: 296/); // 3·3·4·8 + 8
      assert.match(value, /prunable|not prunable/);
      const off = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } });
      assert.equal(off, null);
    });

    it('puts diagnostics on malformed JSON and on a missing shard', async () => {
      const dir = join(fixture.dir, 'doc');
      mkdirSync(dir, { recursive: true });
      const malformed = fileUri(join(dir, 'a.json'));
      await server.open(malformed, '{\n  "format": "layers-model",\n  "modelTopology": [1, 2,,]\n}');
      const d1 = await server.diagnostics.wait((p) => (p.uri === malformed ? p.diagnostics : undefined), 10_000, 'diagnostics of a.json');
      assert.equal(d1.length, 1);
      assert.deepEqual(d1[0].range.start, { line: 2, character: 25 });

      const missing = fileUri(join(dir, 'model.json'));
      const good = JSON.parse(text(fixture)) as { weightsManifest: { paths: string[] }[] };
      good.weightsManifest[0].paths = ['gone.bin'];
      const body = JSON.stringify(good, null, 2);
      await server.open(missing, body);
      const d2 = await server.diagnostics.wait((p) => (p.uri === missing ? p.diagnostics : undefined), 10_000, 'diagnostics of model.json');
      assert.equal(d2.length, 1);
      assert.match(d2[0].message, /gone\.bin/);
      const line = body.split('\n').findIndex((l) => l.includes('"gone.bin"'));
      assert.equal(d2[0].range.start.line, line);
    });

    it('puts diagnostics on an unknown layer class and on a weight-shape mismatch', async () => {
      const dir = join(fixture.dir, 'tiny');
      type Json = {
        modelTopology: { config: { layers: { class_name: string; name: string }[] } };
        weightsManifest: { weights: { name: string; shape: number[] }[] }[];
      };
      const unknown = JSON.parse(text(fixture)) as Json;
      unknown.modelTopology.config.layers.find((l) => l.name === 'pool')!.class_name = 'FancyPool';
      const unknownUri = fileUri(join(dir, 'unknown.json'));
      const unknownBody = JSON.stringify(unknown, null, 2);
      await server.open(unknownUri, unknownBody);
      const d1 = await server.diagnostics.wait((p) => (p.uri === unknownUri ? p.diagnostics : undefined), 10_000, 'diagnostics of unknown.json');
      assert.equal(d1.length, 1);
      assert.match(d1[0].message, /FancyPool/);
      assert.equal(d1[0].range.start.line, unknownBody.split('\n').findIndex((l) => l.includes('"FancyPool"')));

      const shape = JSON.parse(text(fixture)) as Json;
      const kernel = shape.weightsManifest[0].weights.find((w) => w.name.startsWith('conv2/'))!;
      kernel.shape = [3, 3, 4, 7];
      const shapeUri = fileUri(join(dir, 'shape.json'));
      const shapeBody = JSON.stringify(shape, null, 1);
      await server.open(shapeUri, shapeBody);
      const d2 = await server.diagnostics.wait((p) => (p.uri === shapeUri ? p.diagnostics : undefined), 10_000, 'diagnostics of shape.json');
      assert.equal(d2.length, 1);
      assert.match(d2[0].message, /\[3, 3, 4, 7\].*\[3, 3, 4, 8\]/);
      const nameLine = shapeBody.split('\n').findIndex((l) => l.includes(`"${kernel.name}"`));
      assert.ok(d2[0].range.start.line > nameLine && d2[0].range.start.line < nameLine + 4, 'on the shape of that weight');
    });
  });
});
