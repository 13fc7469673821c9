/**
 * Loading tfjs-node onto our TF.js instance (server/tfjs/node-backend.ts). tfjs-node itself cannot be installed on
 * the test machines (its install downloads libtensorflow), so a package folder stands in for it: a real CommonJS
 * package named @tensorflow/tfjs-node in a temp folder with no TF.js of its own, which requires
 * `@tensorflow/tfjs` and `@tensorflow/tfjs-core` the way tfjs-node does and registers a `tensorflow` backend
 * (a cpu backend instance under that name). It only loads if those requests are answered with our instance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, nodeBackendProblem } from '../../../server/tfjs/backend';
import { findTfjsNode } from '../../../server/tfjs/node-backend';

function fakeTfjsNode(version: string): string {
  const root = mkdtempSync(join(tmpdir(), 'dcp-fake-tfjs-node-'));
  const dir = join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version, main: 'dist/index.js' }));
  writeFileSync(join(dir, 'dist', 'index.js'), `"use strict";
const tf = require('@tensorflow/tfjs');
const core = require('@tensorflow/tfjs-core');
if (tf.engine() !== core.engine()) throw new Error('two TF.js engines');
const Cpu = tf.findBackend('cpu').constructor;
tf.registerBackend('tensorflow', () => new Cpu(), 0);
globalThis.__dcpFakeNodeEngine = tf.engine();
`);
  return root;
}

test('tfjs-node found under a configured folder registers its backend on our TF.js engine, loaded once', async () => {
  await initBackend('cpu');
  const root = fakeTfjsNode(tf.version.tfjs);
  const found = findTfjsNode(root);
  assert.ok(found !== null);
  assert.equal(found.name, '@tensorflow/tfjs-node');
  // Without the redirect the package cannot even load: there is no TF.js next to it.
  assert.throws(() => createRequire(found.entry)('@tensorflow/tfjs'), /Cannot find module/);
  assert.equal(await initBackend('node', { tfjsNodePath: root }), 'tensorflow');
  assert.equal((globalThis as { __dcpFakeNodeEngine?: unknown }).__dcpFakeNodeEngine, tf.engine());
  assert.equal(nodeBackendProblem(), null);
  // A second initialisation reuses the registered backend instead of loading the package again.
  (globalThis as { __dcpFakeNodeEngine?: unknown }).__dcpFakeNodeEngine = undefined;
  assert.equal(await initBackend('auto', { tfjsNodePath: root }), 'tensorflow');
  assert.equal((globalThis as { __dcpFakeNodeEngine?: unknown }).__dcpFakeNodeEngine, undefined);
  await initBackend('cpu');
  tf.removeBackend('tensorflow');
});

test('a tfjs-node of another version is refused with the version to install; auto falls back', async () => {
  const root = fakeTfjsNode('1.0.0');
  await assert.rejects(initBackend('node', { tfjsNodePath: root }), new RegExp(`does not match the bundled TF.js ${tf.version.tfjs.replace(/\./g, '\\.')}; install @tensorflow/tfjs-node@`));
  assert.equal(await initBackend('auto', { tfjsNodePath: root }), 'wasm');
  assert.match(nodeBackendProblem() ?? '', /does not match/);
});

test('a tfjs-node in the working directory (a workspace) is not picked up', () => {
  const root = fakeTfjsNode(tf.version.tfjs);
  const before = process.cwd();
  const env = process.env.DCP_TFJS_NODE_PATH;
  delete process.env.DCP_TFJS_NODE_PATH;
  try {
    process.chdir(root);
    const found = findTfjsNode();
    assert.ok(found === null || !found.dir.startsWith(root), `found ${found?.dir}`);
  } finally {
    process.chdir(before);
    if (env !== undefined) process.env.DCP_TFJS_NODE_PATH = env;
  }
});
