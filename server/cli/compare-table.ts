/**
 * `dcp compare`'s terminal output: the table laid out from protocol/compare.ts's cells, and the line printed as
 * each run finishes. Pure text, unit-tested directly.
 */
import { compareCells, countText, type CompareDocument, type CompareRun } from '../../protocol/compare';
import { formatTable } from './report-table';

/** The unpruned line, then one line per method, in fixed-width columns. */
export function compareTable(doc: Pick<CompareDocument, 'unpruned' | 'rows'>): string {
  return formatTable(compareCells(doc));
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/** The progress line printed when one run finishes. */
export function runLine(index: number, total: number, r: CompareRun): string {
  const ft = r.accuracyAfterFinetune === null ? 'no fine-tuning' : `after fine-tune ${pct(r.accuracyAfterFinetune)}`;
  const sel = r.accuracyAfterSelection === null ? '-' : pct(r.accuracyAfterSelection);
  const count = (v: number): string => countText(Math.round(v));
  const choice = r.method === 'random' && r.choiceSeed !== null ? ` choice ${r.choiceSeed}` : '';
  const untuned = r.accuracyBeforeFinetune === null ? '' : `before any fine-tune ${pct(r.accuracyBeforeFinetune)}, `;
  const heads = r.headAccuracies.length > 0 ? `heads ${r.headAccuracies.map(pct).join(' / ')}, ` : '';
  const cost = r.selectionEpochs == null ? '' : `, selection ${r.selectionEpochs.toFixed(2)} epoch-eq.`;
  return `[${index}/${total}] ${r.method} seed ${r.seed}${choice}: ${count(r.params)} params, ${count(r.flops)} FLOPs, ${heads}${untuned}after selection ${sel}, ${ft} (${r.seconds.toFixed(0)} s${cost})`;
}
