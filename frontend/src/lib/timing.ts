// How a request's time splits up, from its log row: time inside Conduit (overhead_ms), the
// upstream's wait until the first byte, and the rest of the answer (streaming or transfer).

export interface TimingSegment {
  key: 'overhead' | 'upstream' | 'rest';
  label: string;
  ms: number;
  /** Share of the total, 0..100. */
  pct: number;
}

export interface Timing {
  total: number;
  ttfb: number | null;
  segments: TimingSegment[];
}

const n = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** When the first byte of the answer came, streamed or not; null when the row has no time. */
export function firstByteMs(r: { ttfb_ms: number | null | undefined }): number | null {
  return n(r.ttfb_ms) > 0 ? n(r.ttfb_ms) : null;
}

export function timingBreakdown(r: { latency_ms: number; ttfb_ms: number; overhead_ms: number; stream: boolean }): Timing {
  const total = n(r.latency_ms);
  const overhead = Math.min(n(r.overhead_ms), total);
  const first = firstByteMs(r);
  const ttfb = first !== null ? Math.min(first, total) : null;
  const firstByte = ttfb ?? total;
  const upstream = Math.max(0, firstByte - overhead);
  const rest = Math.max(0, total - Math.max(firstByte, overhead));
  const pct = (ms: number) => (total > 0 ? (ms / total) * 100 : 0);
  const segments: TimingSegment[] = [
    { key: 'overhead', label: 'Conduit overhead', ms: overhead, pct: pct(overhead) },
    { key: 'upstream', label: 'Upstream to first byte', ms: upstream, pct: pct(upstream) },
    { key: 'rest', label: r.stream ? 'Streaming the answer' : 'Receiving the answer', ms: rest, pct: pct(rest) },
  ];
  return { total, ttfb, segments };
}
