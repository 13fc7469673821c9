/** Runs a greedy selection to its end: every iteration it yields, and its outcome. */
import type { Iteration, SelectionOutcome } from '../../../server/dcp/select/selection';

export async function drain(gen: AsyncGenerator<Iteration, SelectionOutcome>): Promise<{ its: Iteration[]; out: SelectionOutcome }> {
  const its: Iteration[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { its, out: r.value };
    its.push(r.value);
  }
}
