/**
 * The phases of a run as the fault matrix names them, and where each begins in the event stream. A phase that
 * yields no event when it starts begins at the last event before it: surgery at `surgeryDone` (its cut is made, the
 * fine-tune not begun), measure at the final fine-tune's last `epochDone`. Save yields nothing: the matrix finds it
 * by its writes.
 */
import type { RunEvent } from '../../../protocol/model';

export const FAULT_PHASES = ['load', 'heads', 'select', 'surgery', 'finetune', 'measure', 'save'] as const;
export type FaultPhase = (typeof FAULT_PHASES)[number];

export interface PhaseTracker {
  phase: FaultPhase;
  /** Moves to the phase the run is in after `e`; true when that is a new phase. */
  see(e: RunEvent): boolean;
}

/**
 * `finalEpochs`: the run's final fine-tune epochs. The matrix's select phase begins at the second
 * `selectionStarted`, so that a checkpoint of the first layer exists to resume from; before it the run is in heads.
 */
export function phaseTracker(finalEpochs: number): PhaseTracker {
  let selections = 0;
  const next = (phase: FaultPhase, e: RunEvent): FaultPhase => {
    switch (e.type) {
      case 'runStarted': return 'heads';
      case 'selectionStarted': return ++selections >= 2 ? 'select' : phase;
      case 'surgeryDone': return 'surgery';
      case 'trainProgress': return e.phase === 'final' && phase === 'surgery' ? 'finetune' : phase;
      case 'epochDone': return e.phase === 'final' && e.point.epoch === finalEpochs ? 'measure' : phase;
      default: return phase;
    }
  };
  const t: PhaseTracker = {
    phase: 'load',
    see(e) {
      const before = t.phase;
      t.phase = next(before, e);
      return t.phase !== before;
    },
  };
  return t;
}
