// Runs node's test runner over every *.test.ts under the given folders (Node 20's --test does not expand globs).
// Usage: node scripts/run-tests.mjs test/unit test/integration [-- extra node --test flags]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const sep = process.argv.indexOf('--');
const roots = process.argv.slice(2, sep === -1 ? undefined : sep);
const extra = sep === -1 ? [] : process.argv.slice(sep + 1);

function walk(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = roots.flatMap((r) => walk(r));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...extra, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
