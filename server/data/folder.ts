/**
 * Image-folder datasets in the Keras `image_dataset_from_directory` layout: `root/<class>/**.png|jpg|jpeg`.
 * Classes are the sub-folder names sorted by code point (class i = i-th name), files are read in sorted order,
 * hidden entries (`.name`) and non-image files are skipped, images loose in `root` are ignored when there are
 * class folders. With teacher labels a flat folder of images is allowed too.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { decodeImage, isImageName, placeImage, printable, rgbaToFloat } from './image';
import { DatasetError, sampleSize, type RawData } from './types';

/** Files decoded between yields to the event loop, so a large folder does not freeze the server. */
const YIELD_EVERY = 64;

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The dataset's real root: symbolic links are followed only to places below it. */
function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch (e) {
    throw new DatasetError(root, `${printable(root)}: cannot read folder: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const inside = (base: string, p: string): boolean => {
  const r = relative(base, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/**
 * A folder's class folders and images. Links to images and folders inside the dataset count like real ones; a link
 * that leaves it is refused (as a shard path leaving a model's folder is), since the dataset is what was chosen.
 */
function listDir(dir: string, base: string): { dirs: string[]; files: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new DatasetError(dir, `${printable(dir)}: cannot read folder: ${e instanceof Error ? e.message : String(e)}`);
  }
  const dirs: string[] = [];
  const files: string[] = [];
  for (const name of names.sort(byCodePoint)) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    let st;
    try {
      if (lstatSync(full).isSymbolicLink()) {
        const target = realpathSync(full);
        if (!inside(base, target)) {
          throw new DatasetError(full, `${printable(full)}: a symbolic link to ${printable(target)}, outside the dataset folder ${printable(base)}; copy the files in or choose the folder that holds them`);
        }
      }
      st = statSync(full);
    } catch (e) {
      if (e instanceof DatasetError) throw e;
      continue; // dangling symlink, or an entry removed while listing: nothing to read
    }
    if (st.isDirectory()) dirs.push(name);
    else if (st.isFile() && isImageName(name)) files.push(full);
  }
  return { dirs, files };
}

/** All image files below `dir`, depth-first in sorted order. `seen` guards against symlink cycles. */
function imagesBelow(dir: string, base: string, seen: Set<string> = new Set()): string[] {
  const real = statSync(dir);
  const key = `${real.dev}:${real.ino}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const { dirs, files } = listDir(dir, base);
  // concat, not push(...): a folder of 100k+ images would overflow the argument stack.
  return dirs.reduce((acc, d) => acc.concat(imagesBelow(join(dir, d), base, seen)), files);
}

/** The files of a folder dataset and their class indices (-1 when unlabeled). */
export interface FolderListing {
  files: string[];
  labels: Int32Array | null;
  classNames: string[] | null;
}

/** Lists a folder dataset without decoding anything; throws on the layout problems. */
export function listFolder(root: string, allowUnlabeled: boolean): FolderListing {
  const base = realRoot(root);
  const top = listDir(root, base);
  if (top.dirs.length === 0) {
    if (allowUnlabeled && top.files.length > 0) return { files: top.files, labels: null, classNames: null };
    const shown = printable(root);
    throw new DatasetError(root, top.files.length > 0
      ? `${shown}: images but no class subfolders; expected ${shown}/<class>/*.png|jpg (a flat folder needs teacher labels)`
      : `${shown}: no class subfolders and no images; expected ${shown}/<class>/*.png|jpg`);
  }
  const files: string[] = [];
  const labels: number[] = [];
  top.dirs.forEach((name, c) => {
    const dir = join(root, name);
    const found = imagesBelow(dir, base);
    // An empty class folder is almost always a mistake (its class can never be learned); with teacher labels
    // the folders are only grouping, so it does not matter there.
    if (found.length === 0 && !allowUnlabeled) throw new DatasetError(dir, `${printable(dir)}: class folder '${printable(name)}' has no .png/.jpg/.jpeg images`);
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
      throw new DatasetError(file, `${printable(file)}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
    }
    const img = decodeImage(buf, file);
    placeImage(rgbaToFloat(img), img.height, img.width, 4, shape, x, i, file);
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { name: `folder:${root}`, x, y: listing.labels, count, classNames: listing.classNames, labelSource: root };
}
