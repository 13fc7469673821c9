/** The real server process inspecting .onnx files: the same summary request as for model.json, and clear errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import { DcpErrorCodes, InspectModelRequest } from '../../../protocol/lsp';
import { GraphBuilder } from '../../unit/onnx/onnx-builder';
import { fileUri, TestServer } from './lsp-client';

describe('DCP language server on ONNX models', () => {
  let server: TestServer;
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dcp-onnx-server-'));
    server = (await TestServer.start()).server;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('inspects a PyTorch export: NHWC input, its convs and which are prunable', async () => {
    const file = join(__dirname, '..', '..', 'fixtures', 'onnx', 'tiny_mobilenetv2.onnx');
    const summary = await server.connection.sendRequest(InspectModelRequest, { uri: fileUri(file) });
    assert.deepEqual(summary.inputShape, [28, 28, 1]);
    assert.equal(summary.numClasses, 10);
    assert.ok(summary.layers.some((l) => l.className === 'DepthwiseConv2D'));
    assert.ok(summary.prunable.length >= 2, `${summary.prunable.length} prunable`);
  });

  it('answers an .onnx with unsupported ops with ModelInvalid naming each node, and keeps serving', async () => {
    const g = new GraphBuilder([1, 1, 8, 8]);
    const a = g.node('Resize', [g.inputName], [], 'resize_1');
    const file = join(dir, 'bad.onnx');
    writeFileSync(file, g.encode([a], 13));
    await assert.rejects(server.connection.sendRequest(InspectModelRequest, { uri: fileUri(file) }), (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.equal(e.code, DcpErrorCodes.ModelInvalid);
      assert.match(e.message, /resize_1 \(Resize\): op is not supported/);
      return true;
    });
    writeFileSync(join(dir, 'junk.onnx'), 'not protobuf at all');
    await assert.rejects(server.connection.sendRequest(InspectModelRequest, { uri: fileUri(join(dir, 'junk.onnx')) }), /not a readable ONNX model/);
    assert.ok(server.alive);
  });
});
