/**
 * Loads the optional native backend (`@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`) onto *our* TF.js.
 *
 * The shipped server, worker and CLI are esbuild bundles with TF.js inside, and the vsix is packaged without
 * node_modules. A plain `require('@tensorflow/tfjs-node')` would make tfjs-node load its own copy of
 * `@tensorflow/tfjs` from its node_modules: a second engine, on which it registers the `tensorflow` backend,
 * invisible to the bundle's engine (which then silently stays on wasm), with two copies of TF.js in memory.
 * So tfjs-node is resolved at run time, from a folder the user names or the usual places, and while its entry is
 * being loaded, its own requests for `@tensorflow/tfjs` / `@tensorflow/tfjs-core` are answered with the bundle's
 * TF.js instance; it registers its backend there. Nothing else is intercepted, and only during that one load.
 *
 * Limits: tfjs-node must be the same version as the bundled TF.js (its kernels are written against that API; a
 * mismatch is refused with the version to install); tfjs-node's own deep imports into other TF.js packages, if a
 * future version had any, would still load separate copies.
 */
import * as tf from '@tensorflow/tfjs';
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/** Preferred first: the GPU build, when both are present. */
export const NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const SHARED = new Set(['@tensorflow/tfjs', '@tensorflow/tfjs-core']);
/** Environment variable naming a folder that holds `node_modules/@tensorflow/tfjs-node[-gpu]` (or the package). */
export const NODE_PATH_ENV = 'DCP_TFJS_NODE_PATH';

export interface FoundNode {
  name: string;
  version: string;
  /** The package's folder and its resolved entry file. */
  dir: string;
  entry: string;
}

function readPackage(dir: string): { name?: string; version?: string } | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
  } catch {
    return null;
  }
}

/** The package folder above a resolved entry file (the nearest package.json with one of our names). */
function packageDir(entry: string): string | null {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = readPackage(dir);
    if (pkg?.name !== undefined && (NODE_PACKAGES as readonly string[]).includes(pkg.name)) return dir;
  }
  return null;
}

/**
 * Finds tfjs-node under `extraPath` (a folder with node_modules, or the package folder itself), then
 * $DCP_TFJS_NODE_PATH, then next to the program. Null when none is installed. Not the working directory: that is
 * the user's workspace, and loading native code from an untrusted workspace's node_modules would run its code.
 */
export function findTfjsNode(extraPath?: string): FoundNode | null {
  const bases = [extraPath, process.env[NODE_PATH_ENV], typeof __dirname === 'string' ? __dirname : undefined]
    .filter((b): b is string => b !== undefined && b !== '');
  for (const base of bases.map((b) => resolve(b))) {
    const own = readPackage(base);
    const candidates = own?.name !== undefined && (NODE_PACKAGES as readonly string[]).includes(own.name) ? [base] : [...NODE_PACKAGES];
    const req = createRequire(join(base, 'dcp-resolve.js'));
    for (const request of candidates) {
      let entry: string;
      try {
        entry = req.resolve(request);
      } catch {
        continue;
      }
      const dir = packageDir(entry);
      const pkg = dir === null ? null : readPackage(dir);
      if (dir !== null && pkg?.name !== undefined) return { name: pkg.name, version: pkg.version ?? '?', dir, entry };
    }
  }
  return null;
}

type Load = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean) => unknown;

/**
 * Loads `found` so that it registers its backend on our TF.js. Throws on a version mismatch or a load failure
 * (missing libtensorflow, wrong platform binary), with the package's own message.
 */
export function loadTfjsNode(found: FoundNode): void {
  const ours = tf.version.tfjs;
  if (found.version !== ours) {
    throw new Error(`${found.name} ${found.version} at ${found.dir} does not match the bundled TF.js ${ours}; install ${found.name}@${ours}`);
  }
  const loader = Module as unknown as { _load: Load };
  const original = loader._load;
  const inside = found.dir + sep;
  loader._load = function load(this: unknown, request, parent, isMain) {
    if (SHARED.has(request) && parent?.filename?.startsWith(inside) === true) return tf;
    return original.call(this, request, parent, isMain);
  };
  try {
    createRequire(found.entry)(found.entry);
  } finally {
    loader._load = original;
  }
}
