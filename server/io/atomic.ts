/**
 * The one way this project writes files that others read back: models, reports, checkpoints and run history.
 * A file is written to a temp name beside it, fsynced and renamed over the target (write-file-atomic); a folder
 * is written as a temp folder in the same parent, every file fsynced, and renamed into place. Either way a reader,
 * or a process that starts after a crash, sees the old contents or the new ones, never a mixture; a failed write
 * leaves no temp entries behind. Neither writes over a file or folder this process read a model from.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import writeFileAtomicLib from 'write-file-atomic';
import { modelInputAt } from './model-inputs';

/** One file of a folder written by writeFolderAtomic. `name` is a plain file name (no separators). */
export interface FolderEntry {
  name: string;
  data: string | Uint8Array;
}

export interface FolderWriteOptions {
  /**
   * Names an existing target folder may hold that this write makes obsolete (e.g. shards of the model it replaces):
   * they go with the old folder. Any other file found there makes the write refuse rather than delete it.
   */
  replaces?: readonly string[];
  /** Writes and fsyncs one file inside the temp folder; injectable so tests can fail a write half-way. */
  writeFile?: (file: string, data: Uint8Array) => Promise<void>;
}

/** A write refused or failed; the message names the path and what to do. */
export class AtomicWriteError extends Error {
  constructor(readonly target: string, message: string) {
    super(`${target}: ${message}`);
    this.name = 'AtomicWriteError';
  }
}

/**
 * Called with the path of every file this module is about to write; what it throws, the write throws. A test hook
 * (the fault matrix plays a full disk with it, in any phase of a run); null, the default, in every real process.
 */
export type WriteFault = (file: string) => void;
let writeFault: WriteFault | null = null;

/** Installs (or, with null, removes) the write fault hook of this thread. */
export function setWriteFault(fault: WriteFault | null): void {
  writeFault = fault;
}

/** The error a write on a full disk fails with, as Node raises it. */
export function enospc(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC', errno: -28, syscall: 'write', path: file });
}

/** Replaces `file` with `data` (UTF-8 for strings) atomically and durably. The parent folder must exist. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const target = path.resolve(file);
  await refuseInput(target);
  writeFault?.(target);
  await writeFileAtomicLib(target, typeof data === 'string' ? data : bytesOf(data), { fsync: true });
  await syncFolder(path.dirname(target));
}

/** `value` as indented JSON with a final newline, written with writeFileAtomic. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Makes `dir` a folder holding exactly `entries`, in one rename: the files are written and fsynced in a temp folder
 * beside it, which then takes its place. An existing `dir` is replaced as a whole (moved aside, then removed), so it
 * may hold only names from `entries` or `opts.replaces`. Parent folders are created as needed.
 */
export async function writeFolderAtomic(dir: string, entries: readonly FolderEntry[], opts: FolderWriteOptions = {}): Promise<void> {
  const target = path.resolve(dir);
  checkNames(target, entries);
  const existing = await fs.stat(target).catch(() => null);
  if (existing && !existing.isDirectory()) throw new AtomicWriteError(target, 'exists and is not a folder');
  await refuseInput(target);
  for (const e of entries) await refuseInput(path.join(target, e.name));
  if (existing) await checkReplaceable(target, entries, opts.replaces ?? []);

  const parent = path.dirname(target);
  const stamp = randomBytes(6).toString('hex');
  const tmp = path.join(parent, `.${path.basename(target)}.tmp-${stamp}`);
  const write = opts.writeFile ?? writeSynced;
  await fs.mkdir(parent, { recursive: true });
  await removeStaleTemps(parent, path.basename(target));
  await fs.mkdir(tmp);
  try {
    for (const e of entries) {
      writeFault?.(path.join(tmp, e.name));
      await write(path.join(tmp, e.name), typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data);
    }
    await syncFolder(tmp);
    if (!existing) {
      await fs.rename(tmp, target);
    } else {
      // rename(2) cannot replace a non-empty folder: move the old one aside first, and back if the switch fails.
      const old = path.join(parent, `.${path.basename(target)}.old-${stamp}`);
      await fs.rename(target, old);
      try {
        await fs.rename(tmp, target);
      } catch (e) {
        await fs.rename(old, target);
        throw e;
      }
      await fs.rm(old, { recursive: true, force: true });
    }
    await syncFolder(parent);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Temp folders of earlier writes of the same target whose process died before its `finally` (a killed worker, a
 * power cut): never renamed into place, so never a result; removed so they do not pile up beside the target.
 */
async function removeStaleTemps(parent: string, base: string): Promise<void> {
  const prefix = `.${base}.tmp-`;
  for (const name of await fs.readdir(parent)) {
    if (name.startsWith(prefix) && /^[0-9a-f]{12}$/.test(name.slice(prefix.length))) await fs.rm(path.join(parent, name), { recursive: true, force: true });
  }
}

/** Writes a new file (never an existing one) and fsyncs it before closing. */
export async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const fh = await fs.open(file, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename inside `dir` durable. Some platforms cannot open folders (Windows); there it is skipped. */
async function syncFolder(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw e;
  } finally {
    await fh?.close();
  }
}

function bytesOf(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

async function refuseInput(p: string): Promise<void> {
  const input = await modelInputAt(p);
  if (input !== undefined) {
    throw new AtomicWriteError(p, `refusing to write over ${input}, which was read as a model input; write somewhere else`);
  }
}

function checkNames(target: string, entries: readonly FolderEntry[]): void {
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (name === '' || name === '.' || name === '..' || name !== path.basename(name) || name.includes('/') || name.includes('\\')) {
      throw new AtomicWriteError(target, `"${name}" is not a plain file name`);
    }
    if (seen.has(name)) throw new AtomicWriteError(target, `"${name}" is listed twice`);
    seen.add(name);
  }
}

/** An existing folder is replaced whole: refuse if that would delete anything the caller did not name. */
async function checkReplaceable(target: string, entries: readonly FolderEntry[], replaces: readonly string[]): Promise<void> {
  const known = new Set([...entries.map((e) => e.name), ...replaces]);
  const others = (await fs.readdir(target)).filter((n) => !known.has(n));
  if (others.length > 0) {
    const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ', …' : '');
    throw new AtomicWriteError(target, `refusing to replace this folder: it also holds ${shown}; choose a new or empty folder`);
  }
}
