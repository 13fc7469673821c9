// Builds the bundles: extension (node, `vscode` external), server + engine worker + CLI (node), webview (browser).
// The wasm binaries of the TF.js WASM backend are copied next to the node bundles, where server/tfjs/backend.ts looks first.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production, minify: production, logLevel: 'info',
  // tfjs-node(-gpu) is an optional native accelerator, never bundled: server/tfjs/node-backend.ts resolves it at run
  // time and hands it this bundle's TF.js, so only one copy of TF.js loads (the vsix ships no node_modules).
  // onnxruntime-node (native, optional: ONNX latency in the report) is likewise resolved at run time when present.
  external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'],
  // jsonc-parser's UMD "main" requires its own files at run time, which a bundle does not have; its ESM build bundles.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' } };
const entries = [
  { ...node, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['server/server.ts'], outfile: 'dist/server.js' },
  { ...node, entryPoints: ['server/worker.ts'], outfile: 'dist/worker.js' },
  { ...node, entryPoints: ['server/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: !production, minify: production, logLevel: 'info',
    entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
].filter((e) => existsSync(e.entryPoints[0]));

mkdirSync('dist', { recursive: true });
const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join('dist', f));

if (watch) {
  for (const e of entries) await (await esbuild.context(e)).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build(e)));
}
