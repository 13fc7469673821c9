/**
 * How the fuzz worker feeds each file reader, exactly as the project reads those files: images as a folder dataset
 * decodes them, folders as a run loads them, checkpoints as resume reads them, reports as the extension and the
 * hover read them (and render them), run folders as the history view lists them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportMarkdown } from '../../extension/render';
import { parseRunReportText, ReportFileError } from '../../protocol/report-schema';
import { loadFolder } from '../../server/data/folder';
import { decodeImage, placeImage, rgbaToFloat } from '../../server/data/image';
import { DatasetError } from '../../server/data/types';
import { readCheckpoint } from '../../server/dcp/run/checkpoint';
import { checkHeadWeights } from '../../server/dcp/run/checkpoint-schema';
import { readEvents, readReport, scanRuns, toEntry } from '../../server/runs/history';
import { baseReport, CHECKPOINT_MODEL, HEAD_SHAPES, type FileReaderName } from './cases-files';

export interface FileResult {
  outcome: 'loaded' | 'refused';
  message: string;
}

/** Throws only on a crash: a clear refusal is a result. */
export async function readFileCase(reader: FileReaderName, file: string): Promise<FileResult> {
  switch (reader) {
    case 'image': return refusedOn(DatasetError, () => {
      const img = decodeImage(readFileSync(file), file);
      placeImage(rgbaToFloat(img), img.height, img.width, 4, [28, 28, 1], new Float32Array(784), 0, file);
      return `${img.width}x${img.height}`;
    });
    case 'folder': return refusedOn(DatasetError, async () => `${(await loadFolder(file, [28, 28, 1], false, () => undefined)).count} images`);
    case 'checkpoint': return refusedOn(Error, async () => {
      const state = await readCheckpoint(file, CHECKPOINT_MODEL, baseReport().config);
      if (!state) return 'no checkpoint';
      const headsFile = join(file, state.network, 'heads.json');
      checkHeadWeights(JSON.parse(readFileSync(headsFile, 'utf8')), HEAD_SHAPES, headsFile);
      return `step ${state.step}`;
    });
    case 'report': return refusedOn(ReportFileError, () => {
      const report = parseRunReportText(readFileSync(file, 'utf8'), file);
      return `${reportMarkdown(report, 'fuzz').length} chars of Markdown`;
    });
    case 'history': {
      const runs = await scanRuns(file);
      if (runs.length === 0) return { outcome: 'refused', message: 'run folder skipped' };
      const entry = toEntry(runs[0], false);
      const events = await readEvents(runs[0].runDir);
      const report = await readReport(runs[0].runDir);
      if (report) reportMarkdown(report, entry.runId);
      // config is null exactly when the folder was listed with a reason; the reason must be said.
      if (entry.config === null && !entry.message) throw new Error('a run without its config was listed without a reason');
      const problem = entry.config === null ? entry.message ?? '' : report === undefined ? 'report skipped' : '';
      return { outcome: problem ? 'refused' : 'loaded', message: problem || `${events.length} events` };
    }
  }
}

async function refusedOn(kind: new (...args: never[]) => Error, fn: () => string | Promise<string>): Promise<FileResult> {
  try {
    return { outcome: 'loaded', message: await fn() };
  } catch (e) {
    if (e instanceof kind && !(e instanceof TypeError) && !(e instanceof RangeError) && e.message.trim() !== '') return { outcome: 'refused', message: e.message };
    throw e;
  }
}
