// Runs node's test runner over every *.test.ts under the given folders (Node 20's --test does not expand globs).
// Usage: node scripts/run-tests.mjs test/unit test/integration [-- extra node --test flags]
// No test may hang a fresh machine: each test and hook gets a timeout (node's default is none), a file whose
// tests are done exits even if something still holds its event loop, and the browser tests first make sure
// there is a browser (scripts/ensure-browser.ts installs one, or fails at once saying how).
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep as pathSep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

// Generous: the slowest legitimate test (a CLI prune or a server run on a loaded 2-core machine) takes well under a
// minute; this only has to turn a hang into a failure.
const TEST_TIMEOUT_MS = 180_000;

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

const env = { ...process.env };
// Runs forecast from a calibrated machine speed (server/dcp/measure/calibrate.ts): tests share one cache in the temp
// folder instead of the user's ~/.cache.
env.DCP_SPEED_CACHE ??= join(tmpdir(), 'dcp-test-machine-speed.json');
const here = dirname(fileURLToPath(import.meta.url));
const browserDir = join(here, '..', 'test', 'browser') + pathSep;
if (files.some((f) => resolve(f).startsWith(browserDir))) {
  const ensure = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'ensure-browser.ts'), '--print-path'], {
    stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
  });
  if (ensure.status !== 0) process.exit(1);
  env.CHROME_PATH = ensure.stdout.trim().split('\n').pop();
}

const flags = [
  ...(extra.some((f) => f.startsWith('--test-timeout')) ? [] : [`--test-timeout=${TEST_TIMEOUT_MS}`]),
  ...(extra.includes('--test-force-exit') ? [] : ['--test-force-exit']),
  ...extra,
];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...flags, ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
