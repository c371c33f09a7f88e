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

/** The names of ids, by resource (see names.ts). */
export interface IdNames {
  keys: Record<string, string>;
  providers: Record<string, string>;
  models: Record<string, string>;
}

const NAME_FIELDS = ['name', 'alias', 'model_pattern'];

/** The resources an audit entry can name: by today's name of the id, or by what it recorded. */
const NAMED = new Set(['key', 'provider', 'model', 'cost']);

/**
 * The name of an audit entry's resource: today's name of the id, else (deleted, or a price,
 * which has no name but its model pattern) the name the entry's own before/after recorded,
 * else null.
 */
export function auditSubject(e: { resource: string; resource_id: string; changes: unknown }, names: IdNames): string | null {
  const table = e.resource === 'key' ? names.keys : e.resource === 'provider' ? names.providers : e.resource === 'model' ? names.models : null;
  if (!NAMED.has(e.resource) || !e.resource_id) return null;
  if (table?.[e.resource_id]) return table[e.resource_id];
  const c = (e.changes ?? {}) as { before?: Record<string, unknown>; after?: Record<string, unknown> };
  for (const side of [c.after, c.before]) {
    if (!side || typeof side !== 'object') continue;
    for (const f of NAME_FIELDS) if (typeof side[f] === 'string' && side[f]) return side[f] as string;
  }
  return null;
}

/** A changed value for people: ids named (name · id), strategies by their names. */
export function auditValue(field: string, v: string, names: IdNames, strategyName: (s: string) => string): string {
  if (!v) return v;
  if (field === 'strategy') return strategyName(v);
  const table = field === 'provider_id' ? names.providers : field === 'key_id' ? names.keys : null;
  return table?.[v] ? `${table[v]} · ${v}` : v;
}
