/**
 * Which files and folders this process has read a model from. saveLayersModel consults it so a pruned model can
 * never land on top of the model it came from, even when the caller built a new tf.LayersModel in between (surgery
 * does) or reaches the same file through a symlink or hard link: identity is (device, inode), not the path string.
 */
import { promises as fs } from 'node:fs';

const readFrom = new Map<string, string>();

function identity(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}

/** Records a model's folder, model.json and shards as inputs. Paths that vanished meanwhile are skipped. */
export async function rememberModelInputs(paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    try {
      readFrom.set(identity(await fs.stat(p, { bigint: true })), p);
    } catch {
      // Nothing to protect if it no longer exists.
    }
  }
}

/** The path under which `p`'s file or folder was read as a model input, or undefined (also when `p` does not exist). */
export async function modelInputAt(p: string): Promise<string | undefined> {
  try {
    return readFrom.get(identity(await fs.stat(p, { bigint: true })));
  } catch {
    return undefined;
  }
}
