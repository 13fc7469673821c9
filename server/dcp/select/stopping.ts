import type { StopRule } from '../../../protocol/model';

/**
 * Stopping rules for greedy selection (DCP-SPEC §3 step 5), on the joint loss after each added unit.
 * `history[0]` is L(W⁰) at W = 0; `history[t]` is L(Wᵗ).
 *
 * - `rate`: handled by the caller (a fixed number of units); never stops here.
 * - `epsilon` (paper Eq. 10): |L(Wᵗ⁻¹) − L(Wᵗ)| / L(W⁰) ≤ ε.
 * - `adaptive` (our definition; TPAMI names such a rule without a formula we could confirm):
 *   stop when L(Wᵗ) ≤ (1 + τ)·L(Ŵ), the loss with all channels, or when the `epsilon` rule fires.
 */
export function shouldStop(
  rule: StopRule,
  history: readonly number[],
  initialLoss: number,
  fullLoss: number | null,
  epsilon: number,
  tau: number,
): boolean {
  if (rule === 'rate' || history.length < 2) return false;
  const t = history.length - 1;
  const denom = initialLoss > 0 ? initialLoss : 1;
  const epsilonFires = Math.abs(history[t - 1] - history[t]) / denom <= epsilon;
  if (rule === 'epsilon') return epsilonFires;
  const close = fullLoss !== null && history[t] <= (1 + tau) * fullLoss;
  return close || epsilonFires;
}

/** Channels kept under the `rate` rule: c − ⌊η·c⌋, never fewer than one (DCP-SPEC §1). */
export function keepCount(channels: number, rate: number): number {
  return Math.max(1, channels - Math.floor(rate * channels));
}
