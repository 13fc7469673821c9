import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkTopology } from '../../../server/io/model-topology';
import { ModelFileError } from '../../../server/io/model-types';

type Layer = { name?: unknown; class_name: string; config: Record<string, unknown>; inbound_nodes?: unknown };

/** The example ResNet's topology, as the fuzzer mutates it; `edit` changes its layers. */
function resnet(edit: (layers: Layer[], config: Record<string, unknown>) => void): unknown {
  const json = JSON.parse(readFileSync('examples/resnet/model.json', 'utf8')) as { modelTopology: { model_config?: { config: Record<string, unknown> }; config?: Record<string, unknown> } };
  const config = (json.modelTopology.model_config ?? json.modelTopology).config as Record<string, unknown>;
  edit(config.layers as Layer[], config);
  return json.modelTopology;
}

function refused(topology: unknown, message: RegExp): void {
  assert.throws(() => checkTopology('model.json', topology), (e: unknown) => e instanceof ModelFileError && message.test(e.message));
}

test('the example models pass', () => {
  for (const m of ['resnet', 'vgg']) {
    const json = JSON.parse(readFileSync(`examples/${m}/model.json`, 'utf8')) as { modelTopology: unknown };
    assert.doesNotThrow(() => checkTopology('model.json', json.modelTopology));
  }
});

// Each of these made TF.js's modelFromJSON spin forever before the check (found by the fuzzer).
test('an inbound node naming no layer is refused, naming the layer and node', () => {
  refused(resnet((l) => { (l[3].inbound_nodes as unknown[][][])[0][0][0] = 'nope'; }), /layer "stem_relu" inbound node 0, input 0: names layer "nope"/);
});

test('a layer name that is not a string, or missing at the top level, is refused', () => {
  refused(resnet((l) => { l[3].name = 5; }), /layer #3: name must be a name/);
  refused(resnet((l) => { delete l[3].name; }), /layer #3: a layer of a functional model needs a name/);
});

test('an empty inbound node, a cycle and a node index past the layer\'s calls are refused', () => {
  refused(resnet((l) => { l[4].inbound_nodes = [[]]; }), /inbound node 0: must be a non-empty list/);
  refused(resnet((l) => { (l[1].inbound_nodes as unknown[][][])[0][0] = [String(l[4].name), 0, 0, {}]; }), /form a cycle/);
  refused(resnet((l) => { (l[4].inbound_nodes as unknown[][][])[0][0][1] = 3; }), /node index 3 of layer .* does not exist \(it has 1\)/);
});

test('duplicate names, shared layers and layers that lead to no output are refused', () => {
  refused(resnet((l) => { l[4].name = l[3].name; }), /two layers have this name/);
  refused(resnet((l) => { const n = l[4].inbound_nodes as unknown[]; n.push(n[0]); }), /is called 2 times/);
  refused(resnet((_, c) => { c.output_layers = [[String((c.layers as Layer[])[5].name), 0, 0]]; }), /leads to no output/);
});

test('a NaN-prone initializer and an invalid name are refused before TF.js builds anything', () => {
  refused(resnet((l) => {
    const conv = l.find((x) => x.class_name === 'Conv2D')!;
    (conv.config.kernel_initializer as { config: Record<string, unknown> }).config.scale = 'x';
  }), /kernel_initializer\.config\.scale must be a finite number \(got "x"\)/);
  refused(resnet((l) => { l[2].config.name = 'a['.repeat(1000); }), /config\.name must be a name .*…\)/);
});

test('nesting and size are bounded', () => {
  let deep: Record<string, unknown> = { class_name: 'Sequential', config: { layers: [] } };
  for (let i = 0; i < 40; i++) deep = { class_name: 'Sequential', config: { layers: [{ ...deep, config: { ...(deep.config as object), name: `m${i}` } }] } };
  refused(deep, /nested more than 16 deep/);
  refused({ class_name: 'Model', config: { layers: 'x' } }, /config\.layers must be a list/);
});
