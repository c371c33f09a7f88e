// Before/after diff of an audit entry's `changes` ({"before": {...}, "after": {...}}).

export interface FieldDiff {
  field: string;
  before: string;
  after: string;
  kind: 'added' | 'removed' | 'changed';
}

/** Fields that change on every update and say nothing. */
const NOISE = new Set(['updated_at', 'created_at']);

/** Nested objects become dotted paths; arrays and scalars are leaves. */
export function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0 && prefix) out[prefix] = {};
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = v;
  }
  return out;
}

export function fmtValue(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Changed fields, or null when changes is not a before/after object. */
export function auditDiff(changes: unknown): FieldDiff[] | null {
  if (!changes || typeof changes !== 'object' || Array.isArray(changes)) return null;
  const c = changes as { before?: unknown; after?: unknown };
  if (!('before' in c) && !('after' in c)) return null;
  const b = c.before && typeof c.before === 'object' ? flatten(c.before) : {};
  const a = c.after && typeof c.after === 'object' ? flatten(c.after) : {};
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((f) => !NOISE.has(f));
  const out: FieldDiff[] = [];
  for (const f of fields) {
    const inB = f in b;
    const inA = f in a;
    const before = inB ? fmtValue(b[f]) : '';
    const after = inA ? fmtValue(a[f]) : '';
    if (inB && inA && before === after) continue;
    out.push({ field: f, before, after, kind: !inB ? 'added' : !inA ? 'removed' : 'changed' });
  }
  return out;
}
