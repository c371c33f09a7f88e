// A chart's value axis: round ticks from 0 whose top one is at or above the largest value, so
// that no bar rises above the top gridline.

export interface Axis {
  /** The scale's top: the last tick. */
  max: number;
  ticks: number[];
}

/**
 * Two to five round ticks (steps of 1, 2, 2.5 or 5 times a power of ten) from 0 up to the first
 * one ≥ max. integer: whole-number steps only (counts get no 0.5 ticks).
 */
export function niceAxis(max: number, integer = false): Axis {
  if (!(max > 0) || !Number.isFinite(max)) return { max: 1, ticks: [0, 1] };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw && (!integer || Number.isInteger(s))) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.ceil(step));
  const n = Math.max(1, Math.ceil(max / step - 1e-9));
  const ticks = Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { max: ticks[n], ticks };
}
