/**
 * Image-folder datasets in the Keras `image_dataset_from_directory` layout: `root/<class>/**.png|jpg|jpeg`.
 * Classes are the sub-folder names sorted by code point (class i = i-th name), files are read in sorted order,
 * hidden entries (`.name`) and non-image files are skipped, images loose in `root` are ignored when there are
 * class folders. With teacher labels a flat folder of images is allowed too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, isImageName, placeImage, rgbaToFloat } from './image';
import { DatasetError, sampleSize, type RawData } from './types';

/** Files decoded between yields to the event loop, so a large folder does not freeze the server. */
const YIELD_EVERY = 64;

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function listDir(dir: string): { dirs: string[]; files: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new DatasetError(dir, `${dir}: cannot read folder: ${e instanceof Error ? e.message : String(e)}`);
  }
  const dirs: string[] = [];
  const files: string[] = [];
  for (const name of names.sort(byCodePoint)) {
    if (name.startsWith('.')) continue;
    // statSync follows symlinks, so linked images and class folders count like real ones.
    let st;
    try {
      st = statSync(join(dir, name));
    } catch {
      continue; // dangling symlink: nothing to read
    }
    if (st.isDirectory()) dirs.push(name);
    else if (st.isFile() && isImageName(name)) files.push(join(dir, name));
  }
  return { dirs, files };
}

/** All image files below `dir`, depth-first in sorted order. `seen` guards against symlink cycles. */
function imagesBelow(dir: string, seen: Set<string> = new Set()): string[] {
  const real = statSync(dir);
  const key = `${real.dev}:${real.ino}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const { dirs, files } = listDir(dir);
  // concat, not push(...): a folder of 100k+ images would overflow the argument stack.
  return dirs.reduce((acc, d) => acc.concat(imagesBelow(join(dir, d), seen)), files);
}

/** The files of a folder dataset and their class indices (-1 when unlabeled). */
export interface FolderListing {
  files: string[];
  labels: Int32Array | null;
  classNames: string[] | null;
}

/** Lists a folder dataset without decoding anything; throws on the layout problems. */
export function listFolder(root: string, allowUnlabeled: boolean): FolderListing {
  const top = listDir(root);
  if (top.dirs.length === 0) {
    if (allowUnlabeled && top.files.length > 0) return { files: top.files, labels: null, classNames: null };
    throw new DatasetError(root, top.files.length > 0
      ? `${root}: images but no class subfolders; expected ${root}/<class>/*.png|jpg (a flat folder needs teacher labels)`
      : `${root}: no class subfolders and no images; expected ${root}/<class>/*.png|jpg`);
  }
  const files: string[] = [];
  const labels: number[] = [];
  top.dirs.forEach((name, c) => {
    const dir = join(root, name);
    const found = imagesBelow(dir);
    // An empty class folder is almost always a mistake (its class can never be learned); with teacher labels
    // the folders are only grouping, so it does not matter there.
    if (found.length === 0 && !allowUnlabeled) throw new DatasetError(dir, `${dir}: class folder '${name}' has no .png/.jpg/.jpeg images`);
    for (const f of found) { files.push(f); labels.push(c); }
  });
  if (allowUnlabeled) for (const f of top.files) files.push(f);
  return { files, labels: allowUnlabeled ? null : Int32Array.from(labels), classNames: top.dirs };
}

/**
 * Decodes every image of a folder dataset into the model's input shape. `checkClasses` sees the class names
 * before any image is decoded, so a wrong layout fails fast instead of after minutes of decoding.
 */
export async function loadFolder(
  root: string, shape: readonly [number, number, number], allowUnlabeled: boolean, checkClasses: (names: string[]) => void,
): Promise<RawData> {
  const listing = listFolder(root, allowUnlabeled);
  if (listing.classNames) checkClasses(listing.classNames);
  const count = listing.files.length;
  const x = new Float32Array(count * sampleSize(shape));
  for (let i = 0; i < count; i++) {
    const file = listing.files[i];
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (e) {
      throw new DatasetError(file, `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
    }
    const img = decodeImage(buf, file);
    placeImage(rgbaToFloat(img), img.height, img.width, 4, shape, x, i, file);
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { name: `folder:${root}`, x, y: listing.labels, count, classNames: listing.classNames, labelSource: root };
}
