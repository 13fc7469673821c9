/** Positions of layers in model.json text, and the content of hovers, lenses and symbols built from them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SymbolKind } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DcpCommands } from '../../../protocol/lsp';
import type { LayerInfo } from '../../../protocol/model';
import { layerHoverMarkdown, layerHoverTarget, layerSymbols, modelLenses } from '../../../server/handlers/language';
import { layerAtNameOffset, looksLikeLayersModel, outlineModel, type ModelOutline } from '../../../server/handlers/model-outline';
import { toDiagnostics } from '../../../server/handlers/documents';
import { validateModelJsonText } from '../../../server/io/model-json';

/** The outline of a text that has one. */
function outline(text: string): ModelOutline {
  const o = outlineModel(text);
  assert.ok(o, 'the text has a tree');
  return o;
}

const layer = (cls: string, name: string) => ({ class_name: cls, config: { name } });
const tfjsText = JSON.stringify({
  format: 'layers-model',
  modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: [layer('Conv2D', 'c1'), layer('Dense', 'out')] } },
  weightsManifest: [],
}, null, 2);
const kerasText = JSON.stringify({
  format: 'layers-model',
  modelTopology: { keras_version: '2', model_config: { class_name: 'Functional', config: { layers: [{ name: 'in', ...layer('InputLayer', 'in') }] } } },
}, null, 2);
const legacyText = JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: [layer('Conv2D', 'only')] } });

describe('outlineModel', () => {
  it('finds tfjs layers with the offsets of their names', () => {
    const o = outline(tfjsText);
    assert.equal(o.format, 'layers-model');
    assert.deepEqual(o.layers.map((l) => [l.name, l.className]), [['c1', 'Conv2D'], ['out', 'Dense']]);
    const c1 = o.layers[0];
    assert.equal(tfjsText.slice(c1.nameOffset, c1.nameOffset + c1.nameLength), '"c1"');
    assert.equal(tfjsText[c1.offset], '{');
    assert.equal(tfjsText[c1.offset + c1.length - 1], '}');
  });

  it('reads the Keras-converter and legacy Sequential topologies', () => {
    const [input] = outline(kerasText).layers;
    assert.equal(input.name, 'in');
    assert.equal(input.nameRanges.length, 2, 'a functional layer is hoverable on both of its names');
    assert.deepEqual(outline(legacyText).layers.map((l) => l.name), ['only']);
  });

  it('has no layers for other JSON, and none at all for an empty text', () => {
    assert.deepEqual(outline('{"a": 1}').layers, []);
    assert.equal(outlineModel(''), undefined);
  });

  it('still outlines the layers that parse when another line is broken', () => {
    const broken = tfjsText.replace('"weightsManifest": []', '"weightsManifest": [,');
    const o = outline(broken);
    assert.ok(o.syntaxErrors > 0);
    assert.deepEqual(o.layers.map((l) => l.name), ['c1', 'out']);
    const c1 = o.layers[0];
    assert.equal(broken.slice(c1.nameOffset, c1.nameOffset + c1.nameLength), '"c1"');
  });

  it('hits a layer only on its name string', () => {
    const { layers } = outline(tfjsText);
    const c1 = layers[0];
    assert.equal(layerAtNameOffset(layers, c1.nameOffset + 1)?.layer.name, 'c1');
    assert.equal(layerAtNameOffset(layers, c1.offset), undefined);
  });

  it('recognises a layers model by its format', () => {
    assert.ok(looksLikeLayersModel(tfjsText));
    assert.ok(!looksLikeLayersModel('{"format": "graph-model"}'));
  });
});

describe('layer hover', () => {
  const loc = outline(tfjsText).layers[0];
  const info: LayerInfo = {
    name: 'c1', className: 'Conv2D', inboundLayers: ['input'], outputShape: [8, 8, 16], params: 1168, flops: 73728,
    prunable: false, reason: 'it reads the network input', inChannels: 8, outChannels: 16,
  };

  it('shows type, shape, params, FLOPs and why the conv is not prunable', () => {
    const md = layerHoverMarkdown(loc, info, undefined);
    assert.match(md, /\*\*c1\*\* · `Conv2D`/);
    assert.match(md, /\[8, 8, 16\]/);
    assert.match(md, /params: 1,168 · FLOPs: 73,728/);
    assert.match(md, /not prunable — it reads the network input/);
    assert.match(md, /8 in → 16 out/);
  });

  it('shows the last run\'s kept channels', () => {
    const result = { layer: 'c1', stage: 0, inChannels: 8, kept: [0, 3, 5], lossM: 0, lossS: 0, iterations: 3, removedWith: [], seconds: 1 };
    assert.match(layerHoverMarkdown(loc, { ...info, prunable: true }, { runId: 'r1', result }), /`r1`: kept 3 of 8 input channels: 0, 3, 5/);
  });

  it('still names the layer when the model could not be summarised', () => {
    assert.match(layerHoverMarkdown(loc, undefined, undefined), /\*\*c1\*\* · `Conv2D`/);
  });
});

describe('symbols, lenses and diagnostics', () => {
  const doc = TextDocument.create('file:///m/model.json', 'json', 1, tfjsText);

  it('outlines the layers with the name as selection', () => {
    const symbols = layerSymbols(outline(tfjsText), doc);
    assert.deepEqual(symbols.map((s) => [s.name, s.detail, s.kind]), [['c1', 'Conv2D', SymbolKind.Function], ['out', 'Dense', SymbolKind.Object]]);
    assert.equal(doc.getText(symbols[0].selectionRange), '"c1"');
  });

  it('offers Prune, Inspect and Sensitivity at the top with the uri', () => {
    const lenses = modelLenses(doc.uri);
    assert.deepEqual(lenses.map((l) => l.command?.command), [DcpCommands.pruneModel, DcpCommands.inspectModel, DcpCommands.layerSensitivity]);
    assert.deepEqual(lenses[2].command?.arguments, [doc.uri]);
    assert.deepEqual(lenses[0].command?.arguments, [doc.uri]);
    assert.equal(lenses[0].range.start.line, 0);
  });

  it('turns offsets into ranges, at least one character wide', () => {
    const at = tfjsText.indexOf('"c1"');
    const [d] = toDiagnostics(doc, [{ message: 'm', offset: at, length: 0, severity: 'warning' }]);
    assert.equal(doc.getText(d.range), '"');
    assert.equal(d.severity, 2);
  });
});

/** A hand-formatted model.json, so the expected lines and characters below can be read off the text. */
const multiLine = [
  '{',
  '  "format": "layers-model",',
  '  "modelTopology": {',
  '    "class_name": "Sequential",',
  '    "config": {',
  '      "name": "m",',
  '      "layers": [',
  '        {',
  '          "class_name": "Conv2D",',
  '          "config": {"name": "conv1", "filters": 4}',
  '        },',
  '        {"class_name": "Dense", "config": {"name": "logits"}}',
  '      ]',
  '    }',
  '  },',
  '  "weightsManifest": []',
  '}',
];
const pos = (line: number, character: number) => ({ line, character });

for (const eol of ['\n', '\r\n']) {
  describe(`positions in a multi-line model.json (${JSON.stringify(eol)} line ends)`, () => {
    const text = multiLine.join(eol);
    const doc = TextDocument.create('file:///m/model.json', 'json', 1, text);

    it('outlines each layer object, with its name string as the selection', () => {
      const symbols = layerSymbols(outline(text), doc);
      assert.deepEqual(symbols.map((s) => [s.name, s.range, s.selectionRange]), [
        ['conv1', { start: pos(7, 8), end: pos(10, 9) }, { start: pos(9, 29), end: pos(9, 36) }],
        ['logits', { start: pos(11, 8), end: pos(11, 61) }, { start: pos(11, 51), end: pos(11, 59) }],
      ]);
    });

    it('hovers on a layer name, through to just after its closing quote, and nowhere else', () => {
      const o = outline(text);
      const conv1 = { start: pos(9, 29), end: pos(9, 36) };
      assert.deepEqual(layerHoverTarget(o, doc, pos(9, 31))?.range, conv1);
      assert.equal(layerHoverTarget(o, doc, pos(9, 29))?.layer.name, 'conv1');
      assert.equal(layerHoverTarget(o, doc, pos(9, 36))?.layer.name, 'conv1');
      assert.equal(layerHoverTarget(o, doc, pos(9, 28)), undefined);
      assert.equal(layerHoverTarget(o, doc, pos(8, 25)), undefined, 'the class name is not a hover target');
      assert.deepEqual(layerHoverTarget(o, doc, pos(11, 55)), { layer: o.layers[1], range: { start: pos(11, 51), end: pos(11, 59) } });
    });

    it('puts one diagnostic on each of three syntax mistakes, at its exact range', () => {
      const lines = [...multiLine];
      lines[5] = "      \"name\": 'm',";
      lines[9] = '          "config": {"name": "conv1", "filters": 4,}';
      lines[15] = '  "weightsManifest": [] // none';
      const broken = lines.join(eol);
      const brokenDoc = TextDocument.create('file:///m/model.json', 'json', 2, broken);
      const diagnostics = toDiagnostics(brokenDoc, validateModelJsonText(broken));
      assert.deepEqual(diagnostics.map((d) => [d.range, d.severity]), [
        [{ start: pos(5, 14), end: pos(5, 17) }, 1],
        [{ start: pos(9, 50), end: pos(9, 51) }, 1],
        [{ start: pos(15, 24), end: pos(15, 31) }, 1],
      ]);
      assert.match(diagnostics[0].message, /^malformed JSON at line 6, column 15: "'m'": JSON strings and property names need double quotes$/);
      assert.match(diagnostics[1].message, /^malformed JSON at line 10, column 51: trailing comma before '}'/);
      assert.match(diagnostics[2].message, /^malformed JSON at line 16, column 25: comments are not allowed/);
    });
  });
}

